"""Recurrent layers: the network unrolled over time, backpropagation through time."""

import numpy as np
import pytest

from backprop_viz.engine import Network, SpecError, Trainer, gradient_check, trace
from backprop_viz.engine.datasets import SEQUENCE_GENERATORS, generate_sequence
from backprop_viz.engine.health import diagnose, time_gradient_norms

from .helpers import assert_gradients_match


def rnn(readout="sequence", act="tanh", units=3, inputs=2, outputs=1, bptt=None, reduction="mean", l2=0.0,
        stacked=False, seed=0):
    layers = [{"type": "recurrent", "units": units, "activation": act, "readout": "sequence" if stacked else readout}]
    if stacked:
        layers.append({"type": "recurrent", "units": units, "activation": act, "readout": readout})
    layers[0]["bptt"] = bptt
    layers.append({"units": outputs, "activation": "identity"})
    return Network.from_dict({"inputs": inputs, "layers": layers, "loss": "mse", "l2": l2, "seed": seed,
                              "time_reduction": reduction})


def data(net, n=3, steps=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, steps, net.n_inputs))
    T = rng.normal(size=(n, steps, net.n_outputs) if net.sequence_output else (n, net.n_outputs))
    return X, T


@pytest.mark.parametrize("kw", [{}, {"readout": "last"}, {"act": "sigmoid"}, {"act": "relu"},
                                {"reduction": "sum"}, {"l2": 0.05}, {"stacked": True},
                                {"stacked": True, "readout": "last"}], ids=str)
def test_unrolled_gradients_match_central_differences(kw):
    net = rnn(**kw)
    X, T = data(net)
    report = gradient_check(net, X, T)
    assert max(r["rel_error"] for r in report) < 1e-6, report
    assert_gradients_match(net, X, T)


def test_shared_weights_sum_their_per_step_contributions():
    net = rnn()
    X, T = data(net, n=1, steps=5)
    tr = trace(net, X, T)
    wh = tr.by_name["layers.0.weight_hidden"]
    ev = next(e for e in tr.backward if e.node == wh)
    consumers = [tr.nodes[t.consumer].name for t in ev.terms]
    assert sorted(consumers) == sorted(f"layers.0.t{t}.hw" for t in range(1, 6))
    np.testing.assert_allclose(sum(t.product for t in ev.terms), ev.grad, rtol=1e-14)
    _, grads = net.copy().loss_and_gradients(X, T)
    np.testing.assert_allclose(ev.grad, grads["layers.0.weight_hidden"], rtol=1e-13)


def test_time_reduction():
    a, b = rnn(reduction="mean"), rnn(reduction="sum")
    X, T = data(a, steps=6)
    la, _ = a.loss_and_gradients(X, T)
    lb, _ = b.loss_and_gradients(X, T)
    assert lb == pytest.approx(6 * la)


def test_truncated_bptt():
    full, cut, long = rnn(), rnn(bptt=2), rnn(bptt=10)
    X, T = data(full, steps=6)
    gf = full.loss_and_gradients(X, T)[1]["layers.0.weight_hidden"]
    gc = cut.loss_and_gradients(X, T)[1]["layers.0.weight_hidden"]
    gl = long.loss_and_gradients(X, T)[1]["layers.0.weight_hidden"]
    np.testing.assert_allclose(gl, gf)
    assert not np.allclose(gc, gf)
    # The check is of full backpropagation through time, whatever the window.
    assert max(r["rel_error"] for r in gradient_check(cut, X, T)) < 1e-6


def test_predict_and_round_trip():
    net = rnn()
    X, T = data(net)
    assert net.predict(X).shape == (3, 4, 1)
    assert rnn(readout="last").predict(X).shape == (3, 1)
    d = net.to_dict()
    again = Network.from_dict(d)
    assert again.to_dict() == d
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
    assert d["layers"][0]["type"] == "recurrent" and "weight_hidden" in d["layers"][0]


def test_training_learns_the_sine_task():
    X, T = generate_sequence("sine_next", 64, 0.0, 0, steps=12)
    net = Network.from_dict({"inputs": 1, "loss": "mse", "layers": [
        {"type": "recurrent", "units": 12, "activation": "tanh"}, {"units": 1}]})
    tr = Trainer(net, X, T, optimizer={"name": "adam", "lr": 0.02}, batch_size=16)
    first = tr.step()["loss"]
    for _ in range(400):
        rec = tr.step()
    assert rec["loss"] < first / 10


