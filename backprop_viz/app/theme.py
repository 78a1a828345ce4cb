"""Colours that stay readable in light and dark palettes and for colour-blind users.

Signs use blue (positive) and orange (negative), never red/green.
"""

from __future__ import annotations

import math

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

POSITIVE = QColor("#1f77b4")
NEGATIVE = QColor("#e8710a")
POSITIVE_DARK = QColor("#5aa9e6")
NEGATIVE_DARK = QColor("#ffa040")
HIGHLIGHT = QColor("#9b30d9")


def is_dark() -> bool:
    app = QApplication.instance()
    if app is None:
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def sign_color(value: float) -> QColor:
    dark = is_dark()
    if value >= 0:
        return POSITIVE_DARK if dark else POSITIVE
    return NEGATIVE_DARK if dark else NEGATIVE


def text_color() -> QColor:
    app = QApplication.instance()
    return app.palette().color(QPalette.ColorRole.WindowText) if app else QColor("black")


def base_color() -> QColor:
    app = QApplication.instance()
    return app.palette().color(QPalette.ColorRole.Base) if app else QColor("white")


def muted_color() -> QColor:
    c = text_color()
    return QColor(c.red(), c.green(), c.blue(), 110)


def gradient_color(magnitude: float | None, low: float = 1e-8, high: float = 1.0) -> QColor:
    """|gradient| on a log scale: faint for vanishing, saturated purple for large."""
    if magnitude is None or not math.isfinite(magnitude):
        return QColor("#d62728") if magnitude is not None else base_color()
    if magnitude <= 0:
        t = 0.0
    else:
        t = (math.log10(magnitude) - math.log10(low)) / (math.log10(high) - math.log10(low))
        t = min(max(t, 0.0), 1.0)
    base = base_color()
    target = QColor("#7b3fc4") if not is_dark() else QColor("#c49bff")
    mix = lambda a, b: int(a + (b - a) * (0.12 + 0.88 * t))  # noqa: E731
    return QColor(mix(base.red(), target.red()), mix(base.green(), target.green()),
                  mix(base.blue(), target.blue()))


def readable_on(color: QColor) -> QColor:
    return QColor("black") if color.lightness() > 140 else QColor("white")


def configure_pyqtgraph() -> None:
    """Plot colours from the palette; call before the first plot is made."""
    import pyqtgraph as pg
    dark = is_dark()
    pg.setConfigOptions(antialias=False, background="#1e1e1e" if dark else "w",
                        foreground="#dddddd" if dark else "#222222")


# Okabe & Ito's colour-blind-safe qualitative palette, first blue and orange like everything else.
CLASS_PALETTE = [(0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233),
                 (213, 94, 0), (240, 228, 66), (0, 0, 0)]


def class_rgb(k: int) -> tuple[int, int, int]:
    """The colour of class k, for any number of classes: the palette first, then hues spread by the
    golden angle (never white, never two neighbours alike)."""
    if k < len(CLASS_PALETTE):
        return CLASS_PALETTE[k]
    import colorsys
    h = ((k - len(CLASS_PALETTE)) * 0.381966 + 0.07) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.75, 0.80 if k % 2 else 0.62)
    return int(r * 255), int(g * 255), int(b * 255)
