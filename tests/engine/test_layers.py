"""Layer kinds own their parameter names, their part of the graph (plain and unrolled) and their PyTorch form."""

import numpy as np
import pytest

from backprop_viz.engine import Network, SpecError
from backprop_viz.engine.layers import DenseLayer, RecurrentLayer

DENSE_NET = {"inputs": 3, "seed": 4, "loss": "cross_entropy",
             "layers": [{"units": 5, "activation": "tanh", "norm": "batch", "use_bias": False},
                        {"units": 5, "activation": {"name": "leaky_relu", "negative_slope": 0.1},
                         "norm": "layer", "dropout": 0.3, "residual": True},
                        {"units": 3, "activation": "softmax"}]}
RNN = {"inputs": 1, "loss": "mse",
       "layers": [{"type": "recurrent", "units": 2, "readout": "last", "bptt": 3},
                  {"units": 1, "activation": "identity"}]}
STACKED = {"inputs": 2, "loss": "mse", "l2": 0.01,
           "layers": [{"type": "recurrent", "units": 2, "bptt": 2},
                      {"type": "recurrent", "units": 2, "activation": "sigmoid", "use_bias": False},
                      {"units": 1, "activation": "identity", "use_bias": False}]}


@pytest.mark.parametrize("d", [DENSE_NET, RNN, STACKED], ids=["dense", "recurrent", "stacked"])
def test_each_layer_names_the_parameters_it_makes(d):
    net = Network.from_dict(d)
    names = [name for layer in net.layers for name in layer.parameter_names]
    assert names == list(net.params)
    for layer in net.layers:
        assert list(layer.create(0, np.float64)) == layer.parameter_names


def test_a_read_out_of_the_last_step_is_built_once_after_the_steps():
    net = Network.from_dict(RNN)
    X = np.arange(4.0).reshape(1, 4, 1) / 4
    p = net.build(X, [[0.5]])
    assert [n.name for n in p.order] == [
        "layers.0.weight_input", "layers.0.weight_hidden", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "X", "X.t1", "X.t2", "X.t3", "X.t4", "layers.0.h0",
        *[f"layers.0.t{t}.{what}" for t in (1, 2, 3) for what in ("xw", "hw", "xw+hw", "sum", "act")],
        "layers.0.t4.h_in",         # truncated after 3 steps: the carried state enters as a constant
        *[f"layers.0.t4.{what}" for what in ("xw", "hw", "xw+hw", "sum", "act")],
        "layers.1.matmul", "layers.1.sum", "layers.1.act", "T", "loss.data"]
    hidden = p.layers[0]
    assert [n.name for n in hidden["steps"]] == [f"layers.0.t{t}.act" for t in (1, 2, 3, 4)]
    assert hidden["output"] is hidden["steps"][-1] and p.layers[1]["input"] is hidden["output"]
    # The graph's numbers are the prediction's.
    np.testing.assert_allclose(p.output.value, net.predict(X), rtol=0, atol=1e-15)


def test_every_step_is_read_out_when_the_sequence_is_passed_on():
    net = Network.from_dict(STACKED)
    X = np.random.default_rng(0).normal(size=(3, 3, 2))
    p = net.build(X, np.zeros((3, 3, 1)))
    names = [n.name for n in p.order]
    assert [n for n in names if n.endswith(".h0")] == ["layers.0.h0", "layers.1.h0"]
    assert "layers.1.t1.sum" not in names          # no bias: the weighted sum is the last node before act
    assert [n.name for n in p.layers[2]["steps"]] == ["layers.2.t1.act", "layers.2.t2.act", "layers.2.t3.act"]
    assert [names.index(f"loss.t{t}") for t in (1, 2, 3)] == sorted(names.index(f"loss.t{t}") for t in (1, 2, 3))
    assert p.output.value.shape == (3, 3, 1)
    np.testing.assert_allclose(p.output.value, net.predict(X), rtol=0, atol=1e-14)


def test_truncation_every_two_steps_cuts_the_carried_state_at_the_third():
    net = Network.from_dict(STACKED)
    names = [n.name for n in net.build(np.zeros((1, 5, 2)), np.zeros((1, 5, 1))).order]
    assert [n for n in names if n.endswith("h_in")] == ["layers.0.t3.h_in", "layers.0.t5.h_in"]


def test_a_recurrent_layer_has_no_graph_without_time():
    net = Network.from_dict(RNN)
    layer = net.layers[0]
    assert isinstance(layer, RecurrentLayer) and layer.takes_sequences and not layer.keeps_time
    with pytest.raises(TypeError, match="sequences only"):
        layer.graph(None, {}, training=True, rng=None, running=None)


def test_layers_give_their_pytorch_module_and_tensor_names():
    net = Network.from_dict(DENSE_NET)
    assert [layer.torch_layer() for layer in net.layers] == [
        "Dense(3, 5, 'tanh', bias=False, norm='batch')",
        "Dense(5, 5, 'leaky_relu', dict(negative_slope=0.1), norm='layer', dropout=0.3, residual=True)",
        "Dense(5, 3, 'softmax')"]
    assert all(isinstance(layer, DenseLayer) and "class Dense(nn.Module):" in layer.torch_module
               for layer in net.layers)
    state = net.layers[0].torch_state(net.params, net.running[0])
    assert list(state) == ["layers.0.weight", "layers.0.gamma", "layers.0.beta",
                           "layers.0.running_mean", "layers.0.running_var"]
    assert state["layers.0.running_var"] is net.running[0]["var"]
    assert list(net.layers[1].torch_state(net.params, net.running[1])) == [
        "layers.1.weight", "layers.1.bias", "layers.1.gamma", "layers.1.beta"]
    rnn = Network.from_dict(RNN)
    assert rnn.layers[0].torch_layer() == "Recurrent(1, 2, 'tanh', readout='last', bptt=3)"
    assert "class Recurrent(nn.Module):" in rnn.layers[0].torch_module
    assert list(rnn.layers[0].torch_state(rnn.params, None)) == [
        "layers.0.weight_input", "layers.0.weight_hidden", "layers.0.bias"]


@pytest.mark.parametrize("key, value", [("norm", "layer"), ("norm", "batch"), ("dropout", 0.2), ("residual", True)])
def test_a_read_out_after_a_recurrent_layer_refuses_what_it_cannot_apply_over_time(key, value):
    d = {"inputs": 1, "loss": "mse", "layers": [{"type": "recurrent", "units": 3},
                                                {"units": 3, key: value}, {"units": 1}]}
    with pytest.raises(SpecError) as err:
        Network.from_dict(d)
    assert err.value.path == f"layers[1].{key}"
    assert "not offered after a recurrent layer" in str(err.value)
