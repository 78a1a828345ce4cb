"""The open project, its file, its undo history and what is selected."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..engine import SpecError, trace
from ..session.project import Project


class ProjectCommand(QUndoCommand):
    """Replace the whole project: edits are small, and snapshots cannot drift."""

    def __init__(self, doc: "Document", before: Project, after: Project, text: str):
        super().__init__(text)
        self.doc, self.before, self.after = doc, before, after

    def redo(self):
        self.doc._set(self.after)

    def undo(self):
        self.doc._set(self.before)


class Document(QObject):
    projectChanged = Signal()
    selectionChanged = Signal(object)
    pathChanged = Signal(str)

    def __init__(self, project: Project, path: str | None = None, parent=None):
        super().__init__(parent)
        self.project = project
        self.path = path
        self.template_title = getattr(project, "title", None)
        self.selection = None
        self.undo_stack = QUndoStack(self)
        self._trace = None
        # Every change counts up: a walk or an export made at another version is out of date.
        self.version = 0
        # Where the weights come from, as the walk's header says it.
        self.weights_origin = "initial"
        # Which parts the last change touched ({"network", "data", "training", "view"});
        # panels skip work that the change cannot affect.
        self.last_change = {"network", "data", "training", "view"}
        # The comparison of runs lives in its panel; it goes into the file from there.
        self.runs_provider = None

    def quiet(self) -> None:
        """No more signals: a stack deleted while modified announces that it is
        clean from its destructor, to slots whose objects are gone by then."""
        self.undo_stack.blockSignals(True)
        self.blockSignals(True)

    def dispose(self) -> None:
        self.quiet()
        self.deleteLater()

    # -- state -------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def mark_modified(self) -> None:
        """A change outside the undo history (training moved the weights)."""
        self.undo_stack.resetClean()

    @property
    def title(self) -> str:
        if self.path:
            return os.path.basename(self.path)
        return self.template_title or "Untitled"

    def _set(self, project: Project, origin: str | None = None) -> None:
        old = self.project
        self.last_change = {part for part, a, b in (
            ("network", old.network_spec, project.network_spec), ("data", old.data, project.data),
            ("training", old.training, project.training), ("view", old.view, project.view)) if a != b}
        self.project = project
        if self.last_change - {"view"}:
            self.version += 1
        if origin is not None:
            self.weights_origin = origin
        elif "network" in self.last_change and old.network_spec["layers"] != project.network_spec["layers"]:
            self.weights_origin = "as edited"
        if self.last_change & {"network", "data"}:
            self._trace = None
        self.projectChanged.emit()

    def changed(self, *parts: str) -> bool:
        """Did the last change touch any of ``parts``?"""
        return bool(self.last_change & set(parts))

    def apply(self, project: Project, text: str) -> None:
        """An undoable edit."""
        if project == self.project:
            return
        self.undo_stack.push(ProjectCommand(self, self.project, project, text))

    def replace_weights(self, network_spec: dict, origin: str | None = None) -> None:
        """New weights from training: not an edit, but the document changed."""
        self.project = self.project.with_network(network_spec)
        self._trace = None
        self.version += 1
        if origin is not None:
            self.weights_origin = origin
        self.last_change = {"network"}
        self.mark_modified()
        self.projectChanged.emit()

    def set_run_weights(self, network_spec: dict, origin: str) -> None:
        """Undo or redo of a stretch of training: the project as it was, from the undo stack."""
        self._set(self.project.with_network(network_spec), origin)

    def select(self, selection) -> None:
        self.selection = selection
        self.selectionChanged.emit(selection)

    # -- what the drawing shows on hover -----------------------------------------------
    def sample_trace(self):
        """A trace of the first training sample (values and gradients for tooltips)."""
        if self._trace is None:
            try:
                X, T, _, _ = self.project.arrays()
                self._trace = trace(self.project.network(), X[:1], T[:1])
            except (SpecError, FloatingPointError, OverflowError):
                self._trace = False
        return self._trace or None

    # -- files ---------------------------------------------------------------------
    def project_for_file(self) -> Project:
        """The project as it is written: with the runs being compared, if any."""
        runs = self.runs_provider() if self.runs_provider is not None else None
        return self.project.with_runs(runs) if runs else self.project

    def save_to(self, path: str, run=None) -> None:
        """``run(fn, *args)`` may do the writing elsewhere (off the GUI thread)."""
        project = self.project_for_file()
        if run is None:
            project.save(path)
        else:
            run(project.save, path)
        self.path = path
        self.undo_stack.setClean()
        self.pathChanged.emit(path)
