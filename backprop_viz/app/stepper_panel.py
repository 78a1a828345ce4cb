"""Walk the forward and backward pass node by node on the computational graph."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QRadioButton, QSlider, QSpinBox, QSplitter, QToolButton, QVBoxLayout,
                               QWidget)

from ..engine import NeuronViewUnavailable, SpecError
from ..session.stepper import BACKWARD, FORWARD, LAYER, LOSS_AFTER, NEURON, UPDATE, Stepper
from ..session.edits import weight_key
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

    def __init__(self, doc: Document, parent=None):
        super().__init__(parent)
        self.setObjectName("stepperPanel")
        self.doc = doc
        self.stepper: Stepper | None = None
        self.level = "auto"
        self.override_network = None    # weights of a paused training step
        self.frozen = False             # while training runs, the walk is not rebuilt
        self._linking = False
        self._restart_next = False
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._play_tick)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._controls())
        layout.addLayout(self._sample_row())
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(mono.pointSizeF(), 10))
        self.phase_label = QLabel()
        bold = QFont()
        bold.setBold(True)
        self.phase_label.setFont(bold)
        self.step_text = QPlainTextEdit()
        self.step_text.setObjectName("stepText")
        self.step_text.setReadOnly(True)
        self.step_text.setFont(mono)
        self.step_text.setMaximumHeight(84)
        layout.addWidget(self.phase_label)
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
        fit = QToolButton()
        fit.setObjectName("fitGraph")
        fit.setText("Fit")
        ic = icon("fa6s.expand")
        if ic is not None:
            fit.setIcon(ic)
        fit.setToolTip("Fit the whole graph in view (zoom: Ctrl+wheel; pan: drag)")
        fit.clicked.connect(lambda: self.graph.fit())
        row.addWidget(fit)
        return rows

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
        self.sample.valueChanged.connect(lambda _: self.rebuild())
        row.addWidget(self.sample)
        self.batch = QCheckBox("whole training set (layer level)")
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

    def batch_data(self):
        X, T, _, _ = self.doc.project.arrays()
        typed = self._typed()
        if typed is not None:
            return typed
        self.sample.setMaximum(len(X))
        if self.batch.isChecked():
            return X, T
        i = self.sample.value() - 1
        return X[i:i + 1], T[i:i + 1]

    def lr(self) -> float:
        return float(self.doc.project.training["optimizer"]["lr"])

    def rebuild(self) -> None:
        if self.frozen:
            return
        self.play_timer.stop()
        self.play_act.setChecked(False)
        old = self.stepper
        try:
            X, T = self.batch_data()
            net = self.override_network or self.doc.project.network()
            level = self.level if not self.batch.isChecked() else LAYER
            try:
                st = Stepper(net, X, T, lr=self.lr(), level=level)
            except NeuronViewUnavailable:
                st = Stepper(net, X, T, lr=self.lr(), level=LAYER)
            self.sample_error.setText("")
        except SpecError as exc:
            self.sample_error.setText(str(exc))
            return
        if self._restart_next:
            self._restart_next = False
        elif old is not None and old.level == st.level and len(old.steps) == len(st.steps):
            st.position = old.position   # an edited weight: keep the place in the walk
        self.stepper = st
        self.fold.setEnabled(st.network.recurrent)
        self.level_neuron.setEnabled(st.neuron_available)
        self.level_neuron.setToolTip("" if st.neuron_available else st.neuron_problem or "")
        (self.level_neuron if st.level == NEURON else self.level_layer).setChecked(True)
        self.graph.set_stepper(st)
        self.formula.show_node(st, None)
        self._update()

    def _project_changed(self) -> None:
        lr_changed = self.doc.changed("training") and self.stepper is not None and \
            self.stepper.trace.lr != self.lr()
        if self.doc.changed("network", "data") or lr_changed:
            self.rebuild()
        elif self.doc.changed("view"):
            self._update()

    def show_training_step(self, net, X, T) -> None:
        """Walk exactly this step's weights and batch (training paused)."""
        self.override_network = net
        was = self.batch.isChecked()
        self.batch.blockSignals(True)
        self.batch.setChecked(X.shape[0] > 1)
        self.batch.blockSignals(False)
        try:
            level = LAYER if X.shape[0] > 1 else self.level
            try:
                self.stepper = Stepper(net, X, T, lr=self.lr(), level=level)
            except NeuronViewUnavailable:
                self.stepper = Stepper(net, X, T, lr=self.lr(), level=LAYER)
        finally:
            if X.shape[0] <= 1:
                self.batch.setChecked(was)
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
        """Show the update steps, then write the new weights into the network (undoable)."""
        st = self.stepper
        if st is None:
            return
        st.run_updates()
        self._after_move()
        spec = st.network.copy()
        for name, value in st.updated_parameters().items():
            spec.params[name][...] = value
        self.override_network = None
        new_loss = st.trace.loss_after
        self._restart_next = True
        self.doc.apply(self.doc.project.with_network(spec.to_dict()), "Apply update")
        digits = self.doc.project.view.get("digits", 9)
        from ..engine.formatting import fmt
        self.phase_label.setText("Update applied")
        self.step_text.setPlainText(f"The network now has the updated weights; the loss on this sample is "
                                    f"{fmt(new_loss, digits)} (was {fmt(st.trace.loss, digits)}).\n"
                                    "Press Step to walk the pass again with the new weights.")
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
        self.phase_label.setText(f"{PHASE_NAMES[st.phase]} — step {st.position + 1} of {total}"
                                 f" ({'neuron' if st.level == NEURON else 'layer'} level)")
        self.step_text.setPlainText(st.describe(digits=self.doc.project.view.get("digits", 9)))
        self.actions_by_name["backButton"].setEnabled(st.position >= 0)
        self.actions_by_name["stepButton"].setEnabled(not st.at_end)

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
