"""Training › Compare…: which settings the runs differ in, or a preset that teaches one thing.

Each setting is a row: tick it and list its values, separated by commas, as
``backprop-viz compare --vary`` takes them. The runs that would be made are
listed as they will be named in the legend, or what is wrong and where.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QVBoxLayout)

from ..engine import SpecError
from ..session import compare
from ..session.compare_runs import MAX_RUNS
from ..session.project import Project

# (key, label, values offered when ticked, what may be written)
ROWS = (
    ("optimizer", "Optimizer", "sgd, adam", "sgd, momentum, nesterov, rmsprop, adam, adamw, adagrad, adadelta"),
    ("lr", "Learning rate", "0.1, 0.01", "numbers > 0"),
    ("init", "Initialiser", "xavier_uniform, he_normal",
     "zeros, small_normal, xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_normal, normal, uniform"),
    ("activation", "Hidden activation (all hidden layers)", "sigmoid, relu",
     "identity, sigmoid, tanh, relu, leaky_relu, elu, silu, softplus"),
    ("norm", "Normalisation (all hidden layers)", "none, batch", "none, batch, layer"),
    ("batch_size", "Batch size", "1, 32, full", "whole numbers ≥ 1, or full"),
    ("clip_grad_norm", "Clip gradient norm", "none, 1", "numbers > 0, or none"),
    ("l2", "L2 penalty", "0, 0.001", "numbers ≥ 0"),
    ("seed", "Seed (new initial weights and batch order)", "0, 1", "whole numbers ≥ 0"),
)
PRESET_TITLES = {"": "Choose the settings below",
                 "optimizers": "Race the optimizers (SGD, momentum, Nesterov, RMSprop, Adam)",
                 "init": "Initialisation lab (zeros, small normal, Xavier, He)",
                 "batch": "Batch size (1, 32, full batch)"}


class CompareDialog(QDialog):
    def __init__(self, project: Project, parent=None):
        super().__init__(parent)
        self.setObjectName("compareDialog")
        self.setWindowTitle("Compare runs")
        self.project = project
        self.axes: list | None = None
        v = QVBoxLayout(self)
        intro = QLabel("Runs that differ only in what you choose here, from the same initial weights and the "
                       "same batches where the change allows it. They train side by side in the Compare panel.")
        intro.setWordWrap(True)
        v.addWidget(intro)
        top = QHBoxLayout()
        top.addWidget(QLabel("Preset"))
        self.preset = QComboBox()
        self.preset.setObjectName("comparePreset")
        for key, title in PRESET_TITLES.items():
            self.preset.addItem(title, key)
        self.preset.currentIndexChanged.connect(lambda _: self._preset_chosen())
        top.addWidget(self.preset, 1)
        v.addLayout(top)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.ticks: dict[str, QCheckBox] = {}
        self.values: dict[str, QLineEdit] = {}
        for key, label, default, hint in ROWS:
            tick = QCheckBox(label)
            tick.setObjectName(f"vary_{key}")
            edit = QLineEdit(default)
            edit.setObjectName(f"values_{key}")
            edit.setToolTip(f"Values separated by commas: {hint}")
            edit.setPlaceholderText(hint)
            edit.setEnabled(False)
            edit.setMinimumWidth(320)
            tick.toggled.connect(edit.setEnabled)
            tick.toggled.connect(lambda _: self._check())
            edit.textChanged.connect(lambda _: self._check())
            self.ticks[key], self.values[key] = tick, edit
            form.addRow(tick, edit)
        v.addLayout(form)
        self.preview = QLabel()
        self.preview.setObjectName("comparePreview")
        self.preview.setWordWrap(True)
        v.addWidget(self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Make runs")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        v.addWidget(self.buttons)
        self.setMinimumWidth(660)
        self._check()

    def _preset_chosen(self) -> None:
        key = self.preset.currentData()
        if not key:
            return
        axes = dict(compare.PRESETS[key])
        for k, tick in self.ticks.items():
            tick.setChecked(k in axes)
            if k in axes:
                self.values[k].setText(", ".join(axes[k]))
                self.values[k].setCursorPosition(0)

    def chosen(self) -> list:
        """The axes as ticked: [(key, [Change, …]), …]; SpecError says which row is wrong."""
        axes = []
        for key, _, _, _ in ROWS:
            if self.ticks[key].isChecked():
                axes.append(compare.parse_vary(f"{key}={self.values[key].text()}"))
        if not axes:
            raise SpecError("", "tick at least one setting to vary, or choose a preset")
        return axes

    def _check(self) -> bool:
        try:
            runs = compare.make_runs(self.project, self.chosen())
            if len(runs) > MAX_RUNS:
                raise SpecError("", f"{len(runs)} runs: at most {MAX_RUNS} train side by side; list fewer values")
            if len(runs) < 2:
                raise SpecError("", f"one run ({runs[0].name}): give at least two values to compare")
        except SpecError as exc:
            self.preview.setText(f"<span style='color:#a33'>{_plain(exc)}</span>")
            self.ok.setEnabled(False)
            return False
        self.preview.setText(f"{len(runs)} runs: " + ", ".join(f"<b>{r.name}</b>" for r in runs))
        self.ok.setEnabled(True)
        return True

    def _accept(self) -> None:
        if self._check():
            self.axes = self.chosen()
            self.accept()


def _plain(exc: SpecError) -> str:
    # The command line's "--vary lr: …" reads here as the row's name.
    text = str(exc)
    for key, label, _, _ in ROWS:
        text = text.replace(f"--vary {key}", label)
    return text.replace("--vary", "Settings").lstrip(": ")


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication
    from ..session.templates import open_template
    app = QApplication([])
    d = CompareDialog(open_template("xor"))
    d.show()
    app.exec()
