"""A small key to the colours and notation, laid over a view's corner (View › Show legends)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget

from . import theme

CANVAS_LEGEND = ("<b>Weights</b>: <span style='color:#1f77b4'>blue +</span>, "
                 "<span style='color:#e8710a'>orange −</span>; line width = |w|.<br>"
                 "Dashed <b>+1</b>: the layer's bias. Purple: selected.")
GRAPH_LEGEND = ("<b>Nodes</b>: grey dashed = not computed yet; fill = |∂E/∂node| on a log scale, "
                "pale (≈1e-8, vanishing) to <span style='color:#7b3fc4'>purple</span> (≥1); red = not finite."
                "<br><b>= v</b>: the value; <b>∂E: g</b>: the gradient of the loss E with respect to the node.")


class LegendOverlay(QLabel):
    def __init__(self, text: str, host: QWidget):
        super().__init__(text, host)
        self.setObjectName("legendOverlay")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        base = theme.base_color()
        self.setStyleSheet(f"QLabel#legendOverlay {{ background: rgba({base.red()},{base.green()},{base.blue()},225);"
                           " border: 1px solid rgba(128,128,128,150); border-radius: 3px; padding: 3px; }")
        host.installEventFilter(self)
        self._fit()
        self.hide()

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        host = self.parentWidget()
        width = max(120, min(420, host.width() - 12))
        self.setFixedWidth(width)
        self.adjustSize()
        self.move(6, 6)
