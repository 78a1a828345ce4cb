"""A lesson step's controls applied to the window, and put back as they were.

The names are :data:`backprop_viz.session.lessons.CONTROLS`. *shown* brings a part into view,
*hidden* takes it out of view, *locked* leaves it in view but refuses changes: the network
cannot be edited, the training settings (learning rate…) cannot be changed though Train still
runs, the walk cannot be stepped, a panel or menu entry is greyed out.

Every change remembers the state it replaced, so the next step, or closing the lesson, restores
exactly that. The window rebuilds its panels for a new document and re-arranges its docks for a
workspace; after either, :meth:`LessonControls.reapply` puts the step's controls on the new ones.
"""

from __future__ import annotations

EDITOR_LOCK = "this lesson step keeps the network as it is"
DOCKS = ("inspector", "training", "stepper", "data", "plots")


class LessonControls:
    def __init__(self, window):
        self.w = window
        self.controls: dict = {}
        # (target object, what, name) → the value the lesson replaced, in the order changed.
        self._saved: list[tuple[object, str, str, object]] = []

    # -- what each name means in this window ------------------------------------------------------
    def _menu_action(self, name: str):
        if name == "export":
            return self.w.export_menu.menuAction()
        from PySide6.QtWidgets import QMenu
        return next(m.menuAction() for m in self.w.menuBar().findChildren(QMenu)
                    if m.title().replace("&", "") == "New from template")

    def _view_target(self, name: str):
        """The widget or action whose visibility the name means."""
        if name in DOCKS:
            return self.w.docks[name]
        if name in ("graph", "formula"):
            return getattr(self.w.stepper_panel, name)
        if name == "editor":
            return self.w.canvas
        return self._menu_action(name)

    def _lock_target(self, name: str):
        """(object, what) a lock changes: 'enabled' for widgets and actions, 'lesson_lock' for the editor,
        'locked' for the stepper."""
        w = self.w
        return {"editor": (w.editor, "lesson_lock"), "inspector": (w.inspector, "enabled"),
                "training": (w.training_panel.settings_box, "enabled"), "stepper": (w.stepper_panel, "locked"),
                "graph": (w.stepper_panel.graph, "enabled"), "formula": (w.stepper_panel.formula, "enabled"),
                "data": (w.data_panel, "enabled"), "plots": (w.plots, "enabled")}.get(
            name, (self._menu_action(name) if name in ("templates", "export") else None, "enabled"))

    # -- reading and writing a state ----------------------------------------------------------------
    @staticmethod
    def _get(obj, what):
        if what == "visible":
            return not obj.isHidden() if hasattr(obj, "isHidden") else obj.isVisible()
        if what == "enabled":
            return obj.isEnabled()
        return getattr(obj, what)

    @staticmethod
    def _set(obj, what, value) -> None:
        if what == "visible":
            obj.setVisible(value)
            if value and hasattr(obj, "raise_"):
                obj.raise_()
        elif what == "enabled":
            obj.setEnabled(value)
        elif what == "locked":
            obj.set_locked(value)
        else:
            setattr(obj, what, value)

    def _change(self, obj, what, name, value) -> None:
        if not any(o is obj and w == what for o, w, _, _ in self._saved):
            self._saved.append((obj, what, name, self._get(obj, what)))
        self._set(obj, what, value)

    # -- the step's controls --------------------------------------------------------------------------
    def apply(self, controls: dict | None) -> None:
        """The step's controls replace the previous step's (which are put back first)."""
        self.restore()
        self.controls = controls or {}
        self._put()

    def _put(self) -> None:
        c = self.controls
        for name in c.get("shown", []):
            self._change(self._view_target(name), "visible", name, True)
        for name in c.get("hidden", []):
            self._change(self._view_target(name), "visible", name, False)
        for name in c.get("locked", []):
            obj, what = self._lock_target(name)
            self._change(obj, what, name, EDITOR_LOCK if what == "lesson_lock" else
                         True if what == "locked" else False)

    def restore(self) -> None:
        """Everything the lesson changed, as it was (newest change undone first)."""
        for obj, what, _, old in reversed(self._saved):
            try:
                self._set(obj, what, old)
            except RuntimeError:       # a panel the window has since replaced
                pass
        self._saved = []

    def reapply(self, docks_rearranged: bool = False) -> None:
        """The window built new panels (a new document) or laid out a workspace: the step's controls
        go onto what is there now. States saved for panels that were replaced are dropped (their
        successors start as the window made them); so are dock visibilities a workspace has just set."""
        current = {id(self._view_target(n)) for n in self._names()} | \
                  {id(self._lock_target(n)[0]) for n in self._names()}
        self._saved = [s for s in self._saved
                       if id(s[0]) in current and not (docks_rearranged and s[1] == "visible" and s[2] in DOCKS)]
        self._put()

    def _names(self) -> set[str]:
        return {n for key in ("shown", "hidden", "locked") for n in self.controls.get(key, [])}

    def state(self) -> dict:
        """What the lesson has changed now, by name: for tests and the lesson panel's note."""
        return {(name, what): self._get(obj, what) for obj, what, name, _ in self._saved}
