"""A long walk's graph is built a slice at a time while the window answers; the walk, find,
folding and export work on a graph that is not finished yet, and a new open or trace throws
the unfinished build away."""

import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QToolButton
from shiboken6 import isValid

from backprop_viz.app import graph_view as gv
from backprop_viz.app.graph_items import EdgeChunkItem, GraphNodeItem
from backprop_viz.session.templates import open_template

# remember_5 over 10 more steps: 78 nodes and 106 edges unrolled, 17 and 17 folded.
NODES, EDGES = 78, 106


def sequence(steps=10):
    p = open_template("remember_5")
    return p.with_data(dict(p.data, steps=steps))


class SliceGate:
    """Lets only as many build slices run as the test allows, so a build can be looked at
    half-way; the slices held back wait for :meth:`allow` or :meth:`release`."""

    def __init__(self):
        self.allowed: int | None = 0
        self.waiting = []

    def allow(self, n: int) -> None:
        self.allowed = n
        self._restart()

    def release(self) -> None:
        self.allowed = None
        self._restart()

    def _restart(self):
        waiting, self.waiting = self.waiting, []
        for view in waiting:
            if isValid(view):
                view._slicer.start()


@pytest.fixture
def gate(monkeypatch):
    """Graphs of more than 20 nodes are built in slices of one item each, held at the gate."""
    monkeypatch.setattr(gv, "AT_ONCE", 20)
    monkeypatch.setattr(gv, "SLICE_MS", 0)
    monkeypatch.setattr(gv, "EDGES_PER_ITEM", 16)
    g = SliceGate()
    original = gv.GraphView._next_slice

    def gated(view):
        if g.allowed is not None and g.allowed <= 0:
            g.waiting.append(view)
            return
        if g.allowed is not None:
            g.allowed -= 1
        original(view)
    monkeypatch.setattr(gv.GraphView, "_next_slice", gated)
    yield g
    g.release()


def let_slices_run(qtbot, gate, n):
    gate.allow(n)
    qtbot.waitUntil(lambda: gate.allowed == 0)


def until_laid_out(qtbot, gate, graph):
    """Slices one at a time until the graph is laid out (its first node made)."""
    while graph.layout_ is None:
        let_slices_run(qtbot, gate, 1)
    assert graph.building


def finish(qtbot, gate, graph):
    gate.release()
    qtbot.waitUntil(lambda: graph.up_to_date, timeout=10000)
    assert not graph._slicer.isActive()


def drawn(graph):
    """(node items, edges drawn) in the scene."""
    items = graph.scene().items()
    nodes = [i for i in items if isinstance(i, GraphNodeItem)]
    return nodes, sum(len(i.edges) for i in items if isinstance(i, EdgeChunkItem))


def rings(graph):
    return [nid for nid, item in graph.items.items() if item.pen().widthF() >= 4]


def click(qtbot, panel, name):
    qtbot.mouseClick(panel.findChild(QToolButton, name), Qt.MouseButton.LeftButton)


def test_a_long_graph_is_built_in_slices_under_a_note_then_whole(qtbot, make_window, gate):
    w = make_window(project=sequence())
    graph = w.stepper_panel.graph
    assert graph.building and not graph.note.isHidden()
    assert graph.note.text() == f"Building graph… laying out {NODES} nodes"
    let_slices_run(qtbot, gate, 6)
    made = len(graph.items)
    assert 0 < made < NODES and graph.building
    assert graph.note.text() == f"Building graph… {made} of {NODES} nodes"
    assert len(drawn(graph)[0]) == made
    # Fit takes the whole graph's extent, not only the part made so far.
    qtbot.mouseClick(w.stepper_panel.findChild(QToolButton, "fitGraph"), Qt.MouseButton.LeftButton)
    assert graph.scene().sceneRect() == QRectF(*graph.layout_.rect())
    assert 0.44 < graph.transform().m11() <= 1.2
    # Hover text is there for a node not made yet (it is written when asked).
    last = max(graph.layout_.nodes)
    assert last not in graph.items and graph.tooltip_for(last).startswith("loss.data")
    with qtbot.waitSignal(graph.buildFinished, timeout=10000):
        gate.release()
    finish(qtbot, gate, graph)
    assert graph.note.isHidden()
    nodes, edges = drawn(graph)
    assert len(nodes) == len(graph.items) == NODES
    assert edges == len(graph.edges) == EDGES
    # What is on screen was made first: the view shows made nodes, not an empty stretch.
    assert {i.node_id for i in nodes} == set(graph.layout_.nodes)


