"""Every op, activation, loss, norm and penalty against central differences."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz.engine import Network, gradient_check
from backprop_viz.engine.ops import LOSSES

from .helpers import ACTIVATIONS, assert_gradients_match, output_activation, targets_for


def _net(hidden_act, loss, norm=None, residual=False, dropout=0.0, l1=0.0, l2=0.0, seed=0,
         inputs=3, width=3, outputs=2, use_bias=True):
    layers = [{"units": width, "activation": hidden_act, "init": "xavier_normal", "norm": norm,
               "dropout": dropout, "use_bias": use_bias},
              {"units": width, "activation": hidden_act, "residual": residual, "norm": norm},
              {"units": outputs, "activation": output_activation(loss)}]
    net = Network.from_dict({"inputs": inputs, "layers": layers, "loss": loss, "l1": l1, "l2": l2,
                             "seed": seed})
    # Non-zero biases keep ReLU inputs off the kink at exactly 0.
    rng = np.random.default_rng(seed + 100)
    for name, value in net.parameters().items():
        if name.endswith(".bias"):
            value[...] = rng.normal(0, 0.3, value.shape)
    return net


def _data(net, seed, n=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, net.n_inputs))
    T = targets_for(net.spec.loss, rng, n, net.n_outputs)
    return X, T


@pytest.mark.parametrize("act", ACTIVATIONS, ids=str)
def test_activation_gradients(act):
    net = _net(act, "mse")
    assert_gradients_match(net, *_data(net, 1))


@pytest.mark.parametrize("loss", list(LOSSES))
def test_loss_gradients(loss):
    net = _net("tanh", loss)
    X, T = _data(net, 2)
    if loss == "hinge":
        # Keep margins away from the kink at 1 where the derivative jumps.
        net.params["layers.2.weight"] *= 0.1
    assert_gradients_match(net, X, T)


@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_norm_gradients(norm):
    net = _net("tanh", "mse", norm=norm)
    net.params["layers.0.gamma"][:] = [0.5, 1.5, -0.7]
    net.params["layers.1.beta"][:] = [0.1, -0.2, 0.3]
    assert_gradients_match(net, *_data(net, 3, n=6))


def test_penalty_gradients():
    net = _net("sigmoid", "half_squared_error", l1=0.03, l2=0.05)
    assert_gradients_match(net, *_data(net, 4))


def test_dropout_and_residual_gradients():
    net = _net("softplus", "squared_error", residual=True, dropout=0.3)
    assert_gradients_match(net, *_data(net, 5), seed=7)


def test_no_bias_gradients():
    net = _net("elu", "mse", use_bias=False)
    assert "layers.0.bias" not in net.parameters()
    assert_gradients_match(net, *_data(net, 6))


def test_softmax_output_with_squared_error():
    net = _net("tanh", "mse")
    net.spec.layers[-1].activation = __import__(
        "backprop_viz.engine.activations", fromlist=["x"]).parse_activation("softmax", "x")
    assert_gradients_match(net, *_data(net, 8))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000),
       act=st.sampled_from([a if isinstance(a, str) else a["name"] for a in ACTIVATIONS if a != "relu"]),
       loss=st.sampled_from(list(LOSSES)),
       norm=st.sampled_from([None, "batch", "layer"]),
       residual=st.booleans(), width=st.integers(3, 4), inputs=st.integers(1, 4),
       outputs=st.integers(2, 3), n=st.integers(3, 6),
       l1=st.sampled_from([0.0, 0.01]), l2=st.sampled_from([0.0, 0.02]))
def test_random_networks_match_finite_differences(seed, act, loss, norm, residual, width, inputs,
                                                   outputs, n, l1, l2):
    net = Network.from_dict({
        "inputs": inputs, "seed": seed, "loss": loss, "l1": l1, "l2": l2,
        "layers": [{"units": width, "activation": act, "norm": norm, "init": "xavier_normal"},
                   {"units": width, "activation": act, "residual": residual},
                   {"units": outputs, "activation": output_activation(loss)}]})
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, inputs))
    T = targets_for(loss, rng, n, outputs)
    if loss == "hinge":
        net.params["layers.2.weight"] *= 0.05
    if l1:
        # |w| has a kink at 0; keep weights clear of it.
        for name in net.weight_names:
            w = net.params[name]
            w[np.abs(w) < 1e-3] = 0.01
    report = gradient_check(net, X, T)
    worst = max(r["rel_error"] for r in report)
    # Normalising a small batch divides by a small spread, which magnifies the
    # rounding in a central difference; the analytic side is exact either way.
    assert worst < (1e-4 if norm else 1e-5), report


def test_gradient_check_reports_every_parameter():
    net = _net("tanh", "mse")
    report = gradient_check(net, *_data(net, 9))
    assert [r["name"] for r in report] == list(net.parameters())
    assert all(r["rel_error"] < 1e-6 for r in report)


def test_gradient_check_of_float32_network_runs_in_float64():
    net = Network.from_dict(_net("tanh", "mse").to_dict(), dtype=np.float32)
    assert net.params["layers.0.weight"].dtype == np.float32
    report = gradient_check(net, *_data(net, 10))
    assert max(r["rel_error"] for r in report) < 1e-5
    assert net.params["layers.0.weight"].dtype == np.float32
