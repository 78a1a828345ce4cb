"""The main window: the network canvas in the middle, panels docked around it."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QScrollArea, QWidget

from ..engine import SpecError
from ..engine.files import dumps, read_json, write_text_atomic
from ..engine.formatting import fmt
from ..session.project import Project
from ..session.templates import TEMPLATES, open_template
from . import dialogs
from .document import Document
from .editor import Editor
from .export_actions import ExportActions
from .icons import icon
from .inspector import InspectorPanel
from .network_canvas import NetworkCanvas
from .data_panel import DataPanel
from .plots_panel import PlotsPanel
from .stepper_panel import StepperPanel
from .training_controller import DIVERGED, RUNNING, TrainingController
from .training_panel import TrainingPanel
from .recovery_files import InstanceRecovery
from .settings import app_settings

AUTOSAVE_IDLE_MS = 30_000
MAX_RECENT = 8


def default_project() -> Project:
    return open_template("xor")


class MainWindow(QMainWindow):
    def __init__(self, project: Project | None = None, path: str | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = app_settings()
        self.persist_layout = True      # off for headless exports
        self.doc = None
        self.editor = None
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_IDLE_MS)
        self.autosave.timeout.connect(self.write_recovery)
        self.recovery = InstanceRecovery()
        self._build_status_bar()
        self.docks: dict[str, QDockWidget] = {}
        self._set_document(Document(project or default_project(), path))
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self.restore_layout()

    # -- document wiring --------------------------------------------------------------
    def _set_document(self, doc: Document) -> None:
        old = self.doc
        self.doc = doc
        if self.editor is not None:
            self.editor.deleteLater()     # a child of the window: it would outlive every open
        self.editor = Editor(doc, self)
        self.editor.refused.connect(lambda where, why: self.statusBar().showMessage(
            f"Not possible: {why}" if not where else f"Not possible ({where}): {why}", 8000))
        self.editor.notice.connect(lambda text: self.statusBar().showMessage(text, 12000))
        self.canvas = NetworkCanvas(doc, self.editor)
        self.setCentralWidget(self.canvas)
        self._install_panels()
        doc.undo_stack.cleanChanged.connect(self._update_title)
        doc.projectChanged.connect(self._project_changed)
        doc.pathChanged.connect(self._update_title)
        if hasattr(self, "act_undo"):
            self._rebind_undo()
        self._update_title()
        if old is not None:
            old.dispose()

    def _install_panels(self) -> None:
        first = not self.docks
        if getattr(self, "training", None) is not None:
            self.training.deleteLater()
        self.training = TrainingController(self.doc, self)
        self.inspector = InspectorPanel(self.doc, self.editor)
        self._dock("inspector", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.training_panel = TrainingPanel(self.doc, self.training)
        self._dock("training", "Training", self.training_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.data_panel = DataPanel(self.doc)
        self._dock("data", "Data", self.data_panel, Qt.DockWidgetArea.LeftDockWidgetArea, scroll=False)
        self.stepper_panel = StepperPanel(self.doc)
        self._dock("stepper", "Computational graph and stepper", self.stepper_panel,
                   Qt.DockWidgetArea.BottomDockWidgetArea)
        self.plots = PlotsPanel()
        self._dock("plots", "Live plots", self.plots, Qt.DockWidgetArea.BottomDockWidgetArea, scroll=False)
        if first:
            self.tabifyDockWidget(self.docks["training"], self.docks["inspector"])
            self.splitDockWidget(self.docks["stepper"], self.docks["plots"], Qt.Orientation.Horizontal)
            self.docks["training"].raise_()
        self._wire_training()

    def _wire_training(self) -> None:
        t = self.training
        t.historyReset.connect(self._history_reset)
        t.snapshot.connect(self._snapshot)
        t.stateChanged.connect(self._training_state)
        t.failed.connect(self._training_failed)
        self.training_panel.walkRequested.connect(self.walk_next_update)
        self.plots.alert.openStepRequested.connect(self.open_diverged_step)
        self._last_canvas_update = 0.0
        from ..engine import Network
        net = Network.from_dict(self.doc.project.network_spec)
        self._history_reset(t.history, [la.activation for la in net.spec.layers])

    def _history_reset(self, history, activations) -> None:
        self.plots.updates_per_epoch = self._updates_per_epoch()
        self.plots.set_history(history, activations)
        self.show_progress(self.training.epoch, self.training.steps, None, "not measured")

    def _updates_per_epoch(self) -> float:
        n = len(self.doc.project.arrays()[0])
        bs = self.doc.project.training["batch_size"]
        return float(1 if bs is None or bs >= n else -(-n // bs))

    def _snapshot(self, snap) -> None:
        import time
        self.plots.updates_per_epoch = self._updates_per_epoch()
        self.plots.show_snapshot(snap)
        if snap.boundary is not None:
            self.data_panel.show_boundary(snap.boundary)
        now = time.perf_counter()
        if now - self._last_canvas_update > 0.05 or not self.training.is_running:
            self.canvas.show_weights(snap.params)
            self._last_canvas_update = now
        self.show_progress(snap.epoch, snap.step, snap.loss, snap.health.state)
        self.status_health.setToolTip("\n".join(snap.health.evidence))

    def _training_state(self, state: str) -> None:
        running = state == RUNNING
        self.editor.locked_reason = "pause training to change the network" if running else None
        self.stepper_panel.frozen = running
        self.act_train.setText("&Pause" if running else "&Train")
        ic = icon("fa6s.pause" if running else "fa6s.play")
        if ic is not None:
            self.act_train.setIcon(ic)
        for act in (self.act_step, self.act_step_epoch):
            act.setEnabled(not running)
        if state == DIVERGED:
            self.statusBar().showMessage("Training diverged: see the alert in Live plots", 8000)

    def _training_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"Training stopped: {message}", 10000)
        dialogs.error(self, "Training stopped", f"Training stopped with an error:\n\n{message}\n\n"
                                                "The app keeps working; Reset starts afresh.")

    def walk_next_update(self) -> None:
        """The stepper walks exactly the update training would make next."""
        self._walk("next")

    def open_diverged_step(self) -> None:
        """The stepper walks the step that went non-finite."""
        self._walk("last")

    def _walk(self, which: str) -> None:
        try:
            net, X, T = self.training.batch(which)
        except SpecError as exc:
            self._training_failed(str(exc))
            return
        self.stepper_panel.show_training_step(net, X, T)
        self.docks["stepper"].show()
        self.docks["stepper"].raise_()

    def _dock(self, name: str, title: str, widget: QWidget, area, scroll: bool = True) -> QDockWidget:
        dock = self.docks.get(name)
        if scroll:
            # A scroll area lets a panel shrink below its natural size on small screens.
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QScrollArea.Shape.NoFrame)
            area_widget.setWidget(widget)
            widget = area_widget
        if dock is None:
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock_{name}")
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None:
            old.deleteLater()
        return dock

    def _project_changed(self) -> None:
        self.autosave.start()
        self._update_title()

    def _update_title(self, *_):
        star = "*" if self.doc.modified else ""
        self.setWindowTitle(f"{self.doc.title}{star} — backprop-viz")

    # -- actions ------------------------------------------------------------------------
    def _action(self, text, slot, shortcut=None, icon_name=None, tip=None) -> QAction:
        act = QAction(text, self)
        if icon_name:
            ic = icon(icon_name)
            if ic is not None:
                act.setIcon(ic)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setToolTip(tip or text.replace("&", ""))
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_new = self._action("&New", self.new_project, K.New, "fa6s.file")
        self.act_open = self._action("&Open…", self.open_dialog, K.Open, "fa6s.folder-open")
        self.act_save = self._action("&Save", self.save, K.Save, "fa6s.floppy-disk")
        self.act_save_as = self._action("Save &As…", self.save_as, K.SaveAs)
        self.act_export = self._action("&Export network file…", self.export_network, "Ctrl+E",
                                       "fa6s.file-export")
        self.act_quit = self._action("&Quit", self.close, K.Quit)
        self.act_undo = self._action("&Undo", lambda: self.doc.undo_stack.undo(), K.Undo, "fa6s.rotate-left")
        self.act_redo = self._action("&Redo", lambda: self.doc.undo_stack.redo(), K.Redo, "fa6s.rotate-right")
        self._rebind_undo()
        self.act_zoom_in = self._action("Zoom &in", lambda: self.canvas.zoom(1.25), K.ZoomIn,
                                        "fa6s.magnifying-glass-plus")
        self.act_zoom_out = self._action("Zoom &out", lambda: self.canvas.zoom(0.8), K.ZoomOut,
                                         "fa6s.magnifying-glass-minus")
        self.act_fit = self._action("&Fit to window", lambda: self.canvas.fit(), "Ctrl+0", "fa6s.expand")
        self.act_reset = self._action("&Reset", self.reset_weights, "Ctrl+R", "fa6s.arrows-rotate",
                                      "Re-initialise the weights from the seed and clear the run (Ctrl+R)")
        self.act_delete = self._action("&Delete selection", lambda: self.canvas.delete_selection())
        self.act_train = self._action("&Train", lambda: self.training.toggle(), "F5", "fa6s.play",
                                      "Train / pause (F5)")
        self.act_step = self._action("&Step", lambda: self.training.step_once(), "F10", "fa6s.forward-step",
                                     "One update (F10)")
        self.act_step_epoch = self._action("Step &epoch", lambda: self.training.step_epoch(), "Shift+F10",
                                           "fa6s.forward", "One epoch (Shift+F10)")

    def _rebind_undo(self) -> None:
        """Point Undo/Redo at the current document's stack."""
        stack = self.doc.undo_stack
        stack.canUndoChanged.connect(self.act_undo.setEnabled)
        stack.canRedoChanged.connect(self.act_redo.setEnabled)
        stack.undoTextChanged.connect(self._undo_text)
        stack.redoTextChanged.connect(self._redo_text)
        self.act_undo.setEnabled(stack.canUndo())
        self.act_redo.setEnabled(stack.canRedo())

    def _undo_text(self, text: str) -> None:
        self.act_undo.setText(f"&Undo {text}".strip())

    def _redo_text(self, text: str) -> None:
        self.act_redo.setText(f"&Redo {text}".strip())

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.act_new)
        templates = m.addMenu("New from &template")
        for t in TEMPLATES:
            templates.addAction(t.title, lambda _=False, key=t.key: self.new_project(key))
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &recent")
        self._fill_recent()
        m.addSeparator()
        m.addAction(self.act_save)
        m.addAction(self.act_save_as)
        self.exports = ExportActions(self)
        self.export_menu = self.exports.build_menu(m)
        m.addSeparator()
        m.addAction(self.act_quit)
        e = bar.addMenu("&Edit")
        e.addAction(self.act_undo)
        e.addAction(self.act_redo)
        e.addSeparator()
        e.addAction(self.act_delete)
        t = bar.addMenu("&Training")
        for act in (self.act_train, self.act_step, self.act_step_epoch, self.act_reset):
            t.addAction(act)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.act_zoom_in)
        self.view_menu.addAction(self.act_zoom_out)
        self.view_menu.addAction(self.act_fit)
        self.view_menu.addSeparator()
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        export = self.export_menu.menuAction()
        ic = icon("fa6s.file-export")
        if ic is not None:
            export.setIcon(ic)
        export.setToolTip("Export plots, drawings, the derivation, the run or the network")
        for act in (self.act_new, self.act_open, self.act_save, export, None, self.act_undo, self.act_redo, None,
                    self.act_train, self.act_step, self.act_step_epoch, self.act_reset, None,
                    self.act_zoom_in, self.act_zoom_out, self.act_fit):
            if act is None:
                tb.addSeparator()
            else:
                tb.addAction(act)
        self.toolbar = tb

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_epoch = QLabel("epoch 0")
        self.status_step = QLabel("step 0")
        self.status_loss = QLabel("loss —")
        self.status_health = QLabel("gradients: not measured")
        for w in (self.status_epoch, self.status_step, self.status_loss, self.status_health):
            w.setContentsMargins(6, 0, 6, 0)
            sb.addPermanentWidget(w)

    def show_progress(self, epoch: int, step: int, loss: float | None, health: str) -> None:
        self.status_epoch.setText(f"epoch {epoch}")
        self.status_step.setText(f"step {step}")
        self.status_loss.setText("loss —" if loss is None else f"loss {fmt(loss, 6)}")
        self.status_health.setText(f"gradients: {health}")

    # -- files ------------------------------------------------------------------------------
    def confirm_discard(self) -> bool:
        """True if the current document may be replaced (saved or discarded)."""
        if not self.doc.modified:
            return True
        answer = dialogs.save_discard_cancel(self, self.doc.title)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_project(self, template: str | None = None) -> bool:
        if not self.confirm_discard():
            return False
        project = open_template(template) if isinstance(template, str) else default_project()
        self.replace_document(project, None)
        return True

    def replace_document(self, project: Project, path: str | None) -> None:
        self.before_document_change()
        self._set_document(Document(project, path))
        self.discard_recovery()

    def before_document_change(self) -> None:
        """Training stops and its thread is joined before the document goes."""
        if self.doc is not None and getattr(self, "training", None) is not None:
            self.training.shutdown()

    def open_dialog(self) -> bool:
        path = dialogs.open_path(self, "Open project or network", self._last_folder())
        return self.open_path(path) if path else False

    def open_path(self, path: str) -> bool:
        try:
            project = Project.load(path)
        except SpecError as exc:
            dialogs.error(self, "Cannot open file", f"{path} could not be opened:\n\n{exc}")
            return False
        if not self.confirm_discard():
            return False
        self.replace_document(project, os.path.abspath(path))
        self._remember(path)
        return True

    def save(self) -> bool:
        if not self.doc.path:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        path = dialogs.save_path(self, "Save project", self._suggested_path())
        if not path:
            return False
        if not path.lower().endswith(".json"):
            path += ".json"
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.doc.save_to(path)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            dialogs.error(self, "Save failed", f"{path} could not be saved: {reason}.\n\n"
                                               "Your work is still open and unsaved.")
            return False
        self._remember(path)
        self.discard_recovery()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def export_network(self) -> bool:
        path = dialogs.save_path(self, "Export network file", self._suggested_path("-network"))
        if not path:
            return False
        try:
            write_text_atomic(path, dumps(self.doc.project.network_spec) + "\n")
        except OSError as exc:
            dialogs.error(self, "Export failed", f"{path} could not be written: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Exported {path}", 4000)
        return True

    def _suggested_path(self, suffix="") -> str:
        base = os.path.splitext(self.doc.path)[0] if self.doc.path else os.path.join(
            self._last_folder(), "untitled")
        return base + suffix + ".json"

    def _last_folder(self) -> str:
        return self.settings.value("last_folder", os.path.expanduser("~"), type=str)

    def _remember(self, path: str) -> None:
        path = os.path.abspath(path)
        self.settings.setValue("last_folder", os.path.dirname(path))
        recent = [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent", json.dumps([path] + recent[:MAX_RECENT - 1]))
        self._fill_recent()

    def recent_files(self) -> list[str]:
        try:
            value = json.loads(self.settings.value("recent", "[]", type=str))
            return [p for p in value if isinstance(p, str)]
        except ValueError:
            return []

    def _fill_recent(self) -> None:
        if not hasattr(self, "recent_menu"):
            return
        self.recent_menu.clear()
        files = self.recent_files()
        for p in files:
            self.recent_menu.addAction(p, lambda _=False, p=p: self.open_path(p))
        self.recent_menu.setEnabled(bool(files))

    def reset_weights(self) -> None:
        self.training.reset()

    # -- recovery -------------------------------------------------------------------------
    def write_recovery(self) -> None:
        if not self.doc.modified:
            return
        payload = {"path": self.doc.path, "project": self.doc.project.to_dict()}
        try:
            self.recovery.write(json.dumps(payload) + "\n")
        except OSError as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc.strerror or exc}", 8000)

    def discard_recovery(self) -> None:
        self.recovery.discard()

    def offer_recovery(self) -> bool:
        """After a crash, offer the unsaved work left in the recovery file."""
        path = self.recovery.claim_orphan()
        if path is None:
            return False
        try:
            payload = read_json(path, "recovery file")
            project = Project.from_dict(payload["project"])
            original = payload.get("path")
            if original is not None and not isinstance(original, str):
                raise SpecError("path", "expected text")
        except (KeyError, TypeError, SpecError) as exc:
            self.recovery.discard_claimed()
            self.statusBar().showMessage(f"An unreadable recovery file was removed ({exc})", 8000)
            return False
        name = os.path.basename(original) if original else "an untitled project"
        if not dialogs.ask_yes_no(self, "Restore unsaved work",
                                  f"backprop-viz closed with unsaved changes to {name}.\n"
                                  "Restore them?"):
            self.recovery.discard_claimed()
            return False
        self._set_document(Document(project, original))
        self.doc.mark_modified()
        self._update_title()
        self.write_recovery()     # now this window's, before the dead one's goes
        self.recovery.discard_claimed()
        return True

    # -- layout and closing -----------------------------------------------------------------
    def restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        else:
            self.default_layout()
            QTimer.singleShot(0, self.default_layout)

    def default_layout(self) -> None:
        """First start: the canvas in the middle keeps the most room."""
        w, h = self.width(), self.height()
        self.resizeDocks([self.docks["data"], self.docks["training"]], [int(w * 0.24), int(w * 0.26)],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["stepper"]], [int(h * 0.45)], Qt.Orientation.Vertical)

    def save_layout(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("state", self.saveState())
        self.settings.sync()

    def closeEvent(self, event):
        if not self.confirm_discard():
            event.ignore()
            return
        self.before_document_change()
        self.autosave.stop()
        self.recovery.close()
        self.doc.quiet()
        if self.persist_layout:
            self.save_layout()
        event.accept()

