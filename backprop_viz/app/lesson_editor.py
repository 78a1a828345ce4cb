"""File › Save as lesson: the current project as a lesson's start, and a simple editor for its steps.

Each step has its text, where the walk stands, which controls are shown, hidden or locked, and an
optional check with its fields. The lesson is validated by the same loader that opens lesson files
(:meth:`~backprop_viz.session.lessons.Lesson.from_dict`), so a mistake is reported with its field
(``steps[1].check.of: …``) and that step is selected; nothing is written until it validates.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QPlainTextEdit, QPushButton, QSpinBox, QStackedWidget,
                               QVBoxLayout, QWidget)

from ..engine import SpecError
from ..session.lessons import CONTROLS, METRICS, OPS, QUANTITIES, WALK_POSITIONS, Lesson
from ..session.project import Project
from . import dialogs

LESSON_FILTER = "Lesson (*.json)"
NO_WALK = "(as it is)"
VIEW_CHOICES = ("as it is", "shown", "hidden")
CHECK_KINDS = ("none", "predict", "reach", "find")


def _number(text: str):
    """A typed number, or the text itself when it is not one (the loader then names the field)."""
    try:
        v = float(text.replace("−", "-").replace(",", "."))
    except ValueError:
        return text
    return v if math.isfinite(v) else text


class LessonEditor(QWidget):
    saved = Signal(str)       # the path written

    def __init__(self, project: Project, title: str = "", parent=None):
        super().__init__(parent)
        self.setObjectName("lessonEditor")
        self.project = project
        self.steps: list[dict] = [{"text": "# " + (title or "A new lesson") + "\n\nWhat the student reads first."}]
        self.current = -1
        self.folder = ""
        self._loading = False

        self.title = QLineEdit(title or "A new lesson")
        self.step_list = QListWidget()
        self.step_list.setObjectName("lessonSteps")
        self.add_button = QPushButton("Add step")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Markdown: what the student reads in this step")
        self.walk = QComboBox()
        self.walk.addItems([NO_WALK, *WALK_POSITIONS])

        controls_box = QGroupBox("Controls in this step")
        grid = QGridLayout(controls_box)
        grid.addWidget(QLabel("<i>view</i>"), 0, 1)
        grid.addWidget(QLabel("<i>locked</i>"), 0, 2)
        self.view_choice: dict[str, QComboBox] = {}
        self.lock_choice: dict[str, QCheckBox] = {}
        for row, name in enumerate(CONTROLS, start=1):
            grid.addWidget(QLabel(name), row, 0)
            combo = QComboBox()
            combo.addItems(VIEW_CHOICES)
            lock = QCheckBox()
            grid.addWidget(combo, row, 1)
            grid.addWidget(lock, row, 2)
            self.view_choice[name], self.lock_choice[name] = combo, lock

        check_box = QGroupBox("Check")
        check_layout = QVBoxLayout(check_box)
        self.kind = QComboBox()
        self.kind.addItems(CHECK_KINDS)
        check_layout.addWidget(self.kind)
        self.fields = QStackedWidget()
        self.fields.addWidget(QWidget())
        predict = QWidget()
        pf = QFormLayout(predict)
        self.quantity = QComboBox()
        self.quantity.addItems(QUANTITIES)
        self.of = QLineEdit()
        self.of.setPlaceholderText("W1, s, layers.0.weight[1,0]")
        self.tolerance = QLineEdit("1e-6")
        pf.addRow("Quantity", self.quantity)
        pf.addRow("Of", self.of)
        pf.addRow("Tolerance", self.tolerance)
        self.fields.addWidget(predict)
        reach = QWidget()
        rf = QFormLayout(reach)
        self.metric_choice = QComboBox()
        self.metric_choice.addItems(METRICS)
        self.op = QComboBox()
        self.op.addItems(OPS)
        self.goal = QLineEdit("0.05")
        self.max_hidden = QSpinBox()
        self.max_hidden.setRange(0, 4096)
        self.max_hidden.setSpecialValueText("no limit")
        rf.addRow("Metric", self.metric_choice)
        rf.addRow("Goal", self.op)
        rf.addRow("Value", self.goal)
        rf.addRow("Hidden neurons at most", self.max_hidden)
        self.fields.addWidget(reach)
        find = QWidget()
        ff = QFormLayout(find)
        self.answer = QLineEdit()
        self.answer.setPlaceholderText("the node or weight to select, e.g. layers.9.weight[1,0]")
        ff.addRow("Answer", self.answer)
        self.fields.addWidget(find)
        check_layout.addWidget(self.fields)
        self.hint = QLineEdit()
        self.hint.setPlaceholderText("a hint (optional)")
        check_layout.addWidget(self.hint)

        self.error = QLabel()
        self.error.setObjectName("lessonEditorError")
        self.error.setWordWrap(True)
        self.validate_button = QPushButton("Check lesson")
        self.save_button = QPushButton("Save lesson…")

        left = QVBoxLayout()
        left.addWidget(QLabel("Steps"))
        left.addWidget(self.step_list, 1)
        for pair in ((self.add_button, self.remove_button), (self.up_button, self.down_button)):
            row = QHBoxLayout()
            for b in pair:
                row.addWidget(b)
            left.addLayout(row)
        right = QVBoxLayout()
        form = QFormLayout()
        form.addRow("Walk at", self.walk)
        right.addWidget(QLabel("Text"))
        right.addWidget(self.text, 1)
        right.addLayout(form)
        parts = QHBoxLayout()
        parts.addWidget(controls_box)
        parts.addWidget(check_box, 1)
        right.addLayout(parts)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 3)
        top = QFormLayout()
        top.addRow("Title", self.title)
        bottom = QHBoxLayout()
        bottom.addWidget(self.error, 1)
        bottom.addWidget(self.validate_button)
        bottom.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)

        self.kind.currentIndexChanged.connect(self.fields.setCurrentIndex)
        self.step_list.currentRowChanged.connect(self._select)
        self.add_button.clicked.connect(self.add_step)
        self.remove_button.clicked.connect(self.remove_step)
        self.up_button.clicked.connect(lambda: self.move_step(-1))
        self.down_button.clicked.connect(lambda: self.move_step(1))
        self.validate_button.clicked.connect(lambda: self.lesson() is not None)
        self.save_button.clicked.connect(lambda: self.save())
        self._refresh_list(0)

    # -- the step list ------------------------------------------------------------------------------
    def _refresh_list(self, select: int) -> None:
        self.step_list.blockSignals(True)
        self.step_list.clear()
        for i, s in enumerate(self.steps):
            first = next((line for line in s["text"].splitlines() if line.strip()), "")
            kind = s.get("check", {}).get("kind")
            self.step_list.addItem(f"{i + 1}. {first.lstrip('#').strip()[:40]}" + (f" [{kind}]" if kind else ""))
        self.step_list.blockSignals(False)
        self.current = -1
        self.step_list.setCurrentRow(select)
        self._select(select)
        self.remove_button.setEnabled(len(self.steps) > 1)

    def _select(self, i: int) -> None:
        if i == self.current or not 0 <= i < len(self.steps):
            return
        if 0 <= self.current < len(self.steps):
            self.steps[self.current] = self._read_form()
        self.current = i
        self._load_form(self.steps[i])
        if self.step_list.currentRow() != i:
            self.step_list.setCurrentRow(i)

    def add_step(self) -> None:
        self._store()
        self.steps.insert(self.current + 1, {"text": f"## Step {self.current + 2}\n\n"})
        self._refresh_list(self.current + 1)
        self.text.moveCursor(QTextCursor.MoveOperation.End)     # typing goes on after the heading
        self.text.setFocus()

    def remove_step(self) -> None:
        if len(self.steps) > 1:
            i = self.current
            del self.steps[i]
            self.current = -1
            self._refresh_list(min(i, len(self.steps) - 1))

    def move_step(self, by: int) -> None:
        self._store()
        i, j = self.current, self.current + by
        if 0 <= j < len(self.steps):
            self.steps[i], self.steps[j] = self.steps[j], self.steps[i]
            self._refresh_list(j)

    def _store(self) -> None:
        if 0 <= self.current < len(self.steps):
            self.steps[self.current] = self._read_form()

    # -- one step's form ----------------------------------------------------------------------------
    def _load_form(self, step: dict) -> None:
        self.text.setPlainText(step.get("text", ""))
        self.walk.setCurrentText(str(step.get("setup", {}).get("walk", NO_WALK)))
        controls = step.get("controls", {})
        for name in CONTROLS:
            view = "shown" if name in controls.get("shown", []) else \
                "hidden" if name in controls.get("hidden", []) else "as it is"
            self.view_choice[name].setCurrentText(view)
            self.lock_choice[name].setChecked(name in controls.get("locked", []))
        check = step.get("check") or {}
        self.kind.setCurrentText(check.get("kind", "none"))
        self.quantity.setCurrentText(check.get("quantity", QUANTITIES[0]))
        self.of.setText(str(check.get("of", "")))
        self.tolerance.setText(str(check.get("tolerance", "1e-6")))
        self.metric_choice.setCurrentText(check.get("metric", METRICS[0]))
        self.op.setCurrentText(check.get("op", OPS[0]))
        self.goal.setText(str(check.get("value", "0.05")))
        self.max_hidden.setValue(int(check.get("max_hidden_units") or 0))
        self.answer.setText(str(check.get("answer", "")))
        self.hint.setText(check.get("hint", ""))

    def _read_form(self) -> dict:
        step: dict = {"text": self.text.toPlainText()}
        if self.walk.currentText() != NO_WALK:
            w = self.walk.currentText()
            step["setup"] = {"walk": int(w) if w.lstrip("-").isdigit() else w}
        shown = [n for n in CONTROLS if self.view_choice[n].currentText() == "shown"]
        hidden = [n for n in CONTROLS if self.view_choice[n].currentText() == "hidden"]
        locked = [n for n in CONTROLS if self.lock_choice[n].isChecked()]
        if shown or hidden or locked:
            step["controls"] = {"shown": shown, "hidden": hidden, "locked": locked}
        kind = self.kind.currentText()
        check: dict = {"kind": kind}
        if kind == "predict":
            q = self.quantity.currentText()
            check["quantity"] = q
            if self.of.text().strip():
                check["of"] = self.of.text().strip()
            if q != "update_sign":
                check["tolerance"] = _number(self.tolerance.text().strip())
        elif kind == "reach":
            check.update(metric=self.metric_choice.currentText(), op=self.op.currentText(),
                         value=_number(self.goal.text().strip()))
            if self.max_hidden.value() > 0:
                check["max_hidden_units"] = self.max_hidden.value()
        elif kind == "find":
            check["answer"] = self.answer.text().strip()
        if kind != "none":
            if self.hint.text().strip():
                check["hint"] = self.hint.text().strip()
            step["check"] = check
        return step

    # -- the lesson ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        self._store()
        return {"format": "backprop-viz/lesson", "version": 1, "title": self.title.text().strip(),
                "project": self.project.to_dict(), "steps": [dict(s) for s in self.steps]}

    def lesson(self) -> Lesson | None:
        """The lesson as the loader reads it; None, with the located error shown, if it does not validate."""
        try:
            lesson = Lesson.from_dict(self.to_dict())
        except SpecError as exc:
            self.error.setStyleSheet("color: #a3201a;")
            self.error.setText(f"Not saved: {exc}")
            path = exc.path or ""
            if path.startswith("steps["):
                i = int(path[len("steps["):path.index("]")])
                self.step_list.setCurrentRow(i)
            return None
        self.error.setStyleSheet("color: #1b6e20;")
        self.error.setText(f"The lesson checks out: {len(lesson.steps)} steps.")
        return lesson

    def save(self, path: str | None = None) -> bool:
        lesson = self.lesson()
        if lesson is None:
            return False
        path = path or dialogs.save_path(self, "Save lesson", self.folder, LESSON_FILTER)
        if not path:
            return False
        if not path.lower().endswith(".json"):
            path += ".json"
        try:
            lesson.save(path)
        except OSError as exc:
            dialogs.error(self, "Could not save the lesson",
                          f"{path} could not be written: {exc.strerror or exc}.\n\nThe lesson is still here.")
            return False
        self.error.setText(f"Saved {path}.")
        self.saved.emit(path)
        return True
