"""Walk the forward and backward pass node by node on the computational graph."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QRadioButton, QSlider, QSpinBox, QSplitter, QToolButton, QVBoxLayout,
                               QWidget)

from ..engine import NeuronViewUnavailable, SpecError
from ..session.stepper import (AUTO_NEURON_NODES, BACKWARD, FORWARD, LAYER, LOSS_AFTER, NEURON, UPDATE,
                               Stepper)
from ..session.edits import weight_key
from ..session.graph_folding import FOLD_ABOVE
from ..session.walk import WHOLE, WalkSource, local_plan
from .document import Document
from .formula_panel import FormulaPanel
from .graph_view import GraphView
from .inspector import parse_number
from .icons import icon
from .setting_widgets import declared

PHASE_NAMES = {FORWARD: "Forward pass", BACKWARD: "Backward pass", UPDATE: "Update",
               LOSS_AFTER: "After the update", "start": "Ready"}


class StepperPanel(QWidget):
    updateApplied = Signal()
    walkChanged = Signal()      # the walk moved or was rebuilt (the canvas overlay follows)

    def __init__(self, doc: Document, parent=None, runner=None):
        super().__init__(parent)
        self.setObjectName("stepperPanel")
        self.doc = doc
        self.stepper: Stepper | None = None
        self.level = "auto"
        # Where walks come from: the training controller (the run's own next update) or,
        # for a panel on its own, a run freshly loaded from the project.
        self.runner = runner
        self.frozen = False             # while training runs, the walk is not rebuilt
        self.built_version = -1         # the document version the walk was made from
        self.special = None             # a walk that is not the next update (a step that went non-finite)
        self._linking = False
        self._restart_next = False
        self.locked = False             # a lesson step holds the walk (set_locked)
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._play_tick)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._controls())
        layout.addLayout(self._sample_row())
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(mono.pointSizeF(), 10))
        self.walk_header = QLabel()
        self.walk_header.setObjectName("walkHeader")
        self.walk_header.setWordWrap(True)
        self.phase_label = QLabel()
        bold = QFont()
        bold.setBold(True)
        self.phase_label.setFont(bold)
        # One row for where the walk is and what it is of: the graph keeps the height.
        head = QHBoxLayout()
        head.addWidget(self.phase_label)
        head.addWidget(self.walk_header, 1)
        self.step_text = QPlainTextEdit()
        self.step_text.setObjectName("stepText")
        self.step_text.setReadOnly(True)
        self.step_text.setFont(mono)
        self.step_text.setMaximumHeight(84)
        layout.addLayout(head)
        layout.addWidget(self.step_text)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.graph = GraphView()
        self.formula = FormulaPanel()
        split.addWidget(self.graph)
        split.addWidget(self.formula)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.graph.nodeClicked.connect(self.select_node)
        self.formula.pathsChanged.connect(lambda nid, paths: self.graph.select_node(nid, paths))
        doc.projectChanged.connect(self._project_changed)
        doc.selectionChanged.connect(self._canvas_selection)
        self.rebuild()

    # -- controls ----------------------------------------------------------------------
    def _button(self, text, icon_name, slot, shortcut, tip, name):
        act = QAction(text, self)
        ic = icon(icon_name)
        if ic is not None:
            act.setIcon(ic)
        act.setShortcut(QKeySequence(shortcut))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})")
        act.triggered.connect(slot)
        self.addAction(act)
        btn = QToolButton()
        btn.setDefaultAction(act)
        btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        btn.setObjectName(name)
        return act, btn

    def _controls(self):
        rows = QVBoxLayout()
        row = QHBoxLayout()
        rows.addLayout(row)
        specs = [
            ("Restart", "fa6s.backward-fast", self.restart, "Ctrl+Home", "Back to the start of the pass", "restartButton"),
            ("Back", "fa6s.backward-step", self.step_back, "Alt+Left", "Undo the last step", "backButton"),
            ("Step", "fa6s.forward-step", self.step_forward, "Alt+Right", "Compute the next node", "stepButton"),
            ("To loss", "fa6s.flag-checkered", self.run_to_loss, "Ctrl+L", "Run the forward pass to the loss", "toLossButton"),
            ("To end", "fa6s.forward-fast", self.run_to_end, "Ctrl+B", "Run the backward pass to the parameters", "toEndButton"),
            ("Apply update", "fa6s.check", self.apply_update, "Ctrl+U",
             "Apply the gradient-descent update to the network", "applyButton"),
        ]
        self.actions_by_name = {}
        for text, ic, slot, key, tip, name in specs:
            act, btn = self._button(text, ic, slot, key, tip, name)
            self.actions_by_name[name] = act
            row.addWidget(btn)
        row.addStretch(1)
        row = QHBoxLayout()
        rows.addLayout(row)
        self.play_act, play_btn = self._button("Play", "fa6s.play", self.toggle_play, "Ctrl+P",
                                               "Step automatically at the chosen speed", "playButton")
        self.play_act.setCheckable(True)
        row.addWidget(play_btn)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(1, 20)
        self.speed.setValue(4)
        self.speed.setFixedWidth(90)
        self.speed.setToolTip("Steps per second in play mode")
        self.speed.valueChanged.connect(self._speed_changed)
        row.addWidget(QLabel("speed"))
        row.addWidget(self.speed)
        row.addStretch(1)
        self.level_neuron = QRadioButton("Neurons")
        self.level_neuron.setObjectName("neuronLevel")
        self.level_layer = QRadioButton("Layers")
        self.level_layer.setObjectName("layerLevel")
        group = QButtonGroup(self)
        group.addButton(self.level_neuron)
        group.addButton(self.level_layer)
        self.level_neuron.toggled.connect(lambda on: on and self.set_level(NEURON))
        self.level_layer.toggled.connect(lambda on: on and self.set_level(LAYER))
        row.addWidget(QLabel("Level:"))
        row.addWidget(self.level_neuron)
        row.addWidget(self.level_layer)
        self.digits = QSpinBox()
        self.digits.setObjectName("digitsSpin")
        self.digits.setToolTip("Decimal places shown (the textbook example uses 9)")
        declared(self.digits, "view.digits")
        self.digits.setValue(self.doc.project.view.get("digits", 9))
        self.digits.valueChanged.connect(self._digits_changed)
        row.addWidget(QLabel("digits"))
        row.addWidget(self.digits)
        self.fold = QCheckBox("fold time")
        self.fold.setObjectName("foldTime")
        self.fold.setToolTip("Recurrent networks: one node per operation (folded) instead of one per time step (unrolled)")
        self.fold.toggled.connect(self._fold_changed)
        row.addWidget(self.fold)
        self.fold_weights = QCheckBox("fold weights")
        self.fold_weights.setObjectName("foldWeights")
        self.fold_weights.setToolTip("Neuron level: draw each neuron's weights and bias as part of its weighted sum "
                                     "(steps on a weight light up its neuron)")
        self.fold_weights.toggled.connect(self._fold_weights_changed)
        row.addWidget(self.fold_weights)
        self.fold_wide = QCheckBox("fold wide layers")
        self.fold_wide.setObjectName("foldWide")
        self.fold_wide.setChecked(True)
        self.fold_wide.setToolTip(f"Neuron level: a layer of more than {FOLD_ABOVE} neurons shows its first and "
                                  "last few and a \"… N more\" node (click it to show them all); the neuron the "
                                  "walk is on is always shown")
        self.fold_wide.toggled.connect(self._fold_wide_changed)
        row.addWidget(self.fold_wide)
        fit = QToolButton()
        fit.setObjectName("fitGraph")
        fit.setText("Fit")
        ic = icon("fa6s.expand")
        if ic is not None:
            fit.setIcon(ic)
        fit.setToolTip("Fit the whole graph in view (zoom: mouse wheel; pan: drag)")
        fit.clicked.connect(lambda: self.graph.fit())
        row.addWidget(fit)
        self.find = QLineEdit()
        self.find.setObjectName("findNode")
        self.find.setPlaceholderText("find: W2[3,1]")
        self.find.setToolTip("Type a node's name (W2[3,1], s1[2], a2[1], E; at layer level W1, a1, "
                             "layers.0.weight) and press Enter to go there")
        self.find.setMaximumWidth(130)
        self.find.returnPressed.connect(self._find)
        row.addWidget(self.find)
        return rows

    @staticmethod
    def _level_note(st: Stepper, chosen: str) -> str:
        """Why the walk is at layer level, when the learner did not ask for it."""
        if st.level != LAYER or chosen == LAYER:
            return ""
        if not st.neuron_available:
            return f"Layer level: {st.neuron_problem}."
        n = len(st.view.nodes)
        return (f"Layer level: the neuron-level graph has {n} scalar nodes (above {AUTO_NEURON_NODES} "
                "only on request: choose Neurons).")

    def _find(self) -> None:
        text = self.find.text()
        if self.graph.find(text) is None:
            self.sample_error.setText(f"No node named {text.strip()!r} in this graph"
                                      f" ({'layer' if self.stepper and self.stepper.level == LAYER else 'neuron'} level)")
        else:
            self.sample_error.setText("")

    def _fold_weights_changed(self, on: bool) -> None:
        self.graph.fold_weights = on
        self.graph.set_stepper(self.stepper)

    def _fold_wide_changed(self, on: bool) -> None:
        self.graph.fold_wide = on
        self.graph.expanded.clear()
        self.graph.set_stepper(self.stepper)

    def _fold_changed(self, on: bool) -> None:
        self.graph.fold_time = on
        self.graph.set_stepper(self.stepper)
        self.formula.show_node(self.stepper, None)

    def _digits_changed(self, value: int) -> None:
        if value != self.doc.project.view.get("digits", 9):
            self.doc.apply(self.doc.project.with_view(digits=value), "Set digits")

    def _sample_row(self):
        row = QHBoxLayout()
        row.addWidget(QLabel("Sample"))
        self.sample = QSpinBox()
        self.sample.setObjectName("sampleSpin")
        self.sample.setMinimum(1)
        self.sample.setToolTip("Which sample of the next update's batch the walk follows")
        self.sample.valueChanged.connect(lambda _: self.rebuild())
        row.addWidget(self.sample)
        self.batch = QCheckBox("whole batch (layer level)")
        self.batch.setToolTip("Walk every sample of the next update's batch at once (layer level)")
        self.batch.setObjectName("batchCheck")
        self.batch.toggled.connect(lambda _: self.rebuild())
        row.addWidget(self.batch)
        row.addWidget(QLabel("or type inputs"))
        self.typed_x = QLineEdit()
        self.typed_x.setPlaceholderText("e.g. 0.1, 0.3")
        self.typed_x.setObjectName("typedInputs")
        self.typed_t = QLineEdit()
        self.typed_t.setPlaceholderText("targets")
        self.typed_t.setObjectName("typedTargets")
        for w in (self.typed_x, self.typed_t):
            w.setMaximumWidth(150)
            w.returnPressed.connect(self.rebuild)
        row.addWidget(self.typed_x)
        row.addWidget(QLabel("→"))
        row.addWidget(self.typed_t)
        self.sample_error = QLabel()
        self.sample_error.setStyleSheet("color: #c0392b;")
        self.sample_error.setObjectName("sampleError")
        row.addWidget(self.sample_error, 1)
        # Why the walk is at layer level sits in this row's free room, not a row of its own.
        self.level_note = QLabel()
        self.level_note.setObjectName("levelNote")
        self.level_note.setWordWrap(True)
        self.level_note.hide()
        row.addWidget(self.level_note, 2)
        return row

    # -- the walk's source ----------------------------------------------------------------
    def _typed(self):
        xt, tt = self.typed_x.text().strip(), self.typed_t.text().strip()
        if not xt and not tt:
            return None
        xs = [parse_number(v) for v in xt.replace(";", ",").split(",") if v.strip()]
        ts = [parse_number(v) for v in tt.replace(";", ",").split(",") if v.strip()]
        if None in xs or not xs:
            raise SpecError("typed inputs", "enter numbers separated by commas")
        if None in ts or not ts:
            raise SpecError("typed targets", "enter numbers separated by commas")
        return np.array([xs]), np.array([ts])

    def _plan(self, X=None, T=None):
        if self.runner is not None:
            return self.runner.plan(X, T)
        return local_plan(self.doc.project, 0, 0, X, T)

    def walk_source(self) -> WalkSource:
        """What to walk now: the run's next update (a sample of its batch, or all of it),
        or the optimizer's update for typed samples."""
        typed = self._typed()
        if typed is not None:
            plan = self._plan(*typed)
            return WalkSource(plan, self.doc.weights_origin, 0, self.doc.version, typed=True)
        plan = self._plan()
        n = plan.X.shape[0]
        self.sample.blockSignals(True)
        self.sample.setMaximum(n)
        self.sample.blockSignals(False)
        self.sample.setEnabled(not self.batch.isChecked() and n > 1)
        sample = WHOLE if self.batch.isChecked() else min(self.sample.value(), n) - 1
        return WalkSource(plan, self.doc.weights_origin, sample, self.doc.version)

    def batch_data(self):
        """(X, T) the walk traces."""
        return self.walk_source().samples()

    def lr(self) -> float:
        return float(self.doc.project.training["optimizer"]["lr"])

    @property
    def stale(self) -> bool:
        """The walk shows a state of the project that is no longer there."""
        return self.stepper is None or self.built_version != self.doc.version

    def current_stepper(self) -> Stepper | None:
        """The walk, rebuilt first if the project changed since it was made (for exports)."""
        if self.stale and not self.frozen:
            self.rebuild()
        return None if self.stale else self.stepper

    def rebuild(self) -> None:
        if self.frozen:
            self._show_stale()
            return
        self.play_timer.stop()
        self.play_act.setChecked(False)
        old = self.stepper
        self.special = None
        try:
            src = self.walk_source()
            X, T = src.samples()
            net = self.doc.project.network()
            for pu in src.plan.params:
                net.params[pu.name][...] = pu.old
            level = self.level if src.sample != WHOLE else LAYER
            try:
                st = Stepper(net, X, T, level=level, plan=src.plan, source=src)
            except NeuronViewUnavailable:
                st = Stepper(net, X, T, level=LAYER, plan=src.plan, source=src)
            self.sample_error.setText("")
        except SpecError as exc:
            self.sample_error.setText(str(exc))
            self._show_stale()
            return
        if self._restart_next:
            self._restart_next = False
        elif old is not None and old.level == st.level and len(old.steps) == len(st.steps):
            st.position = old.position   # an edited weight: keep the place in the walk
        self.stepper = st
        self.built_version = self.doc.version
        self.fold.setEnabled(st.network.recurrent)
        self.level_neuron.setEnabled(st.neuron_available)
        self.level_neuron.setToolTip("" if st.neuron_available else st.neuron_problem or "")
        # Showing the level is not choosing it: "auto" stays auto until the learner clicks.
        for radio in (self.level_neuron, self.level_layer):
            radio.blockSignals(True)
        (self.level_neuron if st.level == NEURON else self.level_layer).setChecked(True)
        for radio in (self.level_neuron, self.level_layer):
            radio.blockSignals(False)
        self.graph.set_stepper(st)
        self.formula.show_node(st, None)
        self._update()

    def walk_about(self) -> str:
        """What the current walk is of, in words (for its header and exports)."""
        st = self.stepper
        if st is None:
            return ""
        level_name = "neuron" if st.level == NEURON else "layer"
        if st.source is not None:
            return st.source.header(level_name)
        return f"{self.special or 'the network as it is'} · {level_name} level"

    def _show_stale(self) -> None:
        if self.stepper is None or not self.stale:
            return
        why = ("training is running: this walk is of the weights before it; it is rebuilt when training "
               "pauses" if self.frozen else "the project changed since this walk was made")
        self.walk_header.setText(f"<b>Out of date</b> — {why}.")
        self.walk_header.setStyleSheet("color: #c0392b;")

    def _project_changed(self) -> None:
        if self.stale:
            self.rebuild()
        elif self.doc.changed("view"):
            self._update()

    def set_frozen(self, frozen: bool) -> None:
        self.frozen = frozen
        if frozen:
            self.play_timer.stop()
        elif self.stale:
            self.rebuild()

    def show_training_step(self, net, X, T, title: str = "", plan=None, source=None) -> None:
        """Walk a given step's weights and batch (e.g. the update that went non-finite, or with
        ``plan`` the next update of a compared run, its optimizer's update included)."""
        self.batch.blockSignals(True)
        self.batch.setChecked(X.shape[0] > 1)
        self.batch.blockSignals(False)
        level = LAYER if X.shape[0] > 1 else self.level
        try:
            self.stepper = Stepper(net, X, T, lr=self.lr(), level=level, plan=plan, source=source)
        except NeuronViewUnavailable:
            self.stepper = Stepper(net, X, T, lr=self.lr(), level=LAYER, plan=plan, source=source)
        self.built_version = self.doc.version
        self.special = title or "a given step"
        self.graph.set_stepper(self.stepper)
        self.formula.show_node(self.stepper, None)
        self._update()

    # -- stepping --------------------------------------------------------------------------
    def _after_move(self):
        self.graph.refresh()
        self._update()

    def step_forward(self) -> bool:
        if self.stepper is None:
            return False
        moved = self.stepper.forward()
        self._after_move()
        return moved

    def step_back(self):
        if self.stepper:
            self.stepper.back()
            self._after_move()

    def restart(self):
        if self.stepper:
            self.stepper.restart()
            self._after_move()

    def run_to_loss(self):
        if self.stepper:
            self.stepper.run_to_loss()
            self._after_move()

    def run_to_end(self):
        if self.stepper:
            self.stepper.run_to_end_of_backward()
            self._after_move()

    def apply_update(self):
        """Show the update steps, then make that update: the run's next update is made by
        training itself (so walking and training stay one run); an update from typed
        samples is an undoable edit of the weights."""
        st = self.stepper
        if st is None:
            return
        st.run_updates()
        self._after_move()
        digits = self.doc.project.view.get("digits", 9)
        from ..engine.formatting import fmt
        src = st.source
        new_loss, old_loss = st.trace.loss_after, st.trace.loss
        self._restart_next = True
        if src is not None and src.run is not None:
            text = (f"These are the new weights of the compared run “{src.run}” (the loss on its batch would be "
                    f"{fmt(new_loss, digits)}, was {fmt(old_loss, digits)}). Step in the Compare panel makes "
                    "this update; the project's own network is not changed.")
        elif src is not None and not src.typed and self.runner is not None:
            expected = src.plan.new_parameters
            self.runner.step_once()
            params = self.doc.project.network().params
            same = all(np.array_equal(params[k], v) for k, v in expected.items())
            note = ("Training made exactly this update" if same else
                    "Training's update differs from the walk's: please report this")
            text = (f"{note} (update {src.plan.step:,} of the run). The loss on the walked samples is now "
                    f"{fmt(new_loss, digits)} (was {fmt(old_loss, digits)}).\n"
                    "Press Step to walk the next update.")
        else:
            spec = st.network.copy()
            for name, value in st.updated_parameters().items():
                spec.params[name][...] = value
            self.doc.apply(self.doc.project.with_network(spec.to_dict()), "Apply update")
            text = (f"The network now has the updated weights; the loss on this sample is "
                    f"{fmt(new_loss, digits)} (was {fmt(old_loss, digits)}).\n"
                    "Press Step to walk the pass again with the new weights.")
        self.phase_label.setText("Update applied")
        self.step_text.setPlainText(text)
        self.updateApplied.emit()

    def toggle_play(self, on: bool):
        if on:
            self._speed_changed(self.speed.value())
            self.play_timer.start()
        else:
            self.play_timer.stop()

    def _speed_changed(self, v):
        self.play_timer.setInterval(int(1000 / max(v, 1)))

    def _play_tick(self):
        if not self.step_forward() or (self.stepper and self.stepper.at_end):
            self.play_timer.stop()
            self.play_act.setChecked(False)

    def set_level(self, level: str) -> None:
        self.level = level
        if self.stepper is None or self.stepper.level == level:
            return
        try:
            self.stepper.set_level(level)
        except NeuronViewUnavailable as exc:
            self.sample_error.setText(str(exc))
            return
        self.graph.set_stepper(self.stepper)
        self.formula.show_node(self.stepper, None)
        self._update()

    def _update(self):
        st = self.stepper
        if st is None:
            return
        digits = self.doc.project.view.get("digits", 9)
        self.graph.digits = min(digits, 6) if st.level == LAYER else digits
        if self.digits.value() != digits:
            self.digits.blockSignals(True)
            self.digits.setValue(digits)
            self.digits.blockSignals(False)
        total = len(st.steps)
        level_name = "neuron" if st.level == NEURON else "layer"
        if self.stale and self.special is None:
            self._show_stale()
        else:
            self.walk_header.setStyleSheet("")
            self.walk_header.setText(f"Walk of {self.walk_about()}")
        self.phase_label.setText(f"{PHASE_NAMES[st.phase]} — step {st.position + 1} of {total}"
                                 f" ({'neuron' if st.level == NEURON else 'layer'} level)")
        self.step_text.setPlainText(st.describe(digits=self.doc.project.view.get("digits", 9)))
        self.formula.show_step(st, digits)
        self.level_note.setText(self._level_note(st, self.level))
        self.level_note.setVisible(bool(self.level_note.text()))
        self.actions_by_name["backButton"].setEnabled(st.position >= 0)
        self.actions_by_name["stepButton"].setEnabled(not st.at_end)
        if self.locked:
            for act in self.actions():
                act.setEnabled(False)
        self.walkChanged.emit()

    def set_locked(self, locked: bool) -> None:
        """A lesson step holds the walk where it put it: no stepping, by button or key."""
        self.locked = locked
        for act in self.actions():
            act.setEnabled(not locked)
        if locked:
            self.play_timer.stop()
            self.play_act.setChecked(False)
        self._update()

    # -- selection links with the canvas ------------------------------------------------------
    def select_node(self, nid: int) -> None:
        st = self.stepper
        if st is None:
            return
        self.formula.digits = self.doc.project.view.get("digits", 9)
        self.formula.show_node(st, nid)
        if self._linking:
            return
        key = self._canvas_key(nid)
        if key is not None:
            self._linking = True
            self.doc.select(key)
            self._linking = False

    def _canvas_selection_layer(self, key) -> None:
        """A weight chosen on the canvas: its tensor node here, that element in the formula panel."""
        if key[0] not in ("edge", "bias"):
            return
        layer = self.doc.project.network_spec["layers"][key[1]]
        name = f"layers.{key[1]}.{weight_key(layer) if key[0] == 'edge' else 'bias'}"
        nid = self.stepper.trace.by_name.get(name)
        if nid is None:
            return
        self.formula.element = tuple(key[2:])
        self._linking = True
        self.select_node(nid)
        self._linking = False

    def _canvas_key(self, nid):
        st = self.stepper
        if st.level == LAYER:
            return None
        n = st.view.nodes[nid]
        if n.param is not None:
            name, idx = n.param
            i = int(name.split(".")[1])
            return ("edge", i, idx[0], idx[1]) if name.endswith(("weight", "weight_input")) else ("bias", i, idx[0])
        if n.kind in ("sum", "act", "residual"):
            return ("neuron", n.layer + 1, n.unit)
        if n.kind == "input":
            return ("neuron", 0, n.tensor[1][1])
        return None

    def _canvas_selection(self, key) -> None:
        if self._linking or not key or self.stepper is None:
            return
        if self.stepper.level == LAYER:
            self._canvas_selection_layer(key)
            return
        v = self.stepper.view
        target = None
        for n in v.nodes:
            if key[0] == "edge" and n.param == (f"layers.{key[1]}.weight", (key[2], key[3])):
                target = n.id
            elif key[0] == "bias" and n.param == (f"layers.{key[1]}.bias", (key[2],)):
                target = n.id
            elif key[0] == "neuron" and key[1] > 0 and n.kind == "act" and n.layer == key[1] - 1 \
                    and n.unit == key[2]:
                target = n.id
        if target is not None:
            self._linking = True
            self.select_node(target)
            self._linking = False
