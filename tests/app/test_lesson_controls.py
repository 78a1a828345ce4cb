"""A lesson step's shown, hidden and locked controls in the window, and the window as it was after."""

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from backprop_viz.session.layout_geometry import TRAIN
from backprop_viz.session.lessons import lessons_dir

from .helpers import activate, click_item

DOCKS = ("inspector", "training", "stepper", "data", "plots")


def open_lesson(qtbot, w, name):
    assert w.lessons.open_path(str(lessons_dir() / f"{name}.json"))
    qtbot.waitUntil(w.lessons.panel.isVisible)
    return w.lessons.panel


def go_to(qtbot, panel, i):
    while panel.index < i:
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    while panel.index > i:
        qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)


def test_worked_example_hides_and_locks_and_gives_back(qtbot, make_window):
    w = make_window("xor")
    panel = open_lesson(qtbot, w, "worked_example")
    # Step 1: the walk and its graph in view; training, data and plots out of the way.
    assert not w.docks["stepper"].isHidden()
    for name in ("training", "data", "plots"):
        assert w.docks[name].isHidden(), name
    assert not w.inspector.isEnabled()
    # The network cannot be edited: the canvas's + button is refused with the lesson's reason.
    layers = len(w.doc.project.network_spec["layers"])
    add = next(b for k, b in w.canvas.buttons.items() if k.startswith("add_layer") or k.startswith("add_neuron"))
    click_item(qtbot, w.canvas, add)
    assert len(w.doc.project.network_spec["layers"]) == layers
    assert "keeps the network as it is" in w.statusBar().currentMessage()
    # The walk cannot be stepped ahead of the question, by button or key.
    sp = w.stepper_panel
    step = sp.actions_by_name["stepButton"]
    assert not step.isEnabled()
    position = sp.stepper.position
    activate(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert sp.stepper.position == position
    # A step without controls keeps the previous step's.
    go_to(qtbot, panel, 3)
    assert w.docks["training"].isHidden() and not step.isEnabled()
    # A workspace lays the docks out afresh; the lesson's hidden panels stay hidden.
    w.set_workspace(TRAIN)
    assert w.docks["training"].isHidden() and w.docks["plots"].isHidden()
    # The last step: training in view with its settings locked (the learning rate the lesson set),
    # Train itself working; the walk and the inspector are free again.
    go_to(qtbot, panel, len(panel.lesson.steps) - 1)
    assert not w.docks["training"].isHidden() and not w.docks["plots"].isHidden()
    tp = w.training_panel
    assert tp.fields["lr"].text() == "0.5"
    assert not tp.fields["lr"].isEnabled() and not tp.optimizer.isEnabled()
    assert tp.train_btn.isEnabled()
    assert w.inspector.isEnabled() and step.isEnabled() == (not sp.stepper.at_end)
    assert sp.actions_by_name["restartButton"].isEnabled()
    # Back to step 1: locks and hiding come back.
    go_to(qtbot, panel, 0)
    assert w.docks["training"].isHidden() and not w.inspector.isEnabled()
    assert tp.fields["lr"].isEnabled() or w.training_panel is not tp
    # Closing the lesson gives the window back as the workspace had it.
    w.set_workspace(TRAIN)
    panel.close()
    qtbot.waitUntil(lambda: w.lessons.panel is None)
    assert w.inspector.isEnabled() and w.training_panel.settings_box.isEnabled()
    assert sp.actions_by_name["restartButton"].isEnabled()
    assert w.editor.lesson_lock is None
    assert not w.docks["training"].isHidden() and not w.docks["plots"].isHidden()


def lesson_with(tmp_path, controls, steps=2):
    data = json.loads((lessons_dir() / "first_network.json").read_text(encoding="utf-8"))
    data["steps"] = [{"text": f"# Step {i + 1}", **({"controls": controls} if i == 0 else
                                                   {"controls": {}})} for i in range(steps)]
    path = tmp_path / "controls.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_every_control_name_hides_and_locks(qtbot, make_window, tmp_path):
    w = make_window("xor")
    w.set_workspace(TRAIN)
    templates = next(m.menuAction() for m in w.menuBar().findChildren(QMenu) if m.title() == "New from &template")
    export = w.export_menu.menuAction()
    assert templates.isVisible() and export.isVisible()
    path = lesson_with(tmp_path, {"hidden": ["templates", "export", "graph"],
                                  "locked": ["training", "data", "plots", "formula", "stepper"]})
    assert w.lessons.open_path(path)
    panel = w.lessons.panel
    assert not templates.isVisible() and not export.isVisible()
    assert w.stepper_panel.graph.isHidden()
    assert not w.training_panel.settings_box.isEnabled()
    assert not w.data_panel.isEnabled() and not w.plots.isEnabled() and not w.stepper_panel.formula.isEnabled()
    assert w.stepper_panel.locked
    # The next step has empty controls: everything is back.
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert templates.isVisible() and export.isVisible() and not w.stepper_panel.graph.isHidden()
    assert w.training_panel.settings_box.isEnabled() and w.data_panel.isEnabled() and w.plots.isEnabled()
    assert not w.stepper_panel.locked
    qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)
    assert not templates.isVisible()
    # Opening another project while the lesson is open: its new panels get the step's locks too.
    w.new_project("xor")
    assert not w.training_panel.settings_box.isEnabled() and w.stepper_panel.locked
    w.lessons.close_lesson()
    assert templates.isVisible() and export.isVisible()
    assert w.training_panel.settings_box.isEnabled() and not w.stepper_panel.locked
