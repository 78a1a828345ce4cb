"""File › Open lesson: a built-in or saved lesson opens its project and a lesson window beside the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from ..engine import SpecError
from ..session.project import Project
from . import dialogs

if TYPE_CHECKING:
    from .lesson_panel import LessonPanel

LESSON_FILTER = "Lesson (*.json)"


class LessonActions:
    def __init__(self, window):
        self.w = window
        self.panel: LessonPanel | None = None

    def build_menu(self, parent_menu: QMenu) -> QMenu:
        from ..session.lessons import lessons_dir
        m = parent_menu.addMenu("Open &lesson")
        for f in sorted(lessons_dir().glob("*.json")):
            m.addAction(f.stem.replace("_", " ").capitalize(), lambda _=False, p=str(f): self.open_path(p))
        m.addSeparator()
        m.addAction("Lesson file…", self.open_dialog)
        self.menu = m
        return m

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
        self.w.replace_document(project, None)
        if self.panel is not None:
            self.panel.close()
            self.panel.deleteLater()
        # A window of its own beside the app: the workspaces' layouts stay as they are.
        self.panel = LessonPanel(lesson, self.w)
        self.panel.setWindowFlag(Qt.WindowType.Tool, True)
        self.panel.setWindowTitle(f"Lesson — {lesson.title}")
        self.panel.step_changed.connect(self._follow)
        self.w.training.snapshot.connect(self._metrics)
        self.panel.resize(440, 620)
        self.panel.show()
        self._follow(0)
        return True

    def _metrics(self, _snap=None) -> None:
        from ..session.lessons import hidden_units, latest_metrics
        if self.panel is not None and self.w.training.history is not None:
            self.panel.show_metrics(latest_metrics(self.w.training.history),
                                    hidden_units(self.w.doc.project.network_spec))

    def _follow(self, i: int) -> None:
        """The step's setup applied to the window: its template or settings (one undoable edit),
        and the walk where the step puts it, so the graph shows the same moment."""
        from ..session.lessons import place_walk
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
        where = setup.get("walk")
        sp = self.w.stepper_panel
        st = sp.current_stepper()
        if where is None or st is None:
            return
        try:
            place_walk(st, where if not isinstance(where, int) else min(where, len(st.steps) - 1))
        except (ValueError, IndexError):
            return
        sp.graph.refresh()
        sp._update()
