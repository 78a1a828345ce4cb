"""A lesson, one step at a time: its text, its check with an answer field, feedback, back and next.

Predict checks are answered against the walk of the project as the step sets it up
(:func:`~backprop_viz.session.lessons.lesson_stepper`), the same numbers the stepper shows.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout,
                               QWidget)

from ..engine import SpecError
from ..session.lessons import Lesson, check_predict, check_reach, lesson_stepper, place_walk

PROMPTS = {"value": "Your value:", "gradient": "Your gradient:", "updated": "New value:",
           "update_sign": "up or down:", "loss": "Your loss:", "loss_after": "Loss after:"}


class LessonPanel(QWidget):
    step_changed = Signal(int)

    def __init__(self, lesson: Lesson, parent=None):
        super().__init__(parent)
        self.lesson = lesson
        self.index = 0
        self.answers: dict[int, tuple[str, bool]] = {}     # step → (last answer, right?)
        self.stepper = None
        self.title = QLabel(f"<b>{lesson.title}</b>")
        self.title.setWordWrap(True)
        self.progress = QLabel()
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.prompt = QLabel()
        self.answer = QLineEdit()
        self.answer.setPlaceholderText("type your answer, then Enter")
        self.check_button = QPushButton("Check")
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setTextInteractionFlags(self.feedback.textInteractionFlags()
                                              | self.feedback.textInteractionFlags().TextSelectableByMouse)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")

        row = QHBoxLayout()
        row.addWidget(self.prompt)
        row.addWidget(self.answer, 1)
        row.addWidget(self.check_button)
        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        nav.addWidget(self.progress, 1)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        layout.addWidget(self.feedback)
        layout.addWidget(self.hint)
        layout.addLayout(nav)

        self.check_button.clicked.connect(self.check)
        self.answer.returnPressed.connect(self.check)
        self.back_button.clicked.connect(lambda: self.show_step(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_step(self.index + 1))
        self.show_step(0)

    @property
    def step(self) -> dict:
        return self.lesson.steps[self.index]

    def _predict(self) -> dict | None:
        check = self.step.get("check")
        return check if check and check["kind"] == "predict" else None

    def show_step(self, i: int) -> None:
        i = max(0, min(i, len(self.lesson.steps) - 1))
        self.index = i
        step = self.step
        self.text.setMarkdown(step["text"])
        self.progress.setText(f"Step {i + 1} of {len(self.lesson.steps)}")
        self.back_button.setEnabled(i > 0)
        self.next_button.setEnabled(i < len(self.lesson.steps) - 1)
        predict = self._predict()
        self.stepper = None
        self.feedback.setText("")
        self.hint.setText("")
        if predict is not None:
            try:
                self.stepper = lesson_stepper(self.lesson.project_at(i))
                place_walk(self.stepper, (step.get("setup") or {}).get("walk", "start"))
            except SpecError as exc:
                self.feedback.setText(f"This step's walk could not be made: {exc}")
        for w in (self.prompt, self.answer, self.check_button):
            w.setVisible(self.stepper is not None)
        if self.stepper is not None:
            self.prompt.setText(PROMPTS[predict["quantity"]])
            previous = self.answers.get(i)
            self.answer.setText(previous[0] if previous else "")
            if predict.get("hint"):
                self.hint.setText(f"Hint: {predict['hint']}")
        elif step.get("check", {}).get("kind") in ("reach", "find"):
            c = step["check"]
            self.hint.setText(f"Hint: {c['hint']}" if c.get("hint") else "")
            if c["kind"] == "reach":
                self.show_metrics({}, None)
        self.step_changed.emit(i)

    def check(self) -> bool:
        predict = self._predict()
        if predict is None or self.stepper is None:
            return False
        fb = check_predict(predict, self.stepper, self.answer.text(), digits=9)
        self.answers[self.index] = (self.answer.text(), fb.correct)
        text = fb.message if not fb.working else f"{fb.message}\n{fb.working}"
        self.feedback.setText(text)
        self.feedback.setStyleSheet("color: #1b6e20;" if fb.correct else "color: #a3201a;")
        return fb.correct

    def show_metrics(self, metrics: dict, hidden: int | None) -> bool:
        """A reach check against the run's latest metrics; the app calls this as training reports."""
        check = self.step.get("check")
        if not check or check["kind"] != "reach":
            return False
        fb = check_reach(check, metrics, hidden)
        if fb.correct:
            self.answers[self.index] = ("reached", True)
        reached = self.answers.get(self.index, ("", False))[1]
        self.feedback.setText(fb.message if fb.correct or not reached else f"Reached earlier. Now: {fb.message}")
        self.feedback.setStyleSheet("color: #1b6e20;" if fb.correct or reached else "")
        return fb.correct
