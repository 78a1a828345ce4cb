"""Driving QGraphicsView items the way a mouse does."""

from PySide6.QtCore import QPoint, Qt


def click_item(qtbot, view, item, button=Qt.MouseButton.LeftButton, modifier=Qt.KeyboardModifier.NoModifier):
    view.ensureVisible(item)
    center = item.mapToScene(item.boundingRect().center())
    pos = view.mapFromScene(center)
    qtbot.mouseClick(view.viewport(), button, modifier, pos)


def click_edge(qtbot, view, edge):
    line = edge.line()
    mid = (line.p1() + line.p2()) / 2
    view.ensureVisible(edge)
    pos = view.mapFromScene(edge.mapToScene(mid))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(pos.x(), pos.y()))


def activate(qtbot, window):
    """Make the window active so that its keyboard shortcuts fire (offscreen too)."""
    from PySide6.QtWidgets import QApplication
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
