"""What a user would see as a layout bug, measured with Qt's widget API."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (QAbstractButton, QCheckBox, QLabel, QRadioButton, QStyle, QToolButton)

from backprop_viz.app.panel_docks import PanelScroll


def _plain(label: QLabel) -> str:
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText or (
            label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(text)):
        doc = QTextDocument()
        doc.setHtml(text)
        text = doc.toPlainText()
    return text


def _shown(widget, window) -> bool:
    # A dock behind another tab keeps isVisible() but shows nothing; its sizes are stale.
    return (widget.isVisible() and widget.width() > 0 and widget.window() is window
            and not widget.visibleRegion().isEmpty())


def cut_off_texts(window) -> list[str]:
    """Every visible button or label whose text is wider than the room it has."""
    problems = []
    for b in window.findChildren(QAbstractButton):
        text = b.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        if not text or not _shown(b, window):
            continue
        if isinstance(b, QToolButton) and (b.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
                                           and not b.icon().isNull()):
            continue
        fm = b.fontMetrics()
        need = fm.horizontalAdvance(text)
        if not b.icon().isNull():
            need += b.iconSize().width()
        if isinstance(b, (QCheckBox, QRadioButton)):
            need += b.style().pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth, None, b)
        if need > b.width():
            problems.append(f"{type(b).__name__} “{text}”: needs {need} px, has {b.width()}")
    for label in window.findChildren(QLabel):
        if label.wordWrap() or not label.text() or not _shown(label, window):
            continue
        text = _plain(label)
        fm = label.fontMetrics()
        need = max(fm.horizontalAdvance(line) for line in text.splitlines() or [""])
        room = label.contentsRect().width() - 2 * label.margin() - max(label.indent(), 0)
        if need > room + 1:
            problems.append(f"QLabel “{text[:60]}”: needs {need} px, has {room}")
    return problems


def side_panels_scrolling_sideways(window) -> list[str]:
    problems = []
    for name, dock in window.docks.items():
        if not _shown(dock, window):
            continue
        area = dock.widget()
        if isinstance(area, PanelScroll):
            if area.horizontalScrollBar().isVisible():
                problems.append(f"{name}: horizontal scrollbar")
            inner = area.widget()
            if inner.width() > area.viewport().width() + 1:
                problems.append(f"{name}: content {inner.width()} px wide in a {area.viewport().width()} px view")
        content = dock.widget()
        if content is not None and content.minimumSizeHint().width() > dock.width() + 1:
            problems.append(f"{name}: needs {content.minimumSizeHint().width()} px, has {dock.width()}")
    return problems


def graph_share(window) -> float:
    g = window.stepper_panel.graph
    if not g.isVisible():
        return 0.0
    return g.width() * g.height() / (window.width() * window.height())
