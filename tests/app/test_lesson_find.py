"""Find checks answered by selecting on the network canvas or in the computational graph."""

import json

from PySide6.QtCore import Qt

from backprop_viz.session.lessons import lessons_dir

from .helpers import click_item


def click_edge(qtbot, view, edge, t=0.2):
    """Near one end, where edges of a dense layer do not cross (they do at the middle)."""
    line = edge.line()
    at = line.p1() + (line.p2() - line.p1()) * t
    view.ensureVisible(edge)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.mapFromScene(edge.mapToScene(at)))


def test_find_the_largest_gradient_on_the_canvas(qtbot, make_window):
    w = make_window("xor")
    assert w.lessons.open_path(str(lessons_dir() / "vanishing_gradients.json"))
    panel = w.lessons.panel
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert panel.step["check"]["kind"] == "find"
    assert panel.prompt.isVisible() and not panel.answer.isVisible()
    assert "Select it" in panel.prompt.text()
    # A wrong weight: refused; the hint is in view.
    click_edge(qtbot, w.canvas, w.canvas.edges[("edge", 0, 1, 5)])
    assert w.doc.selection == ("edge", 0, 1, 5)
    text = panel.feedback.text()
    assert text.startswith("Not layers.0.weight[1,5]; look again."), text
    assert "last layer" in panel.hint.text() and panel.hint.isVisible()
    # The right one.
    click_edge(qtbot, w.canvas, w.canvas.edges[("edge", 9, 1, 0)])
    assert panel.feedback.text() == "Right: layers.9.weight[1,0]."
    assert panel.answers[panel.index] == ("layers.9.weight[1,0]", True)
    # A later wrong click does not take back the right answer; coming back shows it.
    click_edge(qtbot, w.canvas, w.canvas.edges[("edge", 9, 0, 0)])
    assert panel.feedback.text().startswith("Not layers.9.weight[0,0]")
    assert panel.answers[panel.index] == ("layers.9.weight[1,0]", True)
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)
    assert panel.feedback.text() == "Your pick: layers.9.weight[1,0]."
    # The graph is at layer level here: a whole tensor is not one weight.
    sp = w.stepper_panel
    nid = sp.stepper.trace.by_name["layers.8.weight"]
    click_item(qtbot, sp.graph, sp.graph.items[nid])
    assert panel.feedback.text() == "layers.8.weight holds 64 values: select one of them on the network."


def test_find_by_clicking_the_graph(qtbot, make_window, tmp_path):
    data = json.loads((lessons_dir() / "worked_example.json").read_text(encoding="utf-8"))
    data["steps"] = [{"text": "## Find it\n\nClick the weight with the **largest** gradient.",
                      "setup": {"walk": "end_of_backward"},
                      "controls": {"shown": ["stepper", "graph"]},
                      "check": {"kind": "find", "answer": "W2", "hint": "∂E/∂W2 = ∂E/∂s × X2"}},
                     {"text": "## Find the sum", "check": {"kind": "find", "answer": "s"}}]
    path = tmp_path / "find.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    w = make_window("xor")
    assert w.lessons.open_path(str(path))
    panel = w.lessons.panel
    sp = w.stepper_panel
    labels = {n.label: n.id for n in sp.stepper.view.nodes}
    click_item(qtbot, sp.graph, sp.graph.items[labels["W1"]])
    assert panel.feedback.text() == "Not W1; look again.", panel.feedback.text()
    click_item(qtbot, sp.graph, sp.graph.items[labels["W2"]])
    assert panel.feedback.text() == "Right: W2."
    # The graph's click selected the weight on the canvas too (the panels are linked).
    assert w.doc.selection == ("edge", 0, 1, 0)
    # A node that is not on the canvas (the weighted sum) answers from the graph alone.
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    click_item(qtbot, sp.graph, sp.graph.items[labels["predicted"]])
    assert panel.feedback.text().startswith("Not predicted")
    click_item(qtbot, sp.graph, sp.graph.items[labels["s"]])
    assert panel.feedback.text() == "Right: s."
    # Selecting on the canvas: the output neuron is "predicted", named by its activation.
    click_item(qtbot, w.canvas, w.canvas.neurons[("neuron", 1, 0)])
    assert panel.feedback.text().startswith("Not predicted; look again.")
