import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz.engine import Network, NeuronViewUnavailable, neuron_view, trace

from .helpers import output_activation, targets_for


def residual_net(seed=0, act="tanh", loss="half_squared_error", l1=0.0, l2=0.0, outputs=2):
    return Network.from_dict({
        "inputs": 3, "seed": seed, "loss": loss, "l1": l1, "l2": l2,
        "layers": [{"units": 3, "activation": act},
                   {"units": 3, "activation": act, "residual": True},
                   {"units": outputs, "activation": output_activation(loss)}]})


def test_trace_does_not_change_the_network():
    net = residual_net()
    before = net.flat.copy()
    tr = trace(net, [[0.1, 0.2, 0.3]], [[1.0, 0.0]], lr=0.05)
    np.testing.assert_array_equal(net.flat, before)
    assert tr.loss_after < tr.loss


def test_layer_level_terms_sum_to_each_gradient():
    tr = trace(residual_net(), np.ones((4, 3)) * [0.1, -0.2, 0.3], np.zeros((4, 2)))
    for ev in tr.backward:
        if ev.terms:
            np.testing.assert_allclose(sum(t.product for t in ev.terms), ev.grad, rtol=1e-14)
    # The residual layer's input feeds two consumers: the matmul and the skip add.
    act0 = tr.by_name["layers.0.act"]
    ev = next(e for e in tr.backward if e.node == act0)
    assert sorted(tr.nodes[t.consumer].name for t in ev.terms) == ["layers.1.matmul", "layers.1.residual"]


def test_trace_gradients_equal_loss_and_gradients():
    net = residual_net(l1=0.01, l2=0.02)
    X, T = np.array([[0.3, -0.1, 0.8]]), np.array([[0.5, -0.5]])
    _, grads = net.copy().loss_and_gradients(X, T)
    tr = trace(net, X, T)
    for name, g in grads.items():
        np.testing.assert_allclose(tr.gradient(name), g, rtol=1e-13)


def test_updates_are_gradient_descent():
    tr = trace(residual_net(), [[0.1, 0.2, 0.3]], [[1.0, 0.0]], lr=0.25)
    for u in tr.updates:
        np.testing.assert_allclose(u.new, u.old - 0.25 * u.grad)


@pytest.mark.parametrize("loss", ["half_squared_error", "squared_error", "mse", "cross_entropy",
                                  "binary_cross_entropy", "hinge"])
def test_neuron_gradients_equal_tensor_gradients(loss):
    net = residual_net(seed=3, loss=loss, l1=0.01, l2=0.03)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1, 3))
    T = targets_for(loss, rng, 1, 2)
    tr = trace(net, X, T)
    v = neuron_view(tr)
    for n in v.nodes:
        if n.param is not None:
            name, idx = n.param
            assert n.grad == pytest.approx(float(tr.gradient(name)[idx]), rel=1e-12, abs=1e-15)
        elif n.grad is not None and n.tensor is not None and n.kind in ("sum", "act", "residual"):
            tname, idx = n.tensor
            assert n.grad == pytest.approx(float(tr.node(tname).grad[idx]), rel=1e-12, abs=1e-15)
    assert v.loss == pytest.approx(tr.loss)


def test_one_backward_event_per_parameter_element_at_both_levels():
    net = residual_net(seed=1)
    tr = trace(net, [[0.2, 0.4, -0.6]], [[0.0, 1.0]])
    v = neuron_view(tr)
    tensor_params = [tr.nodes[e.node].name for e in tr.backward if tr.nodes[e.node].op == "param"]
    assert sorted(tensor_params) == sorted(net.parameters())
    scalar = {}
    for e in v.backward:
        n = v.nodes[e.node]
        if n.param is not None:
            scalar.setdefault(n.param[0], []).append(n.param[1])
    for name, p in net.parameters().items():
        assert len(scalar[name]) == p.size and len(set(scalar[name])) == p.size
    # Walk order is the same every time.
    again = neuron_view(trace(net, [[0.2, 0.4, -0.6]], [[0.0, 1.0]]))
    assert [e.node for e in again.backward] == [e.node for e in v.backward]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1000), act=st.sampled_from(["tanh", "sigmoid", "softplus", "elu"]),
       loss=st.sampled_from(["half_squared_error", "cross_entropy", "mse"]))
def test_path_products_sum_to_the_gradient(seed, act, loss):
    net = residual_net(seed=seed, act=act, loss=loss)
    rng = np.random.default_rng(seed)
    tr = trace(net, rng.normal(size=(1, 3)), targets_for(loss, rng, 1, 2))
    v = neuron_view(tr)
    for n in v.nodes:
        if n.param is not None and n.layer == 0:
            paths = v.paths(n.id)
            assert len(paths) >= 2   # through the skip connection and through the layer
            assert sum(p[2] for p in paths) == pytest.approx(n.grad, rel=1e-10, abs=1e-14)


def test_neuron_view_of_softmax_sums_over_all_outputs():
    net = Network.from_dict({"inputs": 2, "loss": "mse", "layers": [{"units": 3, "activation": "softmax"}]})
    v = neuron_view(trace(net, [[0.5, -1.0]], [[1.0, 0.0, 0.0]]))
    s1 = next(e for e in v.backward if v.nodes[e.node].label == "s1[1]")
    assert len(s1.terms) == 3


def test_neuron_view_refuses_what_it_cannot_draw():
    net = residual_net()
    with pytest.raises(NeuronViewUnavailable, match="one sample"):
        neuron_view(trace(net, np.ones((2, 3)), np.ones((2, 2))))
    big = Network.from_dict({"inputs": 784, "layers": [{"units": 128}, {"units": 10}]})
    with pytest.raises(NeuronViewUnavailable, match="layer level"):
        neuron_view(trace(big, np.zeros((1, 784)), np.zeros((1, 10))))
    bn = Network.from_dict({"inputs": 2, "layers": [{"units": 2, "norm": "layer"}, {"units": 1}]})
    with pytest.raises(NeuronViewUnavailable, match="norm"):
        neuron_view(trace(bn, [[1.0, 2.0]], [[0.0]]))


def test_layer_trace_of_a_large_network():
    net = Network.from_dict({"inputs": 784, "layers": [{"units": 128, "activation": "relu"},
                                                       {"units": 10, "activation": "softmax"}],
                             "loss": "cross_entropy"})
    rng = np.random.default_rng(0)
    tr = trace(net, rng.normal(size=(32, 784)), rng.integers(0, 10, 32))
    assert [tr.nodes[e.node].name for e in tr.forward][:3] == ["layers.0.matmul", "layers.0.sum", "layers.0.act"]
    assert tr.gradient("layers.0.weight").shape == (784, 128)
