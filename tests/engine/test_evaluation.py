"""The graph-free evaluation gives Network.loss's and Trainer.accuracy's numbers, to the bit."""

import numpy as np
import pytest

from backprop_viz.engine import Network, Trainer
from backprop_viz.engine.datasets import circle, remember_first, sine_next
from backprop_viz.engine.evaluation import evaluate

DENSE = [
    ({"layers": [{"units": 6, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
      "loss": "binary_cross_entropy"}, "bce"),
    ({"layers": [{"units": 5, "activation": "relu", "norm": "batch"},
                 {"units": 5, "activation": "tanh", "norm": "layer", "residual": True},
                 {"units": 2, "activation": "softmax"}], "loss": "cross_entropy", "l1": 0.01, "l2": 0.02}, "ce"),
    ({"layers": [{"units": 4, "activation": "sigmoid"}, {"units": 1, "activation": "identity"}],
      "loss": "mse", "l2": 0.1}, "mse"),
    ({"layers": [{"units": 4, "activation": "tanh"}, {"units": 1, "activation": "tanh"}], "loss": "hinge"}, "hinge"),
    ({"layers": [{"units": 3, "activation": "sigmoid"}, {"units": 1, "activation": "sigmoid"}],
      "loss": "half_squared_error"}, "hse"),
]


def targets(kind, T):
    if kind == "ce":
        return np.eye(2)[T[:, 0].astype(int)]
    if kind == "hinge":
        return 2 * T - 1
    return T


@pytest.mark.parametrize("spec,kind", DENSE, ids=[k for _, k in DENSE])
def test_dense_networks(spec, kind):
    X, T = circle(60, seed=1)
    T = targets(kind, T)
    net = Network.from_dict({"inputs": 2, "seed": 3, **spec})
    tr = Trainer(net, X, T, optimizer={"name": "adam", "lr": 0.05}, batch_size=16)
    for _ in range(7):      # trained a little, so batch norm's running statistics are not the start's
        tr.step()
    loss, acc = evaluate(net, X, T)
    assert loss == net.loss(X, T)
    assert acc == tr.accuracy(X, T)


@pytest.mark.parametrize("readout", ["sequence", "last"])
def test_recurrent_networks(readout):
    if readout == "sequence":
        X, T = sine_next(30, steps=8, seed=2)
        layers = [{"type": "recurrent", "units": 5, "activation": "tanh", "readout": "sequence"},
                  {"units": 1, "activation": "identity"}]
    else:
        X, T = remember_first(30, steps=6, seed=2)
        layers = [{"type": "recurrent", "units": 5, "activation": "tanh", "readout": "last"},
                  {"units": 1, "activation": "identity"}]
    for reduction in ("mean", "sum"):
        net = Network.from_dict({"inputs": X.shape[2], "layers": layers, "loss": "mse", "seed": 0, "l2": 0.01,
                                 "time_reduction": reduction})
        loss, acc = evaluate(net, X, T)
        assert loss == net.loss(X, T)
        assert acc is None
