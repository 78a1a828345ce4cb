"""The optimizer's memory of the selected weight, live while training."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout

from ..engine.naming import element_name
from ..engine.update_text import state_lines


class OptimizerStateBox(QGroupBox):
    """Momentum buffer, Adam's m and v, the effective step: for one parameter element."""

    def __init__(self, parent=None):
        super().__init__("Optimizer state", parent)
        self.setObjectName("optimizerStateBox")
        self.text = QLabel()
        self.text.setObjectName("optimizerStateText")
        self.text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        self.target = None       # (spec, parameter name, element index)
        self.latest = None       # {"settings": …, "state": {param: {key: array}}} from training
        self.hide()

    def set_target(self, spec, param: str | None, idx: tuple | None, settings: dict) -> None:
        self.target = None if param is None else (spec, param, tuple(idx))
        self._settings = settings
        self._show()

    def show_snapshot(self, optimizer: dict | None) -> None:
        if optimizer is not None:
            self.latest = optimizer
            if self.target is not None:
                self._show()

    def clear(self) -> None:
        self.latest = None
        self._show()

    def _show(self) -> None:
        if self.target is None:
            self.hide()
            return
        spec, param, idx = self.target
        label = element_name(spec, param, idx)
        if self.latest is not None and self.latest["settings"]["name"] == self._settings["name"]:
            settings = self.latest["settings"]
            state = {k: (float(v[idx]) if isinstance(v, np.ndarray) else v)
                     for k, v in self.latest["state"].get(param, {}).items()}
        else:
            settings, state = self._settings, {}
        self.text.setText("\n".join(state_lines(settings, state, label)))
        self.show()
