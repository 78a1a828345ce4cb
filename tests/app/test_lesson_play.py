"""Every built-in lesson played to the end in the window, the way a student does it: opened from the
File menu, read step by step, answers typed (a wrong one first, refused with the working shown),
picks made on the network, the network drawn where the lesson asks, and trained to each goal."""

import pytest
from PySide6.QtCore import Qt

from backprop_viz.session.lessons import builtin_lessons

from .helpers import click_item
from .test_lesson_find import click_edge

# What a student types for each predict step (lesson, step): the numbers the walk shows.
TYPED = {
    ("worked_example", 1): "1.94", ("worked_example", 2): "0.874352143", ("worked_example", 3): "0.356465271",
    ("worked_example", 4): "0.844352143", ("worked_example", 5): "0.092760926",
    ("worked_example", 6): "0.009276093", ("worked_example", 7): "0.027828278", ("worked_example", 8): "down",
    ("worked_example", 9): "0.499907239", ("worked_example", 10): "0.356370591",
    ("vanishing_gradients", 2): "2.8e-8",
    ("backpropagation_through_time", 1): "0.027", ("backpropagation_through_time", 3): "2e-8",
}
# A wrong answer for the first predict step of each lesson, and what the working then shows.
WRONG = {
    "worked_example": ("2.5", "Not quite: the walk computes 1.94", "s = X1·W1 + X2·W2 + b"),
    "vanishing_gradients": ("0.01", "Not quite: the walk computes 2.8449", "∂E/∂layers.0.weight"),
    "backpropagation_through_time": ("0.5", "Not quite: the walk computes 0.0272",
                                     "‖∂E/∂h₁‖ / ‖∂E/∂h₆‖ = 0.0915 / 3.3712 = 0.0272"),
}
# The canvas selection a student makes for each find step, wrong first.
PICKS = {("vanishing_gradients", 1): [("edge", 0, 1, 5), ("edge", 9, 1, 0)]}


def type_answer(qtbot, panel, text):
    panel.answer.clear()
    qtbot.keyClicks(panel.answer, text)
    qtbot.keyClick(panel.answer, Qt.Key.Key_Return)


def draw_hidden_layer(qtbot, w, units):
    """Insert a hidden layer on the canvas and widen it with its + button."""
    click_item(qtbot, w.canvas, w.canvas.buttons["insert_layer_0"])
    qtbot.waitUntil(lambda: len(w.doc.project.network_spec["layers"]) == 2)
    while w.doc.project.network_spec["layers"][0]["units"] < units:
        click_item(qtbot, w.canvas, w.canvas.buttons["add_neuron_1"])
    assert w.doc.project.network_spec["layers"][0]["activation"] == "tanh"


def train_to_goal(qtbot, w, panel):
    tp = w.training_panel
    assert tp.isVisible() and tp.train_btn.isEnabled()
    qtbot.mouseClick(tp.train_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.feedback.text().startswith("Reached:"), timeout=90000)
    w.training.pause()
    qtbot.waitUntil(lambda: not w.training.is_running, timeout=10000)
    assert panel.answers[panel.index] == ("reached", True)


@pytest.mark.parametrize("name", sorted(builtin_lessons()))
def test_play_a_built_in_lesson(qtbot, make_window, name):
    w = make_window("xor")
    act = next(a for a in w.lessons.menu.actions() if a.text() == name.replace("_", " ").capitalize())
    act.trigger()
    panel = w.lessons.panel
    qtbot.waitUntil(panel.isVisible)
    assert w.doc.title == panel.lesson.title
    wrong_done = False
    while True:
        i = panel.index
        assert panel.progress.text() == f"Step {i + 1} of {len(panel.lesson.steps)}"
        assert panel.text.toPlainText().strip()
        check = panel.step.get("check")
        kind = check["kind"] if check else None
        if kind == "predict":
            assert panel.answer.isVisible()
            if not wrong_done and name in WRONG:
                typed, message, working = WRONG[name]
                type_answer(qtbot, panel, typed)
                assert panel.feedback.text().startswith(message), panel.feedback.text()
                assert working in panel.feedback.text()
                assert panel.answers[i] == (typed, False)
                wrong_done = True
            type_answer(qtbot, panel, TYPED[(name, i)])
            assert panel.feedback.text().startswith("Right:"), panel.feedback.text()
        elif kind == "find":
            for key in PICKS[(name, i)]:
                click_edge(qtbot, w.canvas, w.canvas.edges[key])
            assert panel.feedback.text().startswith("Right:"), panel.feedback.text()
        elif kind == "reach":
            if check.get("max_hidden_units") is not None:
                # The step asks the student to draw a hidden layer on the canvas before training.
                draw_hidden_layer(qtbot, w, units=check["max_hidden_units"])
            train_to_goal(qtbot, w, panel)
        if not panel.next_button.isEnabled():
            break
        qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
        assert panel.index == i + 1
    checks = [j for j, s in enumerate(panel.lesson.steps) if s.get("check")]
    assert sorted(j for j, (_, ok) in panel.answers.items() if ok) == checks
    assert panel.score.text() == f"{len(checks)} of {len(checks)} checks right"
    assert wrong_done or name not in WRONG


def test_open_a_lesson_from_the_welcome_page(qtbot, make_window):
    w = make_window("xor")
    hp = w.help_panel
    qtbot.waitUntil(hp.welcome.isVisible)
    names = [hp.lesson_choice.itemText(i) for i in range(hp.lesson_choice.count())]
    assert names == [a.text() for a in w.lessons.menu.actions() if a.text() and a.text() != "Lesson file…"]
    hp.lesson_choice.setFocus()
    qtbot.keyClicks(hp.lesson_choice, "Vanishing")
    assert hp.lesson_choice.currentText() == "Vanishing gradients"
    qtbot.mouseClick(hp.lesson_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.lessons.panel is not None and w.lessons.panel.isVisible())
    assert w.doc.title == "Vanishing gradients: see it, explain it, fix it"
    assert len(w.doc.project.network_spec["layers"]) == 10
