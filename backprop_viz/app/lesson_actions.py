"""File › Open lesson: a built-in or saved lesson opens its project and a lesson window beside the app.

While a lesson is open, its step's controls are applied to the window (:mod:`.lesson_controls`),
selections on the canvas and in the graph answer find checks, and the run's metrics answer reach
checks. Closing the lesson window puts every control back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from ..engine import SpecError
from ..session.lesson_picks import canvas_pick, graph_pick
from ..session.layout_geometry import BUILD, TRAIN, WALK
from ..session.project import Project
from . import dialogs
from .lesson_controls import LessonControls

# The lesson code loads when a lesson is first opened, not with the window.
if TYPE_CHECKING:
    from .lesson_editor import LessonEditor
    from .lesson_panel import LessonPanel

LESSON_FILTER = "Lesson (*.json)"


class LessonActions:
    def __init__(self, window):
        self.w = window
        self.panel: LessonPanel | None = None
        self.controls = LessonControls(window)
        self.editor: LessonEditor | None = None

    def build_menu(self, parent_menu: QMenu) -> QMenu:
        from ..session.assets import lessons_dir     # not session.lessons: loaded when a lesson opens
        m = parent_menu.addMenu("Open &lesson")
        for f in sorted(lessons_dir().glob("*.json")):
            m.addAction(f.stem.replace("_", " ").capitalize(), lambda _=False, p=str(f): self.open_path(p))
        m.addSeparator()
        m.addAction("Lesson file…", self.open_dialog)
        self.menu = m
        self.act_save_as_lesson = parent_menu.addAction("Save as l&esson…", self.save_as_lesson)
        self.act_save_as_lesson.setToolTip("The current project as the start of a lesson, with its steps written "
                                           "in a simple editor")
        return m

    def save_as_lesson(self) -> LessonEditor:
        from .lesson_editor import LessonEditor
        """The editor for a lesson starting from the project as it is now (a window of its own).
        Opened again, it keeps the steps written so far and takes the project as it is then."""
        if self.editor is not None:
            self.editor.project = self.w.doc.project
            self.editor.show()
            self.editor.raise_()
            return self.editor
        self.editor = LessonEditor(self.w.doc.project, self.w.doc.title, self.w)
        self.editor.setWindowFlag(Qt.WindowType.Tool, True)
        self.editor.setWindowTitle(f"Save as lesson — {self.w.doc.title}")
        self.editor.folder = self.w._last_folder()
        self.editor.resize(1000, 680)
        self.editor.show()
        return self.editor

    def open_dialog(self) -> bool:
        path = dialogs.open_path(self.w, "Open lesson", self.w._last_folder(), LESSON_FILTER)
        return self.open_path(path) if path else False

    def open_path(self, path: str) -> bool:
        from ..session.lessons import Lesson
        from .lesson_panel import LessonPanel
        try:
            lesson = Lesson.load(path)
        except SpecError as exc:
            dialogs.error(self.w, "Cannot open lesson", f"{path} could not be opened:\n\n{exc}")
            return False
        if not self.w.confirm_discard():
            return False
        project = Project.from_dict(lesson.project.to_dict())
        project.title = lesson.title      # the window shows it until the project is saved under a name
        self.close_lesson()
        self.w.replace_document(project, None)
        # A window of its own beside the app: the workspaces' layouts stay as they are.
        self.panel = LessonPanel(lesson, self.w)
        self.panel.setWindowFlag(Qt.WindowType.Tool, True)
        self.panel.setWindowTitle(f"Lesson — {lesson.title}")
        self.panel.folder = self.w._last_folder()
        self.panel.step_changed.connect(self._follow)
        self.panel.closed.connect(self.close_lesson)
        self._connect_document()
        self.panel.resize(440, 660)
        self.panel.show()
        self._follow(0)
        return True

    def close_lesson(self) -> None:
        """The lesson window goes and the window's controls are as they were before it."""
        panel, self.panel = self.panel, None
        self.controls.restore()
        self.controls.controls = {}
        if panel is not None:
            panel.closed.disconnect(self.close_lesson)
            panel.close()
            panel.deleteLater()

    def _connect_document(self) -> None:
        """The current document's panels report to the lesson (they are new with each document)."""
        w = self.w
        w.training.snapshot.connect(self._metrics)
        w.doc.selectionChanged.connect(self._canvas_selected)
        w.stepper_panel.graph.nodeClicked.connect(self._graph_clicked)

    def document_replaced(self) -> None:
        """Called by the window when it has built panels for a new document."""
        if self.panel is not None:
            self._connect_document()
            self.controls.reapply()

    def workspace_laid_out(self) -> None:
        """Called by the window when a workspace has re-arranged the docks."""
        if self.panel is not None:
            self.controls.reapply(docks_rearranged=True)

    # -- find checks: what the student selects ---------------------------------------------------
    def _canvas_selected(self, key) -> None:
        # A click in the graph also selects on the canvas; the graph's own signal answers for it.
        if self.panel is None or self.w.stepper_panel._linking:
            return
        self.panel.pick(canvas_pick(self.w.doc.project.network_spec, key))

    def _graph_clicked(self, nid: int) -> None:
        sp = self.w.stepper_panel
        if self.panel is None or sp.stepper is None:
            return
        self.panel.pick(graph_pick(sp.stepper, nid))

    def step_controls(self, i: int) -> dict:
        """A step without controls keeps the ones before it."""
        return next((s["controls"] for s in reversed(self.panel.lesson.steps[:i + 1]) if "controls" in s), {})

    def _metrics(self, _snap=None) -> None:
        from ..session.lessons import hidden_units, latest_metrics
        if self.panel is not None and self.w.training.history is not None:
            self.panel.show_metrics(latest_metrics(self.w.training.history),
                                    hidden_units(self.w.doc.project.network_spec))

    def _follow(self, i: int) -> None:
        """The step's setup applied to the window: its controls (in the workspace that shows them),
        its template or settings (one undoable edit), and the lesson's walk where the step puts it,
        so the graph shows the numbers the step's check is about."""
        controls = self.step_controls(i)
        self.controls.apply({})
        workspace = workspace_for(controls)
        if workspace is not None and any(self.w.docks[n].isHidden() for n in controls.get("shown", [])
                                         if n in self.w.docks):
            self.w.set_workspace(workspace)
        self.controls.apply(controls)
        setup = self.panel.step.get("setup") or {}
        doc = self.w.doc
        if "template" in setup:
            doc.apply(self.panel.lesson.project_at(i), "Lesson step")
        elif "training" in setup:
            p = doc.project
            wanted = {**p.training, **setup["training"]}
            if wanted != p.training:
                doc.apply(Project(p.network_spec, p.data, wanted, p.view), "Lesson step settings")
        self._metrics()
        if "walk" in setup:
            self._show_walk(i, setup["walk"])

    def _show_walk(self, i: int, where) -> None:
        from ..session.lessons import lesson_stepper, place_walk
        sp = self.w.stepper_panel
        if sp.frozen:
            return
        try:
            st = lesson_stepper(self.panel.lesson.project_at(i))
            place_walk(st, where)
        except (SpecError, ValueError, IndexError):
            return
        # The stepper shows this walk as it shows any given step; an edit or a run replaces it.
        sp.stepper = st
        sp.built_version = self.w.doc.version
        sp.special = "the lesson's first sample"
        sp.graph.set_stepper(st)
        sp.formula.show_node(st, None)
        sp._update()


def workspace_for(controls: dict) -> str | None:
    """The workspace whose layout has room for what a step shows: the walk, the run or the drawing."""
    shown = set(controls.get("shown", []))
    if shown & {"stepper", "graph", "formula"}:
        return WALK
    if shown & {"training", "plots"}:
        return TRAIN
    if shown & {"editor", "inspector"}:
        return BUILD
    return None
