"""Wide layers in the neuron-level graph: folded into "… N more", opened by the walk, find and a click."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from backprop_viz.app import theme
from backprop_viz.app.graph_view import GroupNodeItem
from backprop_viz.session.graph_folding import KEEP_HEAD, KEEP_TAIL
from backprop_viz.session.project import Project
from backprop_viz.session.stepper import BACKWARD, FORWARD

from .helpers import click_item

SPEC = {"format": "backprop-viz/network", "version": 1, "inputs": 2, "loss": "mse", "seed": 0,
        "layers": [{"units": 20, "activation": "tanh"}, {"units": 12, "activation": "tanh"}, {"units": 1}]}


def wide_walk(qtbot, make_window):
    w = make_window(project=Project(SPEC))
    w.set_workspace("walk")
    panel = w.stepper_panel
    qtbot.mouseClick(panel.level_neuron, Qt.MouseButton.LeftButton)
    assert panel.stepper.level == "neuron"
    return w, panel


def groups(graph):
    return {item.group.column: item for item in graph.items.values() if isinstance(item, GroupNodeItem)}


def visible_in_view(graph, item):
    return graph.viewport().rect().contains(graph.mapFromScene(item.sceneBoundingRect().center()))


def test_a_wide_layer_is_drawn_folded_with_its_group_node(qtbot, make_window):
    w, panel = wide_walk(qtbot, make_window)
    g, v = panel.graph, panel.stepper.view
    hidden = 20 - KEEP_HEAD - KEEP_TAIL
    group = groups(g)[1]
    assert group.title.text() == f"… {hidden} more"
    assert group.value.text().endswith("computed")
    assert f"{hidden} neurons of layer 1 folded" in g.tooltip_for(group.node_id)
    drawn = {v.nodes[n].label for n in g.items if n < len(v.nodes)}
    assert {"s1[1]", "s1[3]", "s1[19]", "a1[20]", "W1[2,20]"} <= drawn
    assert not {"s1[4]", "a1[10]", "W2[5,1]"} & drawn
    # The group stands where the first folded neuron would be: between s1[3] and s1[19].
    y = lambda label: g.items[v.by_label[label]].sceneBoundingRect().center().y()   # noqa: E731
    assert y("s1[3]") < group.sceneBoundingRect().center().y() < y("s1[19]")
    # Edges of folded neurons leave from the group.
    assert any(src == group.node_id and dst == v.by_label["s2[1]"] for src, dst, _ in g.edges)
    # Unfolded, every neuron has its own node.
    qtbot.mouseClick(panel.fold_wide, Qt.MouseButton.LeftButton)
    assert not groups(g) and len(g.items) == len(v.nodes)


def test_a_click_on_the_group_shows_the_whole_layer(qtbot, make_window):
    w, panel = wide_walk(qtbot, make_window)
    g, v = panel.graph, panel.stepper.view
    click_item(qtbot, g, groups(g)[1])
    qtbot.waitUntil(lambda: 1 not in groups(g))
    assert v.by_label["s1[10]"] in g.items and 2 in groups(g)


def test_stepping_into_a_folded_neuron_unfolds_it_and_rings_it(qtbot, make_window):
    w, panel = wide_walk(qtbot, make_window)
    g, st = panel.graph, panel.stepper
    v = st.view
    step = panel.findChild(QToolButton, "stepButton")
    target = v.by_label["s1[7]"]
    while st.current is None or st.current.node != target:
        qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
    assert st.current.phase == FORWARD
    item = g.items[target]
    assert item.pen().color() == theme.HIGHLIGHT and item.pen().widthF() == 4
    assert visible_in_view(g, item)
    assert groups(g)[1].title.text() == f"… {20 - KEEP_HEAD - KEEP_TAIL - 1} more"
    # The next neuron is folded away again once the walk has left it.
    qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
    assert v.nodes[st.current.node].label == "s1[8]" and target not in g.items
    assert v.by_label["s1[8]"] in g.items
    # Backward, a weight fed by a folded neuron of the layer before shows that neuron too.
    w27 = v.by_label["W2[7,11]"]
    while st.current.node != w27:
        qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
    assert st.current.phase == BACKWARD
    assert w27 in g.items and v.by_label["a1[7]"] in g.items and v.by_label["s2[11]"] in g.items
    assert g.items[w27].pen().color() == theme.HIGHLIGHT and visible_in_view(g, g.items[w27])


def test_find_by_name_unfolds_the_node(qtbot, make_window):
    w, panel = wide_walk(qtbot, make_window)
    g, v = panel.graph, panel.stepper.view
    nid = v.by_label["W2[9,6]"]
    assert nid not in g.items
    qtbot.keyClicks(panel.find, "W2[9,6]")
    qtbot.keyClick(panel.find, Qt.Key.Key_Return)
    assert nid in g.items and g.selected == nid
    assert g.items[nid].pen().color() == theme.HIGHLIGHT
    assert visible_in_view(g, g.items[nid])
    assert panel.formula.title.text() == "Chain rule for W2[9,6]"
    assert panel.sample_error.text() == ""
    # Found is kept shown while the walk moves on.
    panel.step_forward()
    assert nid in g.items
