"""The gradient-health alert: the state in one word, the evidence, what to try."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ..engine.health import DIVERGED, EXPLODING, HEALTHY, VANISHING
from . import theme

# Background and text colours per state; blue/orange families, readable in light and dark.
STYLES = {
    HEALTHY: ("#e3f0fb", "#0b3c66"),
    VANISHING: ("#fff1db", "#6b3d00"),
    EXPLODING: ("#ffe0c2", "#6b2600"),
    DIVERGED: ("#3b1d00", "#ffd9b3"),
    "not measured": ("#eeeeee", "#333333"),
}
# The same hues, dark, for a dark palette.
STYLES_DARK = {
    HEALTHY: ("#12324d", "#cfe6fa"),
    VANISHING: ("#4a3309", "#ffe2b3"),
    EXPLODING: ("#5a2a06", "#ffd2ad"),
    DIVERGED: ("#3b1d00", "#ffd9b3"),
    "not measured": ("#333333", "#dddddd"),
}
TITLES = {HEALTHY: "Healthy gradients", VANISHING: "Vanishing gradients",
          EXPLODING: "Exploding gradients", DIVERGED: "Training diverged", "not measured": "Gradients"}


class AlertBand(QFrame):
    openStepRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("alertBand")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        col = QVBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("alertTitle")
        self.evidence = QLabel()
        self.evidence.setObjectName("alertEvidence")
        self.evidence.setWordWrap(True)
        self.advice = QLabel()
        self.advice.setObjectName("alertAdvice")
        self.advice.setWordWrap(True)
        # The lesson stays after training has flattened every gradient: it is about
        # the whole run and the network's shape, not the latest step.
        self.lesson = QLabel()
        self.lesson.setObjectName("alertLesson")
        self.lesson.setWordWrap(True)
        self.lesson.hide()
        col.addWidget(self.title)
        col.addWidget(self.evidence)
        col.addWidget(self.advice)
        col.addWidget(self.lesson)
        layout.addLayout(col, 1)
        self.open_step = QPushButton("Open this step in the stepper")
        self.open_step.setObjectName("openStepButton")
        self.open_step.clicked.connect(self.openStepRequested.emit)
        self.open_step.hide()
        layout.addWidget(self.open_step)
        self.state = None
        self.show_health(None)

    def show_lesson(self, text: str) -> None:
        self.lesson.setText(text)
        self.lesson.setVisible(bool(text))

    def show_health(self, health) -> None:
        state = health.state if health is not None else "not measured"
        self.state = state
        styles = STYLES_DARK if theme.is_dark() else STYLES
        bg, fg = styles.get(state, styles["not measured"])
        sheet = (f"#alertBand {{ background: {bg}; border-radius: 4px; }}"
                 f"#alertBand QLabel {{ color: {fg}; }}")
        if sheet != self.styleSheet():
            # Restyling is costly (the whole band is polished again): only when the state changes.
            self.setStyleSheet(sheet)
        self.title.setText(f"<b>{TITLES.get(state, state)}</b>")
        if health is None:
            self.evidence.setText("Train or step to measure the gradients of every layer.")
            self.advice.setText("")
        else:
            self.evidence.setText("; ".join(health.evidence) if health.evidence else
                                  "every layer's gradient is within range")
            self.advice.setText("Try: " + "; ".join(health.suggestions) if health.suggestions else "")
        self.open_step.setVisible(state == DIVERGED)
