"""Import a CSV file: choose input and target columns, see what will be used."""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout)

from ..engine import SpecError
from ..engine.formatting import fmt
from ..session import data as data_mod
from .inspector import ERROR_STYLE

PREVIEW_ROWS = 20
ROLES = ("input", "target", "ignore")


def output_proposal(task: str, n_out: int) -> str:
    """The output layer and loss the imported targets can be learnt with
    (what data.adapt_network makes of the network when they do not fit)."""
    if task == "classification":
        return ("a softmax output layer with cross-entropy" if n_out > 1
                else "a sigmoid output unit with binary cross-entropy")
    return "a linear (identity) output layer with mean squared error"


class CsvImportDialog(QDialog):
    def __init__(self, text, source: str, parent=None):
        """``text``: the CSV text, or what :func:`session.data.parse_csv` made of it."""
        super().__init__(parent)
        self.setWindowTitle(f"Import {source}")
        self.setObjectName("csvImportDialog")
        self.source = source
        self.result_data = None
        parsed = data_mod.parse_csv(text, source) if isinstance(text, str) else text  # may raise SpecError
        self.header, self.matrix, note = parsed
        n_rows, n_cols = self.matrix.shape
        layout = QVBoxLayout(self)
        info = f"{source}: {n_rows} rows, {n_cols} columns" + (", header row detected" if self.header else "")
        if note:
            info += f" ({note})"
        self.info = QLabel(info)
        layout.addWidget(self.info)
        self.table = QTableWidget(min(n_rows, PREVIEW_ROWS) + 1, n_cols)
        self.table.setObjectName("csvPreview")
        names = self.header or [f"column {c + 1}" for c in range(n_cols)]
        self.table.setHorizontalHeaderLabels(names)
        self.roles = []
        for c in range(n_cols):
            combo = QComboBox()
            combo.addItems(ROLES)
            combo.setCurrentText("target" if c == n_cols - 1 else "input")
            combo.currentTextChanged.connect(lambda _: self._validate())
            self.table.setCellWidget(0, c, combo)
            self.roles.append(combo)
            for r in range(min(n_rows, PREVIEW_ROWS)):
                self.table.setItem(r + 1, c, QTableWidgetItem(fmt(self.matrix[r, c], 6)))
        self.table.setVerticalHeaderLabels(["use as"] + [str(i + 1) for i in range(min(n_rows, PREVIEW_ROWS))])
        layout.addWidget(self.table, 1)
        form = QFormLayout()
        self.task = QComboBox()
        self.task.setObjectName("taskCombo")
        self.task.addItems(["classification", "regression"])
        last = self.matrix[:, -1]
        looks_like_classes = bool((last == last.round()).all() and len(set(last.tolist())) <= 20)
        self.task.setCurrentText("classification" if looks_like_classes else "regression")
        self.task.currentTextChanged.connect(lambda _: self._validate())
        self.standardise = QCheckBox("standardise inputs (mean 0, standard deviation 1)")
        self.validation = QDoubleSpinBox()
        self.validation.setRange(0, 0.9)
        self.validation.setSingleStep(0.05)
        self.validation.setValue(0.2)
        form.addRow("Task", self.task)
        form.addRow("", self.standardise)
        form.addRow("Validation share", self.validation)
        layout.addLayout(form)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("importError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(720, 520)
        self._validate()

    def columns(self, role: str) -> list[int]:
        return [c for c, combo in enumerate(self.roles) if combo.currentText() == role]

    def build(self) -> dict:
        return data_mod.import_samples(self.matrix, self.columns("input"), self.columns("target"),
                                       self.task.currentText(), self.standardise.isChecked(),
                                       round(self.validation.value(), 4), self.source, self.header)

    def _validate(self) -> bool:
        try:
            d = self.build()
        except SpecError as exc:
            self.error.setText(str(exc))
            self.summary.setText("")
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return False
        self.error.setText("")
        n_in, n_out = len(d["X"][0]), len(d["T"][0])
        self.summary.setText(f"The network will get {n_in} input(s) and {n_out} output(s) "
                             f"({d['task']}, {len(d['X'])} samples): {output_proposal(d['task'], n_out)}.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        return True

    def accept(self) -> None:
        if self._validate():
            self.result_data = self.build()
            super().accept()
