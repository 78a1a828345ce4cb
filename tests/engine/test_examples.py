"""The bundled examples, each with the numbers it exists to show."""

from pathlib import Path

import numpy as np
import pytest

from backprop_viz.engine import Trainer, load_network, neuron_view, trace
from backprop_viz.engine.datasets import circle
from backprop_viz.engine.report import trace_report

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"


def test_every_example_loads():
    files = sorted(EXAMPLES.glob("*.json"))
    assert len(files) >= 8
    for f in files:
        net = load_network(f)
        assert net.predict(np.zeros((1, net.n_inputs))).shape == (1, net.n_outputs)


def seed_trace():
    net = load_network(EXAMPLES / "seed_worked_example.json")
    return trace(net, [[0.1, 0.3]], [[0.03]], lr=0.01)


def test_worked_example_to_nine_digits():
    tr = seed_trace()
    v = neuron_view(tr)
    assert v.node("s").value == pytest.approx(1.94, abs=1e-12)
    assert v.node("predicted").value == pytest.approx(0.874352143, abs=5e-10)
    assert v.node("E").value == pytest.approx(0.356465271, abs=5e-10)
    assert v.node("predicted").grad == pytest.approx(0.844352143, abs=5e-10)
    # ∂predicted/∂s is the local derivative on the edge s → predicted.
    s_event = next(e for e in v.backward if e.node == v.by_label["s"])
    assert s_event.terms[0].local == pytest.approx(0.109860473, abs=5e-10)
    assert v.node("W1").grad == pytest.approx(0.009276093, abs=5e-10)
    assert v.node("W2").grad == pytest.approx(0.027828278, abs=5e-10)
    # The article drops the bias term; ∂s/∂b = 1, so ∂E/∂b = ∂E/∂s.
    assert v.node("b").grad == pytest.approx(0.844352143 * 0.109860473, abs=1e-9)
    assert v.node("b").grad != 0
    assert tr.gradient("layers.0.bias")[0] == pytest.approx(v.node("b").grad, rel=1e-15)
    upd = {v.nodes[u.node].label: u.new for u in v.updates}
    assert upd["W1"] == pytest.approx(0.49990723907, abs=5e-10)
    assert upd["W2"] == pytest.approx(0.1997217172, abs=5e-10)


def test_worked_example_text_shows_the_seed_numbers_digit_for_digit():
    text = trace_report(seed_trace())
    for expected in ["s = X1·W1 + X2·W2 + b = 0.1·0.5 + 0.3·0.2 + 1.83 = 1.94",
                     "predicted = sigmoid(s) = sigmoid(1.94) = 0.874352143",
                     "E = ½(desired − predicted)² = ½(0.03 − 0.874352143)² = 0.356465271",
                     "0.844352143 × 0.109860473 × 0.1 = 0.009276093",
                     "0.844352143 × 0.109860473 × 0.3 = 0.027828278",
                     "∂E/∂b = ∂E/∂predicted · ∂predicted/∂s · ∂s/∂b = 0.844352143 × 0.109860473 × 1 = 0.092760926",
                     "W1 ← 0.5 − 0.01 · 0.009276093 = 0.499907239",
                     "W2 ← 0.2 − 0.01 · 0.027828278 = 0.199721717"]:
        assert expected in text, expected


def test_code_example_converges_to_the_target():
    net = load_network(EXAMPLES / "seed_code_example.json")
    assert "layers.0.bias" not in net.parameters()
    tr = Trainer(net, [[0.1, 0.4]], [[0.7]], optimizer={"name": "sgd", "lr": 0.01})
    for _ in range(80_000):
        rec = tr.step()
    assert rec["loss"] < 1e-10
    assert net.predict([[0.1, 0.4]])[0, 0] == pytest.approx(0.7, abs=1e-5)


def test_mlp_example_learns_its_sample():
    net = load_network(EXAMPLES / "seed_mlp.json")
    assert net.sizes == [3, 7, 5, 4, 1]
    x, t = [[0.1, 0.4, 4.1]], [[0.2]]
    first = net.loss_and_gradients(x, t)[0]
    tr = Trainer(net, x, t, optimizer={"name": "sgd", "lr": 0.7})
    for _ in range(500):
        rec = tr.step()
    assert rec["loss"] < first / 100
    assert net.predict(x)[0, 0] == pytest.approx(0.2, abs=0.01)


def _layer_grad_norms(name):
    net = load_network(EXAMPLES / name)
    X, T = circle(200, seed=0)
    _, grads = net.loss_and_gradients(X, T)
    return [float(np.linalg.norm(grads[n])) for n in net.weight_names]


def test_deep_sigmoid_gradients_vanish_toward_the_input():
    norms = _layer_grad_norms("deep_sigmoid_vanishing.json")
    assert len(norms) == 10
    assert norms[0] / norms[-1] < 1e-6
    assert all(a < b for a, b in zip(norms, norms[1:]))


def test_relu_with_he_init_keeps_gradients_alive():
    norms = _layer_grad_norms("deep_relu_he.json")
    assert norms[0] / norms[-1] > 1e-2


def test_large_init_gradients_explode():
    norms = _layer_grad_norms("exploding.json")
    assert min(norms) > 1e6


def test_residual_example_keeps_early_gradients():
    norms = _layer_grad_norms("residual.json")
    assert norms[0] / max(norms) > 0.1
