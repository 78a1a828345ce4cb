"""Every local derivative's rule, evaluated from the numbers it shows, equals the derivative used."""

import re

import numpy as np
import pytest

from backprop_viz.engine import Network, neuron_view, trace
from backprop_viz.engine.derivation import csv_rows, latex, markdown
from backprop_viz.engine.local_rules import evaluate
from backprop_viz.engine.report import trace_report

from .helpers import ACTIVATIONS, output_activation, targets_for

LOSSES = ["half_squared_error", "squared_error", "mse", "cross_entropy", "binary_cross_entropy", "hinge"]


def seed_view():
    net = Network.from_dict({"inputs": 2, "loss": "half_squared_error",
                             "layers": [{"units": 1, "activation": "sigmoid"}]})
    net.params["layers.0.weight"][...] = [[0.5], [0.2]]
    net.params["layers.0.bias"][...] = [1.83]
    return neuron_view(trace(net, [[0.1, 0.3]], [[0.03]], lr=0.01))


def test_seed_rules_read_as_in_the_textbook():
    v = seed_view()
    lines = [line for ev in v.backward for line in v.rule_lines(ev)]
    assert "∂E/∂predicted = predicted − desired = 0.874352143 − 0.03 = 0.844352143" in lines
    assert "∂predicted/∂s = σ(s)(1 − σ(s)) = 0.874352143 × 0.125647857 = 0.109860473" in lines
    assert "∂s/∂W1 = X1 = 0.1" in lines
    assert any(line.startswith("∂s/∂b = 1 because") for line in lines)


def check_every_rule(v, digits=15):
    """Each rule's numbers, evaluated, give the derivative shown and the one the walk multiplies by."""
    checked = 0
    for ev in v.backward:
        for t in ev.terms:
            r = v.local_rule(t.consumer, ev.node, digits)
            assert r is not None, (v.nodes[t.consumer].label, v.nodes[ev.node].label)
            assert r.value == pytest.approx(t.local, rel=1e-12, abs=1e-15)
            shown = r.text(digits).split(" because ")[0].rsplit(" = ", 1)[-1]
            assert float(shown.replace("−", "-")) == pytest.approx(t.local, rel=1e-9, abs=1e-13)
            if r.numbers:
                assert evaluate(r.numbers) == pytest.approx(t.local, rel=1e-9, abs=1e-12), r.text(digits)
            checked += 1
    return checked


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_activation_and_loss_rule_evaluates_to_its_derivative(act, loss):
    rng = np.random.default_rng(3)
    net = Network.from_dict({"inputs": 3, "seed": 1, "loss": loss, "l1": 0.01, "l2": 0.02,
                             "layers": [{"units": 3, "activation": act},
                                        {"units": 3, "activation": act, "residual": True},
                                        {"units": 2, "activation": output_activation(loss)}]})
    X = rng.normal(size=(1, 3))
    v = neuron_view(trace(net, X, targets_for(loss, rng, 1, 2)))
    assert check_every_rule(v) > 30


def test_softmax_output_rules_under_a_squared_error():
    net = Network.from_dict({"inputs": 2, "seed": 2, "loss": "mse",
                             "layers": [{"units": 3, "activation": "softmax"}]})
    v = neuron_view(trace(net, [[0.4, -0.7]], [[0.0, 1.0, 0.0]]))
    assert check_every_rule(v) > 0
    texts = [line for ev in v.backward for line in v.rule_lines(ev)]
    assert any(re.match(r"∂a1\[1\]/∂s1\[2\] = −a1\[1\]·a1\[2\] = ", t) for t in texts)


def test_relu_says_why_its_derivative_is_zero():
    net = Network.from_dict({"inputs": 1, "loss": "half_squared_error",
                             "layers": [{"units": 1, "activation": "relu"}, {"units": 1}]})
    net.params["layers.0.weight"][...] = [[1.0]]
    net.params["layers.0.bias"][...] = [-0.3]
    v = neuron_view(trace(net, [[0.0]], [[1.0]]))
    texts = [line for ev in v.backward for line in v.rule_lines(ev)]
    assert "∂a1[1]/∂s1[1] = relu′(s1[1]) = 0 because s1[1] = -0.3 ≤ 0" in texts


def test_the_walk_and_every_export_carry_the_rules():
    from backprop_viz.session.stepper import Stepper
    tr = trace(Network.from_dict({"inputs": 2, "loss": "half_squared_error",
                                  "layers": [{"units": 1, "activation": "sigmoid"}]}), [[0.1, 0.3]], [[0.03]])
    rule = "σ(s)(1 − σ(s))"
    assert rule in trace_report(tr)
    assert rule in markdown(tr)
    assert r"\sigma" in latex(tr) and "(1 - \\sigma" in latex(tr)
    assert rule in csv_rows(tr)
    st = Stepper(tr.network, [[0.1, 0.3]], [[0.03]])
    texts = []
    while st.forward():
        texts.append(st.describe())
    assert any(rule in t for t in texts)


def test_layer_level_names_the_rule_of_each_op():
    net = Network.from_dict({"inputs": 2, "loss": "cross_entropy",
                             "layers": [{"units": 3, "activation": "relu", "norm": "layer"},
                                        {"units": 2, "activation": "softmax"}]})
    report = trace_report(trace(net, np.ones((3, 2)), np.eye(2)[[0, 1, 0]]), level="layer")
    assert "∂(A·B)/∂A = upstream·Bᵀ" in report
    assert "1 where z > 0, 0 where z ≤ 0" in report
    assert "∂y/∂γ = x̂" in report
    assert "softmax(z) − T" in report


def test_evaluate_is_arithmetic_only():
    assert evaluate("2 × (0.5 − (-0.25)) / 3") == pytest.approx(0.5)
    assert evaluate("1 − (-0.5)²") == pytest.approx(0.75)
    with pytest.raises(ValueError):
        evaluate("__import__('os')")


def test_recurrent_steps_name_their_rule_through_time():
    net = Network.from_dict({"inputs": 1, "seed": 0, "loss": "mse",
                             "layers": [{"type": "recurrent", "units": 2, "activation": "tanh"},
                                        {"units": 1}]})
    X = np.linspace(0, 1, 4).reshape(1, 4, 1)
    report = trace_report(trace(net, X, np.full((1, 4, 1), 0.5)), level="layer")
    assert "the gradient goes one step back in time" in report
    assert "every time step adds its share to U's gradient" in report
    assert "1 − tanh(z)²" in report
