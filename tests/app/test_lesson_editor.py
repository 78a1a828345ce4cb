"""File › Save as lesson: steps written in the editor, checked by the lesson loader, saved and opened."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from backprop_viz.session.lessons import Lesson


def choose(_qtbot, combo, text):
    combo.setFocus()
    combo.setCurrentIndex(combo.findText(text))
    assert combo.currentText() == text


def type_lines(qtbot, edit, *lines):
    for i, line in enumerate(lines):
        if i:
            qtbot.keyClick(edit, Qt.Key.Key_Return)
        if line:
            qtbot.keyClicks(edit, line)


def test_write_a_lesson_and_open_it(qtbot, make_window, answers, tmp_path):
    w = make_window("worked_example")
    file_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title() == "&File")
    act = next(a for a in file_menu.actions() if a.text() == "Save as l&esson…")
    act.trigger()
    ed = w.lessons.editor
    qtbot.waitUntil(ed.isVisible)
    ed.title.clear()
    qtbot.keyClicks(ed.title, "My chain rule lesson")
    # Step 1: text, the walk at the start, the training panel hidden and the network locked.
    ed.text.clear()
    type_lines(qtbot, ed.text, "# Chain rule", "", "Watch closely.")
    choose(qtbot, ed.walk, "start")
    choose(qtbot, ed.view_choice["training"], "hidden")
    ed.lock_choice["editor"].setFocus()
    qtbot.keyClick(ed.lock_choice["editor"], Qt.Key.Key_Space)
    assert ed.lock_choice["editor"].isChecked()
    # Step 2: a predict check, with a mistake in it first.
    qtbot.mouseClick(ed.add_button, Qt.MouseButton.LeftButton)
    assert ed.step_list.count() == 2 and ed.step_list.currentRow() == 1
    assert ed.text.toPlainText() == "## Step 2\n\n"
    qtbot.keyClicks(ed.text, "What is dE/dW1?")
    assert ed.text.toPlainText() == "## Step 2\n\nWhat is dE/dW1?"
    choose(qtbot, ed.walk, "end_of_backward")
    choose(qtbot, ed.kind, "predict")
    choose(qtbot, ed.quantity, "gradient")
    qtbot.keyClicks(ed.of, "W9")
    qtbot.keyClicks(ed.hint, "dE/ds times X1")
    # A mistake is named by the loader's own words, the step selected, and nothing written.
    qtbot.mouseClick(ed.step_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=ed.step_list.visualItemRect(ed.step_list.item(0)).center())
    assert ed.step_list.currentRow() == 0
    answers.save = str(tmp_path / "mine")
    qtbot.mouseClick(ed.save_button, Qt.MouseButton.LeftButton)
    assert ed.error.text().startswith("Not saved: steps[1].check.of: no node or parameter 'W9' in this walk")
    assert ed.step_list.currentRow() == 1 and ed.of.text() == "W9"
    assert not (tmp_path / "mine.json").exists() and "save" not in answers.kinds()
    ed.of.clear()
    qtbot.keyClicks(ed.of, "W1")
    qtbot.mouseClick(ed.validate_button, Qt.MouseButton.LeftButton)
    assert ed.error.text() == "The lesson checks out: 2 steps."
    # Step 3: a reach goal, moved up before the question and back.
    qtbot.mouseClick(ed.add_button, Qt.MouseButton.LeftButton)
    ed.text.clear()
    qtbot.keyClicks(ed.text, "## Train it")
    choose(qtbot, ed.kind, "reach")
    choose(qtbot, ed.metric_choice, "loss")
    ed.goal.clear()
    qtbot.keyClicks(ed.goal, "0.01")
    qtbot.mouseClick(ed.up_button, Qt.MouseButton.LeftButton)
    assert ed.step_list.item(1).text().startswith("2. Train it [reach]")
    qtbot.mouseClick(ed.down_button, Qt.MouseButton.LeftButton)
    assert ed.step_list.item(2).text() == "3. Train it [reach]"
    qtbot.mouseClick(ed.save_button, Qt.MouseButton.LeftButton)
    path = tmp_path / "mine.json"
    assert ed.error.text() == f"Saved {path}."
    lesson = Lesson.load(path)
    assert lesson.title == "My chain rule lesson" and len(lesson.steps) == 3
    assert lesson.steps[0]["controls"] == {"shown": [], "hidden": ["training"], "locked": ["editor"]}
    assert lesson.steps[1]["check"] == {"kind": "predict", "quantity": "gradient", "of": "W1",
                                        "tolerance": 1e-6, "hint": "dE/ds times X1"}
    assert lesson.steps[2]["check"] == {"kind": "reach", "metric": "loss", "op": "<=", "value": 0.01}
    assert lesson.project.network_spec == w.doc.project.network_spec
    # The saved lesson opens and plays: the predict step takes the answer the walk computes.
    assert w.lessons.open_path(str(path))
    panel = w.lessons.panel
    assert w.docks["training"].isHidden()
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(panel.answer, "0.009276093")
    qtbot.keyClick(panel.answer, Qt.Key.Key_Return)
    assert panel.feedback.text().startswith("Right: 0.009276093")


def test_bad_numbers_are_located_and_the_file_untouched(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    ed = w.lessons.save_as_lesson()
    choose(qtbot, ed.kind, "reach")
    ed.goal.clear()
    qtbot.keyClicks(ed.goal, "lots")
    assert not ed.save(str(tmp_path / "x.json"))
    assert ed.error.text() == "Not saved: steps[0].check.value: expected a number, got 'lots'"
    choose(qtbot, ed.kind, "predict")
    choose(qtbot, ed.quantity, "loss")
    ed.tolerance.clear()
    qtbot.keyClicks(ed.tolerance, "-1")
    assert not ed.save(str(tmp_path / "x.json"))
    assert "steps[0].check.tolerance: expected a number > 0" in ed.error.text()
    assert not (tmp_path / "x.json").exists()
    # A step of its own can be removed; the last one cannot.
    assert not ed.remove_button.isEnabled()
