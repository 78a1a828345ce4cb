"""A dock's stand-in for a panel that is costly to build: the panel is made when first shown.

The first window shows the Build workspace; the Train workspace's plots and the Compare panel
(a dozen pyqtgraph plots between them) would double the time to the first paint if they were
built up front. The stand-in builds its panel the first time it is shown, or the first time
code asks for it (:meth:`panel`), and from then on only holds it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout, QWidget


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
            if self.isVisible():
                # A widget added to a shown parent would appear only after a queued show:
                # one frame of an empty dock.
                panel.show()
        return self._panel

    def showEvent(self, event):
        self.panel()
        super().showEvent(event)
