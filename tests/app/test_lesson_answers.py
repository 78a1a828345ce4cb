"""The student's answers: saved with the lesson position, loaded to carry on, handed in as Markdown."""

import json

from PySide6.QtCore import Qt

from backprop_viz.app.lesson_panel import LessonPanel
from backprop_viz.session.lessons import Lesson, lessons_dir


def make(qtbot):
    panel = LessonPanel(Lesson.load(lessons_dir() / "worked_example.json"))
    qtbot.addWidget(panel)
    panel.resize(480, 660)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def answer(qtbot, panel, text):
    panel.answer.clear()
    qtbot.keyClicks(panel.answer, text)
    qtbot.keyClick(panel.answer, Qt.Key.Key_Return)


def test_save_load_and_hand_in(qtbot, answers, tmp_path):
    panel = make(qtbot)
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    answer(qtbot, panel, "1.94")
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    answer(qtbot, panel, "0.9")                       # wrong
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    assert panel.score.text() == "1 of 11 checks right"
    saved = tmp_path / "my answers"
    answers.save = str(saved)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert answers.asked[-1][0] == "save"
    path = tmp_path / "my answers.json"
    assert panel.feedback.text() == f"Answers saved to {path}."
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "backprop-viz/lesson-answers" and data["position"] == 3
    assert data["answers"] == [{"step": 1, "answer": "1.94", "correct": True},
                               {"step": 2, "answer": "0.9", "correct": False}]
    # Handing in: a Markdown table a teacher can read.
    answers.save = str(tmp_path / "hand-in.md")
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    md = (tmp_path / "hand-in.md").read_text(encoding="utf-8")
    assert md.startswith("# The textbook worked example, by hand: answers\n")
    assert "1 of 11 checks right; stopped at step 4 of 12." in md
    assert "| 2. Forward: the weighted sum | predict the value of s | 1.94 | right |" in md
    assert "| 3. Forward: the activation | predict the value of predicted | 0.9 | not right |" in md
    assert "| 12. See the error fall | reach loss ≤ 0.01 | (not answered) | — |" in md
    # Another sitting: a fresh panel carries on where the saved one stopped, answers in place.
    other = make(qtbot)
    answers.open = str(path)
    qtbot.mouseClick(other.load_button, Qt.MouseButton.LeftButton)
    assert other.progress.text() == "Step 4 of 12" and other.score.text() == "1 of 11 checks right"
    qtbot.mouseClick(other.back_button, Qt.MouseButton.LeftButton)
    assert other.answer.text() == "0.9"


def test_answers_for_another_lesson_or_broken_are_refused(qtbot, answers, tmp_path):
    panel = make(qtbot)
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    answer(qtbot, panel, "1.94")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "backprop-viz/lesson-answers", "version": 1, "lesson": "XOR",
                                 "steps": 3, "position": 0, "answers": []}), encoding="utf-8")
    assert not panel.load_answers(str(other))
    kind, (title, text) = answers.asked[-1]
    assert kind == "error" and title == "Cannot load answers"
    assert "these answers are for the lesson 'XOR'" in text
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "backprop-viz/lesson-answers", "version": 1, "lesson": "x", "steps": 2,'
                      ' "position": 5, "answers": []}', encoding="utf-8")
    assert not panel.load_answers(str(broken))
    assert f"{broken}: position: expected a whole number from 0 to 1, got 5" in answers.asked[-1][1][1]
    # Nothing lost: the answer typed before is still there.
    assert panel.answers[1] == ("1.94", True) and panel.index == 1


def test_a_failed_write_says_where_and_keeps_the_answers(qtbot, answers, tmp_path):
    panel = make(qtbot)
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    answer(qtbot, panel, "1.94")
    target = tmp_path / "no such folder" / "a.md"
    answers.save = str(target)
    assert not panel.export_answers()
    kind, (title, text) = answers.asked[-1]
    assert kind == "error" and title == "Could not write the answers"
    assert str(target) in text and "still here" in text
    assert not target.parent.exists()
    assert panel.answers[1] == ("1.94", True)
