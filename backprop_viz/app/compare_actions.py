"""Training › Compare… and the Compare panel's place in the window: made, shown, saved, acted on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from ..engine import SpecError
from ..session.layout_geometry import TRAIN
from . import dialogs
from .icons import icon
from .lazy_panel import LazyPanel

if TYPE_CHECKING:
    from .compare_panel import ComparePanel


class CompareActions:
    def __init__(self, window):
        self.w = window
        self._slot: LazyPanel | None = None
        self.action = QAction("&Compare…", window)
        ic = icon("fa6s.code-compare")
        if ic is not None:
            self.action.setIcon(ic)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.action.setToolTip("Compare runs that differ in chosen settings, side by side (Ctrl+Shift+C)")
        self.action.triggered.connect(lambda: self.compare())
        window.addAction(self.action)

    @property
    def panel(self) -> ComparePanel | None:
        """The current document's panel, built now if it was not yet (None before any document)."""
        return self._slot.panel() if self._slot is not None else None

    @property
    def built(self) -> bool:
        return self._slot is not None and self._slot.is_built

    @property
    def has_runs(self) -> bool:
        return self.built and self.panel.comparison is not None

    def install(self, doc) -> None:
        """A new document gets a new panel, with the runs its file holds. The panel (six plots and
        a worker) is built when first shown or used: most documents never compare runs."""
        self.shutdown()
        slot = LazyPanel(lambda: self._make_panel(doc), "compare")
        self._slot = slot
        self.w.panel_docks.put("compare", "Compare runs", slot, Qt.DockWidgetArea.BottomDockWidgetArea,
                               scroll=False)
        # Nothing to save until the panel exists: no comparison can have been made without it.
        doc.runs_provider = lambda: slot.panel().to_dict() if slot.is_built else None
        if doc.project.runs:
            slot.panel()       # the file's runs are shown in the Train workspace at once

    def _make_panel(self, doc) -> ComparePanel:
        from ..session.compare_runs import Comparison
        from .compare_panel import ComparePanel
        panel = ComparePanel()
        panel.newRequested.connect(lambda: self.compare())
        panel.makeMainRequested.connect(self.make_main)
        panel.walkRequested.connect(self.walk)
        panel.controller.stateChanged.connect(lambda state: self.w.doc.mark_modified()
                                              if panel.comparison is not None and state != "running" else None)
        saved = doc.project.runs
        if saved:
            # The file was checked when it was opened; the runs live in the panel from now on.
            panel.set_comparison(Comparison.from_dict(saved, doc.project))
            doc.project.runs = None
        return panel

    def compare(self, axes=None) -> bool:
        """Make runs from the current project (asking which settings they differ in)."""
        w = self.w
        w.training.pause()
        if axes is None:
            axes = dialogs.compare_runs(w, w.doc.project)
            if not axes:
                return False
        from ..session.compare_runs import Comparison
        try:
            comparison = Comparison.create(w.doc.project, axes)
        except SpecError as exc:
            dialogs.error(w, "Cannot compare", str(exc))
            return False
        self.panel.set_comparison(comparison)
        w.doc.mark_modified()
        self.show()
        return True

    def show(self) -> None:
        dock = self.w.docks["compare"]
        if dock.isHidden():
            self.w.set_workspace(TRAIN)
        dock.show()
        dock.raise_()

    def make_main(self, project, name: str) -> None:
        w = self.w
        w.training.pause()
        w.doc.apply(project, f"Make “{name}” the main run")
        w.statusBar().showMessage(f"“{name}” is now the main run: its settings and weights are the project's "
                                  "(Edit › Undo takes it back)", 8000)

    def walk(self, net, plan, name: str, what: str) -> None:
        """The stepper walks a compared run's next update (its whole batch, its optimizer)."""
        from ..session.walk import WHOLE, WalkSource
        w = self.w
        w.training.pause()
        weights = f"after update {plan.step - 1:,}" if plan.step > 1 else "initial"
        source = WalkSource(plan, weights, WHOLE, w.doc.version, run=name)
        w.stepper_panel.show_training_step(net, plan.X, plan.T, what, plan=plan, source=source)
        w._show_stepper()

    def shutdown(self) -> None:
        if self.built:
            self.panel.shutdown()