@pytest.mark.parametrize("layers, path, text", [
    ([{"type": "recurrent", "units": 2}], "layers[0].type", "dense read-out"),
    ([{"units": 2}, {"type": "recurrent", "units": 2}, {"units": 1}], "layers[1].type", "come first"),
    ([{"type": "recurrent", "units": 2, "readout": "last"}, {"type": "recurrent", "units": 2}, {"units": 1}],
     "layers[1].type", "come first"),
    ([{"type": "recurrent", "units": 2, "readout": "all"}, {"units": 1}], "layers[0].readout", "unknown 'all'"),
    ([{"type": "recurrent", "units": 2, "bptt": 0}, {"units": 1}], "layers[0].bptt", "positive"),
    ([{"type": "recurrent", "units": 2, "activation": "elu"}, {"units": 1}], "layers[0].activation", "not offered"),
    ([{"type": "recurrent", "units": 2, "weight_hidden": [[1, 2]]}, {"units": 1}], "layers[0].weight_hidden",
     "expected 2 entries"),
    ([{"type": "recurrent", "units": 2, "norm": "batch"}, {"units": 1}], "layers[0].norm", "unknown key"),
])
def test_recurrent_spec_errors(layers, path, text):
    with pytest.raises(SpecError) as err:
        Network.from_dict({"inputs": 1, "layers": layers})
    assert err.value.path == path and text in str(err.value)


def test_sequences_are_required():
    net = rnn()
    with pytest.raises(SpecError, match="sequences of shape"):
        net.loss_and_gradients(np.ones((3, 2)), np.ones((3, 1)))
    with pytest.raises(SpecError, match="a target at every time step"):
        net.loss_and_gradients(np.ones((3, 4, 2)), np.ones((3, 1)))


@pytest.mark.parametrize("name", list(SEQUENCE_GENERATORS))
def test_sequence_tasks(name):
    X, T = generate_sequence(name, 30, 0.1, 3)
    X2, T2 = generate_sequence(name, 30, 0.1, 3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(T, T2)
    assert X.ndim == 3 and X.shape[0] == T.shape[0] == 30
    if name == "remember_first":
        np.testing.assert_array_equal(X[:, 0, :], T)
        assert generate_sequence(name, 4, 0.1, 0, steps=20)[0].shape == (4, 21, 1)


def _first_step_health(std, steps):
    X, T = generate_sequence("remember_first", 64, 0.1, 0, steps=steps)
    net = Network.from_dict({"inputs": 1, "loss": "mse", "layers": [
        {"type": "recurrent", "units": 8, "readout": "last", "init": {"name": "normal", "std": std}}, {"units": 1}]})
    tr = Trainer(net, X, T, optimizer={"name": "sgd", "lr": 0.01})
    rec = tr.step()
    return diagnose(net, rec, tr.last_pass), time_gradient_norms(tr.last_pass)[0]


def test_vanishing_and_exploding_through_time():
    h, norms = _first_step_health(0.2, 20)
    assert len(norms) == 21 and norms[0] < norms[-1] * 1e-4
    assert h.state == "vanishing" and "vanishing through time" in h.evidence[0]
    assert any("shorter dependency" in s for s in h.suggestions)
    h, _ = _first_step_health(0.2, 5)
    assert h.state == "healthy"
    h, norms = _first_step_health(1.5, 20)
    assert norms[0] > norms[-1] * 100
    assert h.state == "exploding" and "exploding through time" in h.evidence[0]


@pytest.mark.parametrize("readout", ["sequence", "last"])
@pytest.mark.parametrize("steps", [1, 7])
def test_prediction_without_the_graph_equals_the_graph(readout, steps):
    net = Network.from_dict({"inputs": 2, "layers": [
        {"type": "recurrent", "units": 5, "activation": "tanh", "readout": readout},
        {"units": 3, "activation": "relu"}, {"units": 2, "activation": "sigmoid"}],
        "loss": "binary_cross_entropy", "seed": 4})
    X = np.random.default_rng(1).normal(size=(6, steps, 2))
    graph = net.build(X, None, training=False).output.value
    np.testing.assert_allclose(net.predict(X), graph, rtol=1e-14, atol=1e-15)