def test_the_walk_rings_the_right_node_during_and_after_the_build(qtbot, make_window, gate):
    w = make_window(project=sequence())
    panel, graph = w.stepper_panel, w.stepper_panel.graph
    until_laid_out(qtbot, gate, graph)
    for _ in range(3):
        click(qtbot, panel, "stepButton")
    assert graph.building
    assert rings(graph) == [panel.stepper.current.node]
    click(qtbot, panel, "toEndButton")
    assert graph.building
    assert rings(graph) == [panel.stepper.current.node]
    click(qtbot, panel, "backButton")
    assert rings(graph) == [panel.stepper.current.node]
    finish(qtbot, gate, graph)
    st = panel.stepper
    assert rings(graph) == [st.current.node]
    # Every node made after those steps shows the walk as it is now.
    for nid, item in graph.items.items():
        has_value, has_grad = st.node_state(nid)
        assert (item.value.text() != "not computed") == has_value, st.trace.nodes[nid].name
        assert item.grad.text().startswith("∂E") == (has_grad and st.trace.nodes[nid].grad is not None)


def test_find_goes_to_a_node_the_build_has_not_reached(qtbot, make_window, gate):
    w = make_window(project=sequence())
    panel, graph = w.stepper_panel, w.stepper_panel.graph
    until_laid_out(qtbot, gate, graph)
    nid = panel.stepper.trace.by_name["layers.0.t10.act"]
    assert nid not in graph.items and graph.building
    qtbot.keyClicks(panel.find, "layers.0.t10.act")
    qtbot.keyClick(panel.find, Qt.Key.Key_Return)
    assert panel.sample_error.text() == ""
    assert graph.selected == nid and graph.items[nid].isSelected()
    centre = graph.mapFromScene(graph.items[nid].sceneBoundingRect().center())
    assert graph.viewport().rect().contains(centre)
    finish(qtbot, gate, graph)
    assert [i.node_id for i in graph.scene().selectedItems()] == [nid]


def test_find_right_after_opening_lays_the_graph_out_at_once(qtbot, make_window, gate):
    w = make_window(project=sequence())
    panel, graph = w.stepper_panel, w.stepper_panel.graph
    assert graph.layout_ is None and graph.building
    qtbot.keyClicks(panel.find, "loss.data")
    qtbot.keyClick(panel.find, Qt.Key.Key_Return)
    nid = panel.stepper.trace.by_name["loss.data"]
    assert panel.sample_error.text() == "" and graph.selected == nid and graph.items[nid].isSelected()
    finish(qtbot, gate, graph)
    assert len(drawn(graph)[0]) == NODES


def test_an_open_or_a_fold_during_a_build_leaves_no_stale_items(qtbot, make_window, gate, tmp_path):
    w = make_window(project=sequence())
    old = w.stepper_panel.graph
    let_slices_run(qtbot, gate, 4)
    assert old.building
    path = tmp_path / "twelve.json"
    sequence(12).save(str(path))
    assert w.open_path(str(path))
    graph = w.stepper_panel.graph
    assert graph is not old
    let_slices_run(qtbot, gate, 4)
    qtbot.mouseClick(w.stepper_panel.fold, Qt.MouseButton.LeftButton)     # a new graph: folded
    finish(qtbot, gate, graph)
    nodes, edges = drawn(graph)
    assert len(nodes) == len(graph.items) == 17 and edges == 17
    assert len(graph.scene().items()) == 17 + len(graph._chunks)
    gate.allow(3)
    qtbot.mouseClick(w.stepper_panel.fold, Qt.MouseButton.LeftButton)     # unrolled again, mid-way stopped
    qtbot.waitUntil(lambda: gate.allowed == 0)
    finish(qtbot, gate, graph)
    nodes, edges = drawn(graph)
    assert len(nodes) == len(graph.items) == 90 and edges == 124
    # The replaced panel's graph went with its timer.
    qtbot.waitUntil(lambda: not isValid(old))


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_export_of_a_graph_being_built_draws_all_of_it(qtbot, make_window, gate, tmp_path, ext):
    w = make_window(project=sequence())
    graph = w.stepper_panel.graph
    let_slices_run(qtbot, gate, 2)
    assert graph.building
    out = tmp_path / f"graph.{ext}"
    assert w.exports.graph(str(out))
    assert graph.up_to_date and len(drawn(graph)[0]) == NODES
    if ext == "png":
        image = QImage(str(out))
        assert not image.isNull() and image.width() > image.height()
    else:
        text = " ".join(t.text or "" for t in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text"))
        for t in (1, 5, 10):
            assert f"h1 @t{t}" in text
    gate.release()
