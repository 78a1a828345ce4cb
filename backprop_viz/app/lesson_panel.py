"""A lesson, one step at a time: its text, its check with an answer field, feedback, back and next;
the student's answers saved to carry on later, and exported as Markdown to hand in.

Predict and find checks are answered against the walk of the project as the step sets it up
(:func:`~backprop_viz.session.lessons.lesson_stepper`), the same numbers the stepper shows. A find
check is answered by selecting on the canvas or the graph: the window calls :meth:`LessonPanel.pick`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout,
                               QWidget)

from ..engine import SpecError
from ..session.lesson_answers import Answers, export_markdown
from ..session.lesson_picks import label_of
from ..session.lessons import Lesson, check_find, check_predict, check_reach, lesson_stepper, place_walk
from . import dialogs

PROMPTS = {"value": "Your value:", "gradient": "Your gradient:", "updated": "New value:",
           "update_sign": "up or down:", "loss": "Your loss:", "loss_after": "Loss after:",
           "time_ratio": "Your ratio:"}


ANSWERS_FILTER = "Lesson answers (*.json)"
MARKDOWN_FILTER = "Markdown (*.md)"
FIND_PROMPT = "Select it on the network or in the graph."


class LessonPanel(QWidget):
    step_changed = Signal(int)
    closed = Signal()

    def __init__(self, lesson: Lesson, parent=None):
        super().__init__(parent)
        self.lesson = lesson
        self.index = 0
        self.answers: dict[int, tuple[str, bool]] = {}     # step → (last answer, right?)
        self.stepper = None
        self.title = QLabel(f"<b>{lesson.title}</b>")
        self.title.setWordWrap(True)
        self.progress = QLabel()
        self.score = QLabel()          # how many of the lesson's checks are answered right so far
        self.score.setObjectName("lessonScore")
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
        self.save_button = QPushButton("Save answers…")
        self.save_button.setToolTip("Your answers and where you are, to carry on later")
        self.load_button = QPushButton("Load answers…")
        self.load_button.setToolTip("Carry on from saved answers")
        self.export_button = QPushButton("Hand in…")
        self.export_button.setToolTip("Your answers as a Markdown file to hand in")
        self.folder = ""          # where file dialogs start (the window's last folder)

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
        layout.addWidget(self.score)
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        layout.addWidget(self.feedback)
        layout.addWidget(self.hint)
        layout.addLayout(nav)
        files = QHBoxLayout()
        for b in (self.save_button, self.load_button, self.export_button):
            files.addWidget(b)
        layout.addLayout(files)

        self.check_button.clicked.connect(self.check)
        self.answer.returnPressed.connect(self.check)
        self.back_button.clicked.connect(lambda: self.show_step(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_step(self.index + 1))
        self.save_button.clicked.connect(lambda: self.save_answers())
        self.load_button.clicked.connect(lambda: self.load_answers())
        self.export_button.clicked.connect(lambda: self.export_answers())
        self.show_step(0)

    @property
    def step(self) -> dict:
        return self.lesson.steps[self.index]

    def _predict(self) -> dict | None:
        check = self.step.get("check")
        return check if check and check["kind"] == "predict" else None

    def _check(self, kind: str) -> dict | None:
        check = self.step.get("check")
        return check if check and check["kind"] == kind else None

    def show_step(self, i: int) -> None:
        i = max(0, min(i, len(self.lesson.steps) - 1))
        self.index = i
        step = self.step
        self.text.setMarkdown(step["text"])
        self.progress.setText(f"Step {i + 1} of {len(self.lesson.steps)}")
        self._update_score()
        self.back_button.setEnabled(i > 0)
        self.next_button.setEnabled(i < len(self.lesson.steps) - 1)
        check = step.get("check")
        self.stepper = None
        self.feedback.setText("")
        self.feedback.setStyleSheet("")
        self.hint.setText(f"Hint: {check['hint']}" if check and check.get("hint") else "")
        if check is not None and check["kind"] in ("predict", "find"):
            try:
                self.stepper = lesson_stepper(self.lesson.project_at(i))
                place_walk(self.stepper, (step.get("setup") or {}).get("walk", "start"))
            except SpecError as exc:
                self.feedback.setText(f"This step's walk could not be made: {exc}")
        predict = self._predict() if self.stepper is not None else None
        for w in (self.answer, self.check_button):
            w.setVisible(predict is not None)
        self.prompt.setVisible(self.stepper is not None)
        previous = self.answers.get(i)
        if predict is not None:
            self.prompt.setText(PROMPTS[predict["quantity"]])
            self.answer.setText(previous[0] if previous else "")
        elif self.stepper is not None:
            self.prompt.setText(FIND_PROMPT)
            if previous:
                self._show_feedback(f"Your pick: {previous[0]}.", previous[1])
        elif check is not None and check["kind"] == "reach":
            self.show_metrics({}, None)
        self.step_changed.emit(i)

    def _update_score(self) -> None:
        checked = [j for j, st in enumerate(self.lesson.steps) if st.get("check")]
        right = sum(1 for j in checked if self.answers.get(j, ("", False))[1])
        self.score.setText(f"{right} of {len(checked)} checks right" if checked else "")

    def _show_feedback(self, text: str, correct: bool) -> None:
        self._update_score()
        self.feedback.setText(text)
        self.feedback.setStyleSheet("color: #1b6e20;" if correct else "color: #a3201a;")

    def check(self) -> bool:
        predict = self._predict()
        if predict is None or self.stepper is None:
            return False
        fb = check_predict(predict, self.stepper, self.answer.text(), digits=9)
        self.answers[self.index] = (self.answer.text(), fb.correct)
        text = fb.message if not fb.working else f"{fb.message}\n{fb.working}"
        self._show_feedback(text, fb.correct)
        return fb.correct

    def pick(self, name: str | None) -> bool | None:
        """A selection on the canvas or in the graph, as the answer to a find check
        (None when this step asks for no pick)."""
        check = self._check("find")
        if check is None or self.stepper is None or name is None:
            return None
        tensor = self.stepper.trace.node(name) if name in self.stepper.trace.by_name else None
        if tensor is not None and tensor.value.size > 1:
            # A layer-level graph node is a whole tensor: the check wants one of its values.
            self._show_feedback(f"{name} holds {tensor.value.size} values: select one of them on the "
                                "network.", False)
            return False
        name = label_of(self.stepper, name)
        fb = check_find(check, self.stepper, name)
        message = fb.message      # the step's hint stays in view below it
        if fb.correct or not self.answers.get(self.index, ("", False))[1]:
            self.answers[self.index] = (name, fb.correct)
        self._show_feedback(message, fb.correct)
        return fb.correct

    def show_metrics(self, metrics: dict, hidden: int | None) -> bool:
        """A reach check against the run's latest metrics; the app calls this as training reports."""
        check = self.step.get("check")
        if not check or check["kind"] != "reach":
            return False
        fb = check_reach(check, metrics, hidden)
        if fb.correct:
            self.answers[self.index] = ("reached", True)
            self._update_score()
        reached = self.answers.get(self.index, ("", False))[1]
        self.feedback.setText(fb.message if fb.correct or not reached else f"Reached earlier. Now: {fb.message}")
        self.feedback.setStyleSheet("color: #1b6e20;" if fb.correct or reached else "")
        return fb.correct

    # -- answers to keep and hand in --------------------------------------------------------------
    def record(self) -> Answers:
        return Answers(self.lesson.title, len(self.lesson.steps), self.index, dict(self.answers))

    def save_answers(self, path: str | None = None) -> bool:
        path = path or dialogs.save_path(self, "Save answers", self.folder, ANSWERS_FILTER)
        if not path:
            return False
        return self._write(path, ".json", lambda p: self.record().save(p), "Answers saved")

    def export_answers(self, path: str | None = None) -> bool:
        path = path or dialogs.save_path(self, "Hand in answers (Markdown)", self.folder, MARKDOWN_FILTER)
        if not path:
            return False
        return self._write(path, ".md", lambda p: export_markdown(p, self.lesson.title, self.lesson.steps,
                                                                  self.record()), "Answers written")

    def _write(self, path: str, suffix: str, write, done: str) -> bool:
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            write(path)
        except OSError as exc:
            dialogs.error(self, "Could not write the answers",
                          f"{path} could not be written: {exc.strerror or exc}.\n\nYour answers are still here.")
            return False
        self.feedback.setStyleSheet("")
        self.feedback.setText(f"{done} to {path}.")
        return True

    def load_answers(self, path: str | None = None) -> bool:
        path = path or dialogs.open_path(self, "Load answers", self.folder, ANSWERS_FILTER)
        if not path:
            return False
        try:
            saved = Answers.load(path)
            why = saved.fits(self.lesson.title, len(self.lesson.steps))
            if why:
                raise SpecError(path, why)
        except SpecError as exc:
            dialogs.error(self, "Cannot load answers", f"{path} could not be loaded:\n\n{exc}")
            return False
        self.answers = dict(saved.given)
        self.show_step(saved.position)
        return True

    def closeEvent(self, event):
        super().closeEvent(event)
        self.closed.emit()
