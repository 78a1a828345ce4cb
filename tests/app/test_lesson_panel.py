"""The worked-example lesson played as a student would: reading, typing answers, back and next."""

from PySide6.QtCore import Qt

from backprop_viz.app.lesson_panel import LessonPanel
from backprop_viz.session.lessons import Lesson, lessons_dir

ANSWERS = {("value", "s"): "1.94", ("value", "predicted"): "0.874352143", ("loss", None): "0.356465271",
           ("gradient", "predicted"): "0.844352143", ("gradient", "s"): "0.092760926",
           ("gradient", "W1"): "0.009276093", ("gradient", "W2"): "0.027828278",
           ("update_sign", "W1"): "down", ("updated", "W1"): "0.499907239",
           ("loss_after", None): "0.356370591"}


def test_reach_feedback_from_metrics(qtbot):
    panel = make(qtbot)
    panel.show_step(len(panel.lesson.steps) - 1)
    assert panel.show_metrics({}, 0) is False
    assert "train first" in panel.feedback.text()
    assert panel.show_metrics({"loss": 0.2}, 0) is False
    assert panel.feedback.text().startswith("Not yet: loss = 0.2")
    assert panel.show_metrics({"loss": 0.009}, 0) is True
    assert panel.feedback.text().startswith("Reached: loss = 0.009")


def make(qtbot):
    panel = LessonPanel(Lesson.load(lessons_dir() / "worked_example.json"))
    qtbot.addWidget(panel)
    panel.resize(480, 640)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def type_answer(qtbot, panel, text):
    panel.answer.clear()
    qtbot.keyClicks(panel.answer, text)
    qtbot.keyClick(panel.answer, Qt.Key.Key_Return)


def test_play_the_worked_example_lesson(qtbot):
    panel = make(qtbot)
    assert panel.progress.text() == f"Step 1 of {len(panel.lesson.steps)}"
    assert "worked example" in panel.text.toPlainText()
    assert not panel.answer.isVisible() and not panel.back_button.isEnabled()
    answered = 0
    while panel.next_button.isEnabled():
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
        check = panel.step.get("check")
        if check and check["kind"] == "predict":
            assert panel.answer.isVisible()
            type_answer(qtbot, panel, ANSWERS[(check["quantity"], check.get("of"))])
            assert panel.feedback.text().startswith("Right:"), panel.feedback.text()
            answered += 1
    assert answered == len(ANSWERS)
    assert "loss" in panel.hint.text().lower()       # the last step: train to the goal
    assert panel.progress.text() == f"Step {len(panel.lesson.steps)} of {len(panel.lesson.steps)}"


def test_wrong_answer_is_refused_with_the_working(qtbot):
    panel = make(qtbot)
    while panel.step.get("check", {}).get("of") != "W1":
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert "∂E/∂W1" in panel.text.toPlainText()
    type_answer(qtbot, panel, "0.0278")
    text = panel.feedback.text()
    assert text.startswith("Not quite: the walk computes 0.009276093")
    assert "∂E/∂W1 = ∂E/∂s·∂s/∂W1 = 0.092760926 × 0.1 = 0.009276093" in text
    assert "∂E/∂s × X1" in panel.hint.text()
    type_answer(qtbot, panel, "lots")
    assert "not a number" in panel.feedback.text()
    type_answer(qtbot, panel, "0.009276093")
    assert panel.feedback.text().startswith("Right: 0.009276093")
    # Back and forth keeps the student's answer.
    qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert panel.answer.text() == "0.009276093"


def test_open_a_built_in_lesson_from_the_file_menu(qtbot, make_window):
    w = make_window("xor")
    menu = w.lessons.menu
    assert menu.title() == "Open &lesson"
    act = next(a for a in menu.actions() if a.text() == "Worked example")
    act.trigger()
    panel = w.lessons.panel
    qtbot.waitUntil(panel.isVisible)
    assert w.doc.title == "The textbook worked example, by hand"
    sp = w.stepper_panel
    # The window's walk follows the lesson: at the W1 question it stands just before ∂E/∂W1.
    while panel.step.get("check", {}).get("of") != "W1":
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert sp.stepper.describe().startswith("∂E/∂s")
    # The last step sets a larger learning rate for training to the goal.
    while panel.next_button.isEnabled():
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert w.doc.project.training["optimizer"]["lr"] == 0.5
    assert panel.feedback.text().startswith("Not yet") or "train first" in panel.feedback.text()
    # Training to the goal: the panel says so as soon as the run's loss reaches it.
    with qtbot.waitSignal(w.training.snapshot, timeout=20000):
        qtbot.mouseClick(w.training_panel.train_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.feedback.text().startswith("Reached: loss = "), timeout=60000)
    w.training.pause()


def test_a_bad_lesson_file_is_refused_with_its_field(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "backprop-viz/lesson", "version": 1, "title": "x", "steps": []}',
                   encoding="utf-8")
    assert not w.lessons.open_path(str(bad))
    kind, (title, text) = answers.asked[-1]
    assert kind == "error" and title == "Cannot open lesson"
    assert f"{bad}: project: missing" in text
    assert w.lessons.panel is None and w.doc.title != "x"
