"""The walk's graph laid out without Qt: every node placed once, edges between drawn nodes,
folded time steps standing for their op; and the step text of a weight shared by many steps."""

import re

from backprop_viz.session.graph_layout import NODE_H, NODE_W, fold_name, layout_graph
from backprop_viz.session.stepper import BACKWARD, TERMS_TOLD, Stepper
from backprop_viz.session.templates import open_template


def walk(template="remember_5", steps=10, level="layer"):
    p = open_template(template)
    if steps is not None:
        p = p.with_data(dict(p.data, steps=steps))
    X, T, _, _ = p.arrays()
    return Stepper(p.network(), X[:1], T[:1], level=level)


def no_overlaps(lay):
    boxes = sorted((n.x, n.y, n.height) for n in lay.nodes.values())
    for (x1, y1, h1), (x2, y2, h2) in zip(boxes, boxes[1:]):
        assert not (abs(x1 - x2) < NODE_W and y1 < y2 + h2 and y2 < y1 + h1)


def test_an_unrolled_walk_draws_every_traced_node_once():
    st = walk()
    lay = layout_graph(st)
    assert sorted(lay.nodes) == [n.id for n in st.trace.nodes]
    assert len(lay.edges) == sum(len(set(n.inputs)) for n in st.trace.nodes)
    assert all(a in lay.nodes and b in lay.nodes for a, b in lay.edges)
    assert all(lay.shown_for(n.id) == n.id for n in st.trace.nodes)
    no_overlaps(lay)
    left, top, width, height = lay.rect()
    assert all(left < n.x and n.x + NODE_W < left + width and top < n.y and n.y + NODE_H < top + height
               for n in lay.nodes.values())
    # Inputs sit left of what consumes them.
    assert all(lay.nodes[a].x < lay.nodes[b].x for a, b in lay.edges)


def test_folded_time_draws_one_node_per_op_standing_for_every_step():
    st = walk()
    lay = layout_graph(st, fold_time=True)
    names = {fold_name(n.name) for n in st.trace.nodes}
    assert len(lay.nodes) == len(names) == 17
    for n in st.trace.nodes:
        shown = lay.shown_for(n.id)
        assert shown in lay.nodes and fold_name(st.trace.nodes[shown].name) == fold_name(n.name)
        assert n.id in lay.groups[shown]
    assert sum(len(m) for m in lay.groups.values()) == len(st.trace.nodes)
    assert all(a in lay.nodes and b in lay.nodes and a != b for a, b in lay.edges)
    no_overlaps(lay)


def test_neuron_level_layout_folds_wide_layers_into_a_group():
    p = open_template("xor")
    spec = dict(p.network_spec, layers=[{"units": 12, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}])
    p = p.with_network(spec)
    X, T, _, _ = p.arrays()
    st = Stepper(p.network(), X[:1], T[:1], level="neuron")
    lay = layout_graph(st)
    groups = [n for n in lay.nodes.values() if n.group]
    assert len(groups) == 1 and groups[0].title == "… 7 more"
    assert all(lay.shown_for(m) == groups[0].id for m in lay.groups[groups[0].id])
    no_overlaps(lay)


def test_a_weight_shared_by_many_steps_tells_its_first_contributions_and_their_sum():
    st = walk(steps=20)
    wh = st.trace.by_name["layers.0.weight_hidden"]
    st.position = next(i for i, s in enumerate(st.steps) if s.phase == BACKWARD and s.node == wh)
    text = st.describe()
    assert len(re.findall(r"^  from layers\.0\.t\d+\.hw:", text, re.M)) == TERMS_TOLD
    assert re.search(rf"… and {21 - TERMS_TOLD} more contributions, from layers\.0\.t\d+\.hw to layers\.0\.t\d+\.hw",
                     text)
    assert "sum of 21 contributions = [" in text
