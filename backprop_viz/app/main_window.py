"""The main window: the network canvas in the middle, panels docked around it."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

from ..engine import SpecError
from ..engine.files import dumps, read_json, write_text_atomic
from ..engine.formatting import fmt
from ..session.layout_geometry import BUILD, TRAIN, WALK, WORKSPACE_TIPS, WORKSPACE_TITLES, WORKSPACES
from ..session.project import Project
from ..session.templates import TEMPLATES, blank_project, open_template
from . import dialogs
from .document import Document
from .editor import Editor
from .export_actions import ExportActions
from .icons import icon
from .inspector import InspectorPanel
from .network_canvas import NetworkCanvas
from .canvas_neuron_maps import NeuronMapsOverlay
from .canvas_walk_overlay import CanvasWalkOverlay
from .data_panel import DataPanel
from .lazy_panel import LazyPanel
from .stepper_panel import StepperPanel
from .training_controller import DIVERGED, RUNNING, TrainingController
from .training_panel import TrainingPanel
from .legend_overlay import CANVAS_LEGEND, GRAPH_LEGEND, LegendOverlay
from .help_panel import ABOUT, GETTING_STARTED, LEGEND, SHORTCUTS, WELCOME, HelpPanel
from .lesson_actions import LessonActions
from .compare_actions import CompareActions
from .panel_docks import PanelDocks
from .recent_files import RecentFiles
from .recovery import Recovery
from .settings import app_settings
from .window_layout import WindowLayout

AUTOSAVE_IDLE_MS = 30_000
WORKSPACE_KEYS = {BUILD: "Ctrl+1", WALK: "Ctrl+2", TRAIN: "Ctrl+3"}
WORKSPACE_ICONS = {BUILD: "fa6s.pen-ruler", WALK: "fa6s.shoe-prints", TRAIN: "fa6s.chart-line"}


def default_project() -> Project:
    return open_template("xor")


class MainWindow(QMainWindow):
    def __init__(self, project: Project | None = None, path: str | None = None, welcome: bool = True):
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = app_settings()
        self.recent = RecentFiles(self.settings, self.open_path)
        self.recovery = Recovery(self)
        self.layout_ = WindowLayout(self, self.settings)
        self.panel_docks = PanelDocks(self)
        self.docks = self.panel_docks.docks
        self.doc = None
        self.editor = None
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_IDLE_MS)
        self.autosave.timeout.connect(self.write_recovery)
        self._build_status_bar()
        self.compare = CompareActions(self)
        self._set_document(Document(project or default_project(), path))
        self._build_actions()
        self._build_help()
        self._build_menus()
        self._build_toolbar()
        first_launch = welcome and not self.settings.value("welcome_shown", False, type=bool)
        self.help_pinned = first_launch
        self.restore_layout()
        if first_launch:
            self.show_help(WELCOME)
            self.settings.setValue("welcome_shown", True)

    def showEvent(self, event):
        super().showEvent(event)
        if not getattr(self, "_shown_once", False):
            # Tabs can be brought to the front only once the docks are laid out on screen.
            self._shown_once = True
            QTimer.singleShot(0, lambda: self.layout_.settle())

    @property
    def persist_layout(self) -> bool:
        return self.layout_.persist

    @persist_layout.setter
    def persist_layout(self, on: bool) -> None:
        self.layout_.persist = on

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
        self.walk_overlay = CanvasWalkOverlay(self.canvas, self.stepper_panel)
        self.neuron_maps = NeuronMapsOverlay(self.canvas, doc, self.training)
        self.neuron_maps.set_enabled(hasattr(self, "act_neuron_maps") and self.act_neuron_maps.isChecked())
        doc.projectChanged.connect(lambda: doc.changed("network") and self._plots_slot.is_built
                                   and self.plots.network_changed(doc.project.network_spec))
        self.legends = [LegendOverlay(CANVAS_LEGEND, self.canvas.viewport()),
                        LegendOverlay(GRAPH_LEGEND, self.stepper_panel.graph.viewport())]
        if hasattr(self, "act_legends"):
            self.show_legends(self.act_legends.isChecked())
        doc.undo_stack.cleanChanged.connect(self._update_title)
        doc.projectChanged.connect(self._project_changed)
        doc.pathChanged.connect(self._update_title)
        if hasattr(self, "act_undo"):
            self._rebind_undo()
        self._update_title()
        if old is not None:
            old.dispose()
        if getattr(self, "lessons", None) is not None:
            self.lessons.document_replaced()

    def _install_panels(self) -> None:
        first = not self.docks
        if getattr(self, "training", None) is not None:
            self.training.deleteLater()
        self.training = TrainingController(self.doc, self)
        self._run_history = self.training.history
        self.inspector = InspectorPanel(self.doc, self.editor)
        self._dock("inspector", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.training_panel = TrainingPanel(self.doc, self.training)
        self._dock("training", "Training", self.training_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.data_panel = DataPanel(self.doc)
        self._dock("data", "Data", self.data_panel, Qt.DockWidgetArea.LeftDockWidgetArea, scroll=False)
        # Made with its runner: the walk is built once, of the run's own next update.
        self.stepper_panel = StepperPanel(self.doc, runner=self.training)
        # The stepper's keys work from every workspace, and bring the walk into view.
        for act in self.stepper_panel.actions():
            self.addAction(act)
            act.triggered.connect(self._walk_shown)
        self._dock("stepper", "Computational graph and stepper", self.stepper_panel,
                   Qt.DockWidgetArea.BottomDockWidgetArea, scroll=False)
        # Nine pyqtgraph plots, shown only in the Train workspace: built when first shown (or
        # when training first sends them something), not before the first window is painted.
        self._plots_slot = LazyPanel(self._make_plots, "plots")
        self._dock("plots", "Live plots", self._plots_slot, Qt.DockWidgetArea.BottomDockWidgetArea, scroll=False)
        self.compare.install(self.doc)
        if first:
            self.help_panel = HelpPanel(self._shortcut_actions)
            self.help_panel.wayInChosen.connect(self.way_in)
            self.help_panel.lessonChosen.connect(lambda path: self.lessons.open_path(path))
            self._dock("help", "Help", self.help_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._wire_training()

    def _wire_training(self) -> None:
        t = self.training
        t.historyReset.connect(self._history_reset)
        t.snapshot.connect(self._snapshot)
        t.stateChanged.connect(self._training_state)
        t.failed.connect(self._training_failed)
        t.visible_views = self._visible_views
        self.training_panel.walkRequested.connect(self.walk_next_update)
        self._last_canvas_update = 0.0
        self._history_reset(t.history, self._activations())

    def _activations(self) -> list:
        from ..engine import Network
        return [la.activation for la in Network.from_dict(self.doc.project.network_spec).spec.layers]

    @property
    def plots(self):
        """The Live plots panel (a PlotsPanel), built the first time it is shown or asked for."""
        return self._plots_slot.panel()

    @property
    def compare_panel(self):
        """The Compare panel, built the first time it is shown or asked for."""
        return self.compare.panel

    def _make_plots(self):
        from .plots_panel import PlotsPanel
        panel = PlotsPanel()
        panel.alert.openStepRequested.connect(self.open_diverged_step)
        # Until now the panel had nothing to show but the network and the run's history: both are
        # where they would be had it been built with the window (training's first snapshot builds
        # it, so no snapshot came before).
        panel.network_changed(self.doc.project.network_spec)
        panel.updates_per_epoch = self._updates_per_epoch()
        panel.set_history(self._run_history, self._activations())
        return panel

    def _history_reset(self, history, activations) -> None:
        self.inspector.optimizer_box.clear()
        self._run_history = history       # what the plots show, now or once built
        if self._plots_slot.is_built:
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
        self.inspector.optimizer_box.show_snapshot(snap.extra.get("optimizer"))
        if snap.boundary is not None:
            self.data_panel.show_boundary(snap.boundary)
        now = time.perf_counter()
        if now - self._last_canvas_update > 0.05 or not self.training.is_running:
            self.canvas.show_weights(snap.params)
            self._last_canvas_update = now
        self.show_progress(snap.epoch, snap.step, snap.loss, snap.health.state)
        self.status_health.setToolTip("\n".join(snap.health.evidence))

    def _visible_views(self) -> frozenset:
        """The costly views on screen now: the training process computes only these."""
        from ..session.training import BOUNDARY, DISTRIBUTIONS
        views = set()
        if self.data_panel.isVisible():
            views.add(BOUNDARY)
        if self._plots_slot.is_built and self.plots.isVisible() and self.plots.tabs.tabText(self.plots.tabs.currentIndex()) in (
                "Distributions", "Lesson"):
            views.add(DISTRIBUTIONS)
        return frozenset(views)

    def _training_state(self, state: str) -> None:
        running = state == RUNNING
        self.editor.locked_reason = "pause training to change the network" if running else None
        self.stepper_panel.set_frozen(running)
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
        self.training.pause()
        panel = self.stepper_panel
        panel.typed_x.clear()
        panel.typed_t.clear()
        # The whole update first (a batch at layer level); unticking walks one of its samples.
        n = len(self.doc.project.arrays()[0])
        bs = self.doc.project.training["batch_size"]
        panel.batch.blockSignals(True)
        panel.batch.setChecked(min(n, bs or n) > 1)
        panel.batch.blockSignals(False)
        panel._restart_next = True
        panel.rebuild()
        self._show_stepper()

    def open_diverged_step(self) -> None:
        """The stepper walks the step that went non-finite."""
        try:
            net, X, T = self.training.batch("last")
        except SpecError as exc:
            self._training_failed(str(exc))
            return
        self.stepper_panel.show_training_step(
            net, X, T, f"update {self.training.steps + 1:,}, which went non-finite (training did not apply it)")
        self._show_stepper()

    def _show_stepper(self) -> None:
        if self.docks["stepper"].isHidden():
            self.set_workspace(WALK)
        self.docks["stepper"].raise_()

    def _walk_shown(self) -> None:
        if self.docks["stepper"].isHidden():
            self.set_workspace(WALK)

    def _dock(self, name: str, title: str, widget: QWidget, area, scroll: bool = True):
        return self.panel_docks.put(name, title, widget, area, scroll)

    def _project_changed(self) -> None:
        self.autosave.start()
        self._update_title()

    def _update_title(self, *_):
        star = "*" if self.doc.modified else ""
        self.setWindowTitle(f"{self.doc.title}{star} — backprop-viz")

    # -- workspaces and help ----------------------------------------------------------------
    def set_workspace(self, name: str) -> None:
        self.layout_.apply(name)

    def workspaceChanged(self, name: str) -> None:
        """Called by the layout: the workspace buttons follow."""
        act = getattr(self, "workspace_actions", {}).get(name)
        if act is not None and not act.isChecked():
            act.setChecked(True)
        if getattr(self, "lessons", None) is not None:
            self.lessons.workspace_laid_out()

    @property
    def workspace(self) -> str:
        return self.layout_.workspace

    def show_legends(self, on: bool) -> None:
        for legend in self.legends:
            legend.setVisible(bool(on))

    def reset_layout(self) -> None:
        self.layout_.apply(self.layout_.workspace)

    def show_help(self, page: str = GETTING_STARTED) -> None:
        """Help opens in its own panel, next to the work, never as a modal dialog."""
        self.help_panel.show_page(page)
        dock = self.docks["help"]
        dock.setFloating(False)
        dock.show()
        dock.raise_()

    def way_in(self, template: str | None) -> None:
        """One of the welcome page's three ways in."""
        if not self.new_project("own" if template is None else template):
            return
        # The welcome page steps aside: the chosen way in gets the room.
        self.help_pinned = False
        self.set_workspace(BUILD if template is None else WALK if template == "worked_example" else TRAIN)

    def _shortcut_actions(self) -> list[tuple[str, list[QAction]]]:
        """The actions by where they act, for Help › Keyboard shortcuts (the menus' own order)."""
        groups = []
        for menu_action in self.menuBar().actions():
            menu = menu_action.menu()
            if menu is not None:
                groups.append((menu_action.text().replace("&", ""), list(menu.actions())))
        groups.append(("Stepper (the walk)", list(self.stepper_panel.actions())))
        groups.append(("Everywhere else", list(self.actions())))
        return groups

    def _build_help(self) -> None:
        self.act_help = self._action("&Getting started", lambda: self.show_help(GETTING_STARTED),
                                     QKeySequence.StandardKey.HelpContents, "fa6s.circle-question",
                                     "Getting started (F1)")
        if not any(k.matches(QKeySequence("F1")) == QKeySequence.SequenceMatch.ExactMatch
                   for k in self.act_help.shortcuts()):
            self.act_help.setShortcuts(list(self.act_help.shortcuts()) + [QKeySequence("F1")])
        self.act_welcome = self._action("&Welcome", lambda: self.show_help(WELCOME))
        self.act_shortcuts = self._action("&Keyboard shortcuts", lambda: self.show_help(SHORTCUTS))
        self.act_legend = self._action("What each &panel shows", lambda: self.show_help(LEGEND))
        self.act_about = self._action("&About backprop-viz", lambda: self.show_help(ABOUT))

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
        self.act_undo = self._action("&Undo", lambda: self._history_move("undo"), K.Undo, "fa6s.rotate-left")
        self.act_redo = self._action("&Redo", lambda: self._history_move("redo"), K.Redo, "fa6s.rotate-right")
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
        self.workspace_group = QActionGroup(self)
        self.workspace_actions = {}
        for name in WORKSPACES:
            act = self._action(f"&{WORKSPACE_TITLES[name]}", lambda _=False, n=name: self.set_workspace(n),
                               WORKSPACE_KEYS[name], WORKSPACE_ICONS[name],
                               f"{WORKSPACE_TIPS[name]} ({WORKSPACE_KEYS[name]})")
            act.setCheckable(True)
            self.workspace_group.addAction(act)
            self.workspace_actions[name] = act
        self.act_legends = self._action("Show &legends on panels", self.show_legends, None, None,
                                        "A key to the colours, line widths and ∂E notation over the network "
                                        "and the computational graph")
        self.act_legends.setCheckable(True)
        self.act_reset_layout = self._action("Reset &layout", self.reset_layout, "Ctrl+Shift+0", None,
                                             "Put the panels of this workspace back where they start")

    def _rebind_undo(self) -> None:
        """Point Undo/Redo at the current document's stack."""
        stack = self.doc.undo_stack
        stack.canUndoChanged.connect(self.act_undo.setEnabled)
        stack.canRedoChanged.connect(self.act_redo.setEnabled)
        stack.undoTextChanged.connect(self._undo_text)
        stack.redoTextChanged.connect(self._redo_text)
        self.act_undo.setEnabled(stack.canUndo())
        self.act_redo.setEnabled(stack.canRedo())

    def _history_move(self, which: str) -> None:
        # Pausing first closes the running stretch of training as its own entry,
        # so Undo while training takes back exactly that stretch.
        self.training.pause()
        getattr(self.doc.undo_stack, which)()

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
        self.recent.attach(self.recent_menu)
        m.addSeparator()
        m.addAction(self.act_save)
        m.addAction(self.act_save_as)
        self.exports = ExportActions(self)
        self.export_menu = self.exports.build_menu(m)
        self.act_import_weights = m.addAction("&Import weights…", self.import_weights)
        self.lessons = LessonActions(self)
        self.lessons.build_menu(m)
        m.addSeparator()
        m.addAction(self.act_quit)
        e = bar.addMenu("&Edit")
        e.addAction(self.act_undo)
        e.addAction(self.act_redo)
        e.addSeparator()
        e.addAction(self.act_delete)
        t = bar.addMenu("&Training")
        for act in (self.act_train, self.act_step, self.act_step_epoch, self.act_reset, None, self.compare.action):
            t.addSeparator() if act is None else t.addAction(act)
        self.view_menu = bar.addMenu("&View")
        for act in self.workspace_actions.values():
            self.view_menu.addAction(act)
        self.view_menu.addAction(self.act_reset_layout)
        self.view_menu.addAction(self.act_legends)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.act_zoom_in)
        self.view_menu.addAction(self.act_zoom_out)
        self.view_menu.addAction(self.act_fit)
        self.act_neuron_maps = self.view_menu.addAction("Show what each &neuron learned (2 inputs)")
        self.act_neuron_maps.setCheckable(True)
        self.act_neuron_maps.toggled.connect(lambda on: self.neuron_maps.set_enabled(on))
        self.view_menu.addSeparator()
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        h = bar.addMenu("&Help")
        for act in (self.act_welcome, self.act_help, self.act_shortcuts, self.act_legend, None, self.act_about):
            if act is None:
                h.addSeparator()
            else:
                h.addAction(act)

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        export = self.export_menu.menuAction()
        ic = icon("fa6s.file-export")
        if ic is not None:
            export.setIcon(ic)
        export.setToolTip("Export plots, drawings, the derivation, the run or the network")
        for act in (self.act_new, self.act_open, self.act_save, export, None, self.act_undo, self.act_redo, None,
                    self.act_train, self.act_step, self.act_step_epoch, self.act_reset, self.compare.action, None,
                    self.act_zoom_in, self.act_zoom_out, self.act_fit):
            if act is None:
                tb.addSeparator()
            else:
                tb.addAction(act)
        self.toolbar = tb
        # The workspaces are read as words, not guessed from icons.
        ws = self.addToolBar("Workspaces")
        ws.setObjectName("workspaceToolbar")
        ws.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for act in self.workspace_actions.values():
            ws.addAction(act)
        self.workspace_toolbar = ws

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
        if template == "own":
            project = blank_project()
        else:
            project = open_template(template) if isinstance(template, str) else default_project()
        self.replace_document(project, None)
        return True

    def replace_document(self, project: Project, path: str | None) -> None:
        from .collection import collection_deferred
        self.before_document_change()
        with collection_deferred():
            self._set_document(Document(project, path))
        self.discard_recovery()

    def before_document_change(self) -> None:
        """Training stops and its thread is joined before the document goes."""
        if self.doc is not None and getattr(self, "training", None) is not None:
            self.training.shutdown()
        self.compare.shutdown()

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
        from .background import run_busy
        name = os.path.basename(path)
        try:
            # A project with a large data set takes seconds to write: the window keeps painting.
            self.doc.save_to(path, lambda fn, *a: run_busy(self, f"Saving {name}…", fn, *a, cancellable=False))
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
        return self.recent.last_folder()

    def _remember(self, path: str) -> None:
        self.recent.remember(path)

    def recent_files(self) -> list[str]:
        return self.recent.files()

    def import_weights(self, path: str | None = None) -> bool:
        from .weights_import_action import import_weights_into
        return import_weights_into(self, path)

    def reset_weights(self) -> None:
        self.training.reset()

    # -- recovery ---------------------------------------------------------------------------
    def write_recovery(self) -> None:
        self.recovery.write()

    def discard_recovery(self) -> None:
        self.recovery.discard()

    def offer_recovery(self) -> bool:
        return self.recovery.offer()

    def restore_document(self, project: Project, path: str | None) -> None:
        """Recovered work: open, and marked unsaved."""
        self._set_document(Document(project, path))
        self.doc.mark_modified()
        self._update_title()

    # -- layout and closing -----------------------------------------------------------------
    def restore_layout(self) -> bool:
        return self.layout_.restore()

    def default_layout(self) -> None:
        self.layout_.apply(BUILD)

    def save_layout(self) -> None:
        self.layout_.save()

    def closeEvent(self, event):
        if not self.confirm_discard():
            event.ignore()
            return
        self.before_document_change()
        from .collection import collect_now
        collect_now()                   # a collection deferred by the last open is not left pending
        self.autosave.stop()
        self.recovery.close()
        self.doc.quiet()
        if self.persist_layout:
            self.save_layout()
        event.accept()

