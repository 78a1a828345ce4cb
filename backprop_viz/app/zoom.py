"""Ctrl + mouse wheel zooms a graphics view, as in most drawing programs."""

from __future__ import annotations

from PySide6.QtCore import Qt

STEP = 1.15


def ctrl_wheel_zoom(view, event) -> bool:
    """Zoom ``view`` (its ``zoom(factor)``) if Ctrl is held; True if the event was used."""
    if not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
        return False
    view.zoom(STEP if event.angleDelta().y() > 0 else 1 / STEP)
    event.accept()
    return True


def wheel_zoom(view, event) -> None:
    """Zoom ``view`` with the plain wheel (views panned by dragging need no scrolling)."""
    dy = event.angleDelta().y()
    if dy:
        view.zoom(STEP if dy > 0 else 1 / STEP)
    event.accept()
