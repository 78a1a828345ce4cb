"""Dock widgets for the side and bottom panels, and the scroll area that keeps them from scrolling sideways."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QWidget

from .lazy_panel import build, build_in


class PanelScroll(QScrollArea):
    """Scrolls a panel up and down only: the dock never gets narrower than the panel's own minimum,
    so nothing is cut off at the right and there is no sideways scrolling."""

    def __init__(self, widget: QWidget):
        super().__init__()
        self.setObjectName("panelScroll")
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        # A panel that grows wider (a new form, a longer label) makes the dock follow.
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(obj, event)

    def minimumSizeHint(self) -> QSize:
        widget = self.widget()
        inner = widget.minimumSizeHint().expandedTo(widget.minimumSize()) if widget is not None else QSize(0, 0)
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(inner.width() + bar + 2 * self.frameWidth(), min(inner.height(), 80))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.minimumSizeHint().width()), hint.height())


class PanelDocks:
    """The window's docks by name; a new document puts new panels into the same docks."""

    def __init__(self, window: QMainWindow):
        self.window = window
        self.docks: dict[str, QDockWidget] = {}

    def put(self, name: str, title: str, widget: QWidget, area, scroll: bool = True) -> QDockWidget:
        if scroll:
            widget = PanelScroll(widget)
        dock = self.docks.get(name)
        if dock is None:
            dock = QDockWidget(title, self.window)
            dock.setObjectName(f"dock_{name}")
            # View › (panel): the panel is built before its dock is laid out, as a workspace does.
            dock.toggleViewAction().toggled.connect(lambda on, d=dock: on and build_in(d))
            self.window.addDockWidget(area, dock)
            self.docks[name] = dock
        old = dock.widget()
        if dock.isVisible():
            build(widget)        # a new document's panel, in a dock on screen
        dock.setWidget(widget)
        if old is not None:
            old.deleteLater()
        return dock
