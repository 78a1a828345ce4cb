"""A dock's stand-in for a panel that is costly to build: the panel is made when first shown.

The first window shows the Build workspace; the Train workspace's plots and the Compare panel
(fourteen pyqtgraph plots between them) took about a quarter of the time to the first paint when
they were built up front. The stand-in builds its panel the first time it is shown, or the first
time code asks for it (:meth:`panel`), and from then on only holds it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QVBoxLayout, QWidget


class LazyPanel(QWidget):
    def __init__(self, factory: Callable[[], QWidget], name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(f"lazy_{name}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._factory = factory
        self._panel: QWidget | None = None

    @property
    def is_built(self) -> bool:
        return self._panel is not None

    def panel(self) -> QWidget:
        """The real panel, made now if it was not yet."""
        if self._panel is None:
            panel = self._factory()
            self._panel = panel
            self.layout().addWidget(panel)
            self.updateGeometry()     # the dock's cached sizes were the empty stand-in's
            self._fit_dock()
            if self.isVisible():
                # A widget added to a shown parent would appear only after a queued show:
                # one frame of an empty dock.
                panel.show()
        return self._panel

    def _fit_dock(self) -> None:
        """Leave the dock the size it would have had with the panel in it from the start. A dock
        never laid out on screen sits at its content's minimum size, and the window's layout
        starts from that size when it first shows the dock: left at the stand-in's, the
        workspace would be split differently."""
        dock = self.parentWidget()
        if not isinstance(dock, QDockWidget) or dock.testAttribute(Qt.WidgetAttribute.WA_Resized):
            return
        dock.layout().invalidate()
        dock.resize(dock.size().expandedTo(dock.minimumSizeHint()))
        dock.setAttribute(Qt.WidgetAttribute.WA_Resized, False)     # as Qt does: not a user's resize

    def showEvent(self, event):
        self.panel()
        super().showEvent(event)


def build(widget) -> None:
    """A panel about to be shown is made first: the window lays its dock out for the panel it
    will hold, not for the stand-in."""
    if isinstance(widget, LazyPanel):
        widget.panel()


def build_in(dock: QDockWidget) -> None:
    build(dock.widget())
