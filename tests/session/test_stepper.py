import numpy as np
import pytest

from backprop_viz.engine import Network, NeuronViewUnavailable
from backprop_viz.session.stepper import (BACKWARD, FORWARD, LAYER, LOSS_AFTER, NEURON, UPDATE, Stepper,
                                          numeric_check, sensitivity_text)
from backprop_viz.session.templates import open_template


def seed():
    p = open_template("worked_example")
    X, T, _, _ = p.arrays()
    return Stepper(p.network(), X, T, lr=0.01)


def test_walk_order_forward_backward_update():
    st = seed()
    phases = [s.phase for s in st.steps]
    assert phases == [FORWARD] * 3 + [BACKWARD] * 6 + [UPDATE] * 3 + [LOSS_AFTER]
    assert st.position == -1 and st.phase == "start"
    st.run_to_loss()
    assert st.describe().startswith("E = ½")
    st.run_to_end_of_backward()
    assert st.describe().startswith("∂E/∂W1")
    st.restart()
    assert st.current is None


def test_back_and_forward_are_inverse():
    st = seed()
    seen = []
    while st.forward():
        seen.append(st.describe())
    back = []
    while st.position > 0:
        st.back()
        back.append(st.describe())
    assert back[::-1] == seen[:-1]


def test_node_state():
    st = seed()
    v = st.view
    s = v.by_label["s"]
    assert st.node_state(s) == (False, False)
    assert st.node_state(v.by_label["W1"]) == (True, False)     # leaves are known from the start
    st.forward()
    assert st.node_state(s) == (True, False)
    st.run_to_end_of_backward()
    assert st.node_state(s) == (True, True)


def test_walk_is_identical_at_both_levels_per_parameter():
    p = open_template("xor")
    X, T, _, _ = p.arrays()
    st = Stepper(p.network(), X[:1], T[:1])
    st.set_level(NEURON)
    neuron_updates = [st.view.nodes[s.node].param[0] for s in st.steps if s.phase == UPDATE]
    st.set_level(LAYER)
    layer_updates = [st.trace.nodes[s.node].name for s in st.steps if s.phase == UPDATE]
    for name, value in st.network.parameters().items():
        assert neuron_updates.count(name) == value.size
        assert layer_updates.count(name) == 1


def test_level_switch_keeps_phase_and_node():
    p = open_template("xor")
    X, T, _, _ = p.arrays()
    st = Stepper(p.network(), X[:1], T[:1], level=NEURON)
    for _ in range(5):
        st.forward()
    label = st.view.nodes[st.current.node].label     # a hidden activation a1[...]
    st.set_level(LAYER)
    assert st.trace.nodes[st.current.node].name in ("layers.0.sum", "layers.0.act")
    st.set_level(NEURON)
    assert st.current.phase == FORWARD
    assert st.view.nodes[st.current.node].tensor[0] == "layers.0.act" or label.startswith("s1")
    st.run_to_end_of_backward()
    st.set_level(LAYER)
    assert st.current.phase == BACKWARD


def test_batch_has_no_neuron_level():
    p = open_template("xor")
    X, T, _, _ = p.arrays()
    st = Stepper(p.network(), X[:8], T[:8])
    assert st.level == LAYER and not st.neuron_available
    with pytest.raises(NeuronViewUnavailable):
        st.set_level(NEURON)


def test_large_networks_start_at_layer_level():
    p = open_template("deep_sigmoid")
    X, T, _, _ = p.arrays()
    st = Stepper(p.network(), X[:1], T[:1])
    assert st.level == LAYER and st.neuron_available


def test_sensitivity_text():
    assert sensitivity_text("W1", 0.009276093) == "increasing W1 by 0.01 increases E by about 0.0000928"
    assert sensitivity_text("W", -2.0) == "increasing W by 0.01 decreases E by about 0.0200"
    assert "does not change" in sensitivity_text("W", 0.0)


def test_numeric_check_agrees():
    st = seed()
    numeric, analytic, rel = numeric_check(st.network, st.trace.X, st.trace.T, "layers.0.weight", (0, 0))
    assert analytic == pytest.approx(0.009276093, abs=5e-10)
    assert rel < 1e-8


def test_updated_parameters_do_not_touch_the_network():
    st = seed()
    before = st.network.flat.copy()
    new = st.updated_parameters()
    assert new["layers.0.weight"][0, 0] == pytest.approx(0.49990723907, abs=1e-11)
    np.testing.assert_array_equal(st.network.flat, before)
    assert isinstance(st.network, Network)


def test_per_sample_contributions_sum_to_the_batch_gradient():
    from backprop_viz.session.stepper import per_sample_contributions
    p = open_template("residual")
    X, T, _, _ = p.arrays()
    spec = dict(p.network_spec, l1=0.01, l2=0.02)
    net = Network.from_dict(spec)
    contributions, penalty, total = per_sample_contributions(net, X[:30], T[:30], "layers.2.weight", (1, 3))
    assert len(contributions) == 30 and penalty != 0
    assert sum(contributions) + penalty == pytest.approx(total, rel=1e-12, abs=1e-15)
    bn = Network.from_dict({"inputs": 2, "layers": [{"units": 2, "norm": "batch"}, {"units": 1}]})
    assert per_sample_contributions(bn, X[:4], T[:4], "layers.0.weight", (0, 0)) is None
