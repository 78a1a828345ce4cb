"""Workspaces (Build / Walk / Train), the default layout, and the layout kept between runs.

A saved layout is used only when it can be trusted: it fits the screen the window opens on,
it names every panel this version has, and Qt accepts it. Anything else (a layout from an
older version, another program's settings, a file cut short) is ignored for the default."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QTabBar

from ..session.layout_geometry import (BUILD, PANELS, TRAIN, WALK, WORKSPACES, first_window_size,
                                       fits_screen, workspace_plan)
from .lazy_panel import build_in

LAYOUT_VERSION = 2     # bumped when panels change; older saved layouts are not used
LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
HOME_AREA = {"data": LEFT, "inspector": RIGHT, "training": RIGHT, "help": RIGHT, "stepper": BOTTOM,
             "plots": BOTTOM, "compare": BOTTOM}


def _rect(r: QRect) -> tuple[int, int, int, int]:
    return r.x(), r.y(), r.width(), r.height()


def state_names_every_panel(state: QByteArray) -> bool:
    """Qt stores each dock's object name (UTF-16) in the state; all of ours must be there."""
    data = bytes(state)
    return all(f"dock_{name}".encode("utf-16-be") in data for name in PANELS)


class WindowLayout:
    def __init__(self, window: QMainWindow, settings):
        self.window = window
        self.settings = settings
        self.workspace = BUILD
        self.persist = True       # off for headless exports and screenshots
        self.restored = False     # the saved layout is in use (not to be re-sized)

    @property
    def docks(self):
        return self.window.docks

    # -- workspaces --------------------------------------------------------------------
    def apply(self, name: str) -> None:
        """Arrange the panels for an activity, from scratch (also what Reset layout does)."""
        w = self.window
        width, height = w.width(), w.height()
        plan = workspace_plan(name, width, height)
        self.workspace = name
        self.restored = False
        corner = BOTTOM if plan.bottom_spans_width else None
        w.setCorner(Qt.Corner.BottomLeftCorner, corner or LEFT)
        w.setCorner(Qt.Corner.BottomRightCorner, corner or RIGHT)
        for key, dock in self.docks.items():
            dock.setFloating(False)
            w.removeDockWidget(dock)
        d = self.docks
        for key, dock in d.items():
            w.addDockWidget(BOTTOM if key == "data" and plan.data_below else HOME_AREA[key], dock)
        if plan.data_below:
            w.splitDockWidget(d["data"], d["plots"], Qt.Orientation.Horizontal)
        w.tabifyDockWidget(d["training"], d["inspector"])
        w.tabifyDockWidget(d["inspector"], d["help"])
        w.tabifyDockWidget(d["plots"], d["compare"])
        for key, dock in d.items():
            shown = (key in plan.visible or (key == "help" and self._help_wanted())
                     or (key == "compare" and name == TRAIN and self._compare_wanted()))
            if shown:
                build_in(dock)
            dock.setVisible(shown)
        self._raise(plan)
        self._sizes(plan)
        # The docks settle once the event loop has laid them out; size and raise them again then.
        QTimer.singleShot(0, lambda: self.workspace == name and self._settle(name))
        w.workspaceChanged(name)

    def settle(self) -> None:
        """Size and raise the current workspace's panels again, unless a saved layout is in use."""
        if not self.restored:
            self._settle(self.workspace)

    def _settle(self, name: str) -> None:
        plan = workspace_plan(name, self.window.width(), self.window.height())
        self._raise(plan)
        self._sizes(plan)

    def _raise(self, plan) -> None:
        docks = [self.docks["help" if self._help_wanted() else plan.raised]]
        if self.docks["compare"].isVisible():
            docks.append(self.docks["compare"])
        for dock in docks:
            dock.raise_()
            # raise_() does not always reach a tab group the window built before it was shown;
            # choosing the tab itself does.
            for bar in self.window.findChildren(QTabBar):
                if bar.parent() is not self.window:
                    continue
                for i in range(bar.count()):
                    if bar.tabText(i) == dock.windowTitle():
                        bar.setCurrentIndex(i)

    def _compare_wanted(self) -> bool:
        """The Train workspace shows the Compare panel while there are runs to compare."""
        compare = getattr(self.window, "compare", None)
        return compare is not None and compare.has_runs

    def _help_wanted(self) -> bool:
        return getattr(self.window, "help_pinned", False)

    def _sizes(self, plan) -> None:
        w, d = self.window, self.docks
        docks, widths = [], []
        if plan.left_width and d["data"].isVisible():
            docks.append(d["data"])
            widths.append(plan.left_width)
        right = next((d[k] for k in ("training", "inspector", "help") if d[k].isVisible()), None)
        if plan.right_width and right is not None:
            docks.append(right)
            widths.append(plan.right_width)
        if docks:
            w.resizeDocks(docks, widths, Qt.Orientation.Horizontal)
        bottom = [d[k] for k in ("stepper", "plots") if d[k].isVisible()]
        if plan.data_below and d["data"].isVisible():
            bottom = [d["data"]]
        if plan.bottom_height and bottom:
            w.resizeDocks(bottom[:1], [plan.bottom_height], Qt.Orientation.Vertical)

    # -- persistence -------------------------------------------------------------------
    def restore(self) -> bool:
        """Use the saved layout if it can be trusted; otherwise the default. True if restored."""
        w = self.window
        screen = (w.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        if self._restore_saved(screen):
            return True
        w.resize(*first_window_size(screen.width(), screen.height()))
        self.apply(BUILD)
        return False

    def _restore_saved(self, screen: QRect) -> bool:
        s = self.settings
        try:
            version = int(s.value("layout/version", 0))
        except (TypeError, ValueError):
            return False
        geometry, state = s.value("geometry"), s.value("state")
        workspace = s.value("layout/workspace", BUILD)
        if version != LAYOUT_VERSION or workspace not in WORKSPACES:
            return False
        if not isinstance(geometry, QByteArray) or not isinstance(state, QByteArray) or \
                geometry.isEmpty() or not state_names_every_panel(state):
            return False
        # Qt squeezes a restored window onto the screen by itself, so the check is made on the
        # rectangle saved with it, before restoring anything.
        saved = s.value("layout/window", "")
        try:
            rect = tuple(int(v) for v in str(saved).split(","))
        except ValueError:
            return False
        if len(rect) != 4 or not fits_screen(rect, _rect(screen)):
            return False
        w = self.window
        if not w.restoreGeometry(geometry):
            return False
        if not w.restoreState(state, LAYOUT_VERSION):
            return False
        if any(d.isFloating() for d in self.docks.values()):
            return False
        for dock in self.docks.values():
            if not dock.isHidden():
                build_in(dock)
        self.workspace = workspace
        self.restored = True
        w.workspaceChanged(workspace)
        return True

    def save(self) -> None:
        if not self.persist:
            return
        s = self.settings
        s.setValue("geometry", self.window.saveGeometry())
        s.setValue("state", self.window.saveState(LAYOUT_VERSION))
        s.setValue("layout/version", LAYOUT_VERSION)
        s.setValue("layout/window", ",".join(str(v) for v in _rect(self.window.geometry())))
        s.setValue("layout/workspace", self.workspace)
        s.sync()


__all__ = ["WindowLayout", "BUILD", "WALK", "TRAIN", "WORKSPACES", "state_names_every_panel"]
