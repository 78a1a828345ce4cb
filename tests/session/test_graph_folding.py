"""Which neurons the neuron-level graph draws when a layer is wide."""

import numpy as np

from backprop_viz.engine import Network, neuron_view, trace
from backprop_viz.session.graph_folding import FOLD_ABOVE, KEEP_HEAD, KEEP_TAIL, fold_plan, needed_units

SPEC = {"format": "backprop-viz/network", "inputs": 2, "loss": "mse", "seed": 0,
        "layers": [{"units": 20, "activation": "tanh"}, {"units": 12, "activation": "tanh"}, {"units": 1}]}


def view():
    net = Network.from_dict(SPEC)
    return neuron_view(trace(net, np.array([[0.5, -0.2]]), [[0.1]]))


def test_wide_layers_keep_their_first_and_last_neurons_and_one_group():
    v = view()
    plan = fold_plan(v)
    cols = {g.column: g for g in plan.groups.values()}
    assert sorted(cols) == [1, 2]                       # the 2 inputs and the 1 output are narrow
    assert cols[1].units == list(range(KEEP_HEAD, 20 - KEEP_TAIL))
    assert cols[1].title == f"… {20 - KEEP_HEAD - KEEP_TAIL} more"
    s5 = v.by_label["s1[5]"]
    assert plan.rep[s5] == cols[1].id and not plan.visible(s5)
    assert plan.visible(v.by_label["s1[1]"]) and plan.visible(v.by_label["a1[20]"])
    # A chip fed by a folded neuron is drawn inside its (visible) sum.
    w = v.by_label["W2[5,1]"]
    assert plan.rep[w] == v.by_label["s2[1]"] and w in plan.hidden
    assert plan.visible(v.by_label["W2[1,1]"])
    # Every hidden node belongs to exactly one drawn node.
    assert all(plan.visible(plan.rep[n]) or plan.rep[n] in plan.groups for n in plan.rep)


def test_shown_neurons_and_open_columns_are_drawn_whole():
    v = view()
    w = v.by_label["W2[7,11]"]
    need = needed_units(v, w)
    assert need == {(1, 6), (2, 10)}
    plan = fold_plan(v, shown=need)
    assert plan.visible(w) and plan.visible(v.by_label["a1[7]"]) and plan.visible(v.by_label["s2[11]"])
    assert 6 not in next(g for g in plan.groups.values() if g.column == 1).units
    opened = fold_plan(v, expanded={1, 2})
    assert not opened.groups and not opened.hidden
    assert not fold_plan(v, fold_wide=False).hidden


def test_narrow_layers_are_never_folded():
    spec = {**SPEC, "layers": [{"units": FOLD_ABOVE}, {"units": 1}]}
    v = neuron_view(trace(Network.from_dict(spec), np.array([[0.5, -0.2]]), [[0.1]]))
    assert not fold_plan(v).groups
