"""A column of formula lines set as mathematics, wrapping at equals signs."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from .mathtext_render import render, wrapped_pieces

GAP = 6
INDENT = 24


class MathView(QWidget):
    """Paints each line's pieces left to right, starting a new row when the width runs out."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("formulaMath")
        self.lines: list[str] = []
        self.failed: list[str] = []     # lines mathtext could not set (shown as plain text)
        sp = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    def set_lines(self, lines: list[str]) -> None:
        self.lines = [line for line in lines if line.strip()]
        self.failed = []
        self.updateGeometry()
        self.update()

    def _images(self):
        color = self.palette().color(QPalette.ColorRole.WindowText).name()
        # Rendered at twice the screen density at least: at 1× mathtext's hinting drops the dot of an i.
        dpi = int(round(96 * self._ratio()))
        out = []
        for line in self.lines:
            parts = [(kind, text, render(text, color, dpi) if kind == "math" else None)
                     for kind, text in wrapped_pieces(line)]
            ok = all(img is not None for kind, _, img in parts if kind == "math")
            out.append((line, parts if ok else None))
        return out

    def _plain_font(self) -> QFont:
        # mathtext sets 10 pt at 96 dpi in DejaVu Sans: plain pieces match it.
        f = QFont("DejaVu Sans")
        f.setPixelSize(13)
        return f

    def _ratio(self) -> float:
        return max(2.0, self.devicePixelRatioF())

    def _layout(self, width: int):
        """(image or (font, text), position) for everything, and the total height."""
        placed, y = [], 2
        ratio = self._ratio()
        fm = self.fontMetrics()
        font = self._plain_font()
        pfm = QFontMetrics(font)
        for line, parts in self._images():
            if parts is None:
                placed.append((line, QPoint(2, y + fm.ascent())))
                y += fm.height() + GAP
                continue
            x, row_h = 2, 0
            for k, (kind, text, img) in enumerate(parts):
                if img is not None:
                    w, h = int(img.width() / ratio), int(img.height() / ratio)
                    if w > width - INDENT and w > 0:
                        # Still too wide for the panel: drawn smaller rather than cut off.
                        img = img.scaledToWidth(int((width - INDENT) * ratio),
                                                Qt.TransformationMode.SmoothTransformation)
                        w, h = int(img.width() / ratio), int(img.height() / ratio)
                else:
                    w, h = pfm.horizontalAdvance(text), pfm.height()
                if k and x + w > width:
                    y += row_h + 2
                    x, row_h = INDENT, 0
                if img is not None:
                    placed.append((img, QPoint(x, y)))
                else:
                    placed.append(((font, text), QPoint(x, y + pfm.ascent())))
                x += w + GAP
                row_h = max(row_h, h)
            y += row_h + GAP
        return placed, y

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout(width)[1] if self.lines else 0

    def sizeHint(self) -> QSize:
        return QSize(300, self.heightForWidth(300))

    def minimumSizeHint(self) -> QSize:
        return QSize(100, 0)

    def paintEvent(self, event):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.failed = []
        p.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        for item, pos in self._layout(self.width())[0]:
            if isinstance(item, str):
                self.failed.append(item)
                p.drawText(pos, item)
            elif isinstance(item, tuple):
                p.setFont(item[0])
                p.drawText(pos, item[1])
                p.setFont(self.font())
            else:
                img = item
                img.setDevicePixelRatio(self._ratio())
                p.drawImage(pos, img)
        p.end()

