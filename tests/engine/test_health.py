"""The gradient-health diagnosis against its documented thresholds."""

import numpy as np

from backprop_viz.engine import Network
from backprop_viz.engine.health import diagnose, unit_statistics

NET = Network.from_dict({"inputs": 2, "layers": [{"units": 3, "activation": "sigmoid"},
                                                 {"units": 3, "activation": "relu"},
                                                 {"units": 1, "activation": "sigmoid"}],
                         "loss": "binary_cross_entropy"})


def rec(grads, ratios=(1e-3, 1e-3, 1e-3), loss=0.5, nonfinite=None):
    return {"grad_norms": list(grads), "weight_norms": [1.0, 1.0, 1.0], "update_ratios": list(ratios),
            "loss": loss, "data_loss": loss, "nonfinite": nonfinite}


def test_healthy():
    h = diagnose(NET, rec([0.1, 0.2, 0.3]))
    assert h.state == "healthy" and not h.evidence and not h.suggestions


def test_vanishing_by_ratio():
    h = diagnose(NET, rec([1e-8, 1e-3, 0.1]))
    assert h.state == "vanishing"
    assert h.evidence == ["layer 1 gradient is 1e-07 × layer 3's"]
    assert any("relu" in s for s in h.suggestions)


def test_ratio_just_above_threshold_is_healthy():
    assert diagnose(NET, rec([2e-5, 1e-3, 0.1])).state == "healthy"


def test_exploding_by_norm_and_by_update_size():
    assert diagnose(NET, rec([5e3, 1.0, 1.0])).state == "exploding"
    h = diagnose(NET, rec([0.1, 0.1, 0.1], ratios=(2.0, 1e-3, 1e-3)))
    assert h.state == "exploding" and "200% of their size" in h.evidence[0]
    assert "lower the learning rate" in h.suggestions


def test_stalled():
    h = diagnose(NET, rec([1e-7, 1e-7, 1e-6], loss=0.69))
    assert h.state == "vanishing" and "learning has stalled" in h.evidence[0]
    assert diagnose(NET, rec([1e-7, 1e-7, 1e-6], loss=1e-6)).state == "healthy"   # converged


def test_diverged():
    nf = {"step": 7, "phase": "forward", "node": "layers.1.matmul", "op": "matmul", "layer": 1}
    h = diagnose(NET, rec([np.inf, 1, 1], nonfinite=nf))
    assert h.state == "diverged"
    assert h.evidence == ["the forward pass went non-finite at layer 2 node layers.1.matmul (matmul) in step 7"]


def test_unit_statistics():
    sat, dead = unit_statistics("sigmoid", np.array([[0.01, 0.5], [0.99, 0.999]]))
    assert sat == 0.75 and dead is None
    sat, _ = unit_statistics("tanh", np.array([[0.98, -0.99], [0.1, 0.0]]))
    assert sat == 0.5
    _, dead = unit_statistics("relu", np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]))
    assert dead == 1 / 3


def test_saturated_hidden_layer_and_dead_relus_from_a_real_pass():
    net = Network.from_dict({"inputs": 2, "layers": [{"units": 4, "activation": "sigmoid",
                                                      "weight": [[50, -50, 50, -50], [50, 50, -50, -50]]},
                                                     {"units": 4, "activation": "relu",
                                                      "weight": [[-1] * 4] * 4, "bias": [-1] * 4},
                                                     {"units": 1, "activation": "sigmoid"}],
                             "loss": "binary_cross_entropy"})
    X = np.random.default_rng(0).normal(size=(16, 2))
    res = net.build(X, np.ones((16, 1)))
    h = diagnose(net, rec([0.1, 0.1, 0.1]), res)
    assert h.state == "vanishing"
    assert any("sigmoid units in layer 1 saturated" in e for e in h.evidence)
    assert any("100% of ReLU units in layer 2 dead" in e for e in h.evidence)
    assert "use leaky_relu" in h.suggestions


def test_confident_output_under_cross_entropy_is_not_saturation():
    net = Network.from_dict({"inputs": 2, "layers": [{"units": 1, "activation": "sigmoid", "weight": [[50], [50]]}],
                             "loss": "binary_cross_entropy"})
    res = net.build(np.ones((4, 2)), np.ones((4, 1)))
    assert diagnose(net, {"grad_norms": [0.1], "weight_norms": [1.0], "update_ratios": [1e-3],
                          "loss": 0.1, "nonfinite": None}, res).state == "healthy"
