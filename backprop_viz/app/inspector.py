"""The inspector: the selected neuron, weight, bias or layer, and the network's options.

Typed values are validated; a change the engine refuses is undone in the
form and its reason shown next to the control.
"""

from __future__ import annotations

import math

from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from ..engine.activations import NAMES as ACTIVATIONS
from ..engine.formatting import fmt
from ..engine.initializers import NAMES as INITS
from ..engine.ops import LOSSES
from ..engine.spec import RECURRENT_ACTIVATIONS
from ..engine.naming import labelled
from ..session.edits import weight_key
from .network_canvas import input_text
from .optimizer_state_box import OptimizerStateBox
from .document import Document
from .editor import Editor
from .setting_widgets import declared

ERROR_STYLE = "color: #c0392b; font-size: 11px;"


def parse_number(text: str) -> float | None:
    """A finite number typed by a person ('0,5' allowed), or None."""
    try:
        v = float(text.strip().replace(",", ".").replace("−", "-"))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


class InspectorPanel(QWidget):
    def __init__(self, doc: Document, editor: Editor, parent=None):
        super().__init__(parent)
        self.setObjectName("inspector")
        self.doc, self.editor = doc, editor
        self._loading = False
        outer = QVBoxLayout(self)
        self.selection_box = QGroupBox("Selection")
        self._sel_layout = QVBoxLayout(self.selection_box)
        self._sel_layout.setContentsMargins(0, 0, 0, 0)
        self.sel_host = None
        self.sel_form = None
        outer.addWidget(self.selection_box)
        self.optimizer_box = OptimizerStateBox()
        outer.addWidget(self.optimizer_box)
        self.network_box = QGroupBox("Network")
        net_form = QFormLayout(self.network_box)
        self.loss = QComboBox()
        self.loss.addItems(list(LOSSES))
        self.loss.setObjectName("lossCombo")
        self.l1 = self._spin(0, 10, 4, 0.001)
        self.l2 = self._spin(0, 10, 4, 0.001)
        self.seed = QSpinBox()
        declared(self.seed, "seed")
        self.network_error = self._error_label()
        self.loss.setToolTip("The error E that backpropagation differentiates")
        self.l1.setToolTip("L1 penalty: λ·Σ|w| added to the loss, pulling weights to exactly zero")
        self.l2.setToolTip("L2 penalty: λ·Σw² added to the loss, shrinking large weights")
        self.seed.setToolTip("The seed of the initial weights (Reset draws them again from it)")
        net_form.addRow("Loss", self.loss)
        net_form.addRow("L1 penalty λ", self.l1)
        net_form.addRow("L2 penalty λ", self.l2)
        net_form.addRow("Init seed", self.seed)
        net_form.addRow(self.network_error)
        outer.addWidget(self.network_box)
        outer.addStretch(1)
        self.loss.activated.connect(lambda _: self._net_option("loss", self.loss.currentText()))
        self.l1.editingFinished.connect(lambda: self._net_option("l1", self.l1.value()))
        self.l2.editingFinished.connect(lambda: self._net_option("l2", self.l2.value()))
        self.seed.editingFinished.connect(lambda: self._net_option("seed", self.seed.value()))
        self.errors: dict[str, QLabel] = {}
        self.controls: dict[str, QWidget] = {}
        doc.projectChanged.connect(lambda: self.doc.changed("network", "data") and self.refresh())
        doc.selectionChanged.connect(lambda _: self.refresh())
        editor.refused.connect(self.show_refusal)
        self.refresh()

    @staticmethod
    def _spin(lo, hi, decimals, step):
        s = QDoubleSpinBox()
        s.setRange(lo, hi)
        s.setDecimals(decimals)
        s.setSingleStep(step)
        return s

    @staticmethod
    def _error_label():
        label = QLabel()
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        return label

    # -- refresh ---------------------------------------------------------------------
    def refresh(self) -> None:
        self._loading = True
        spec = self.doc.project.network_spec
        self.loss.setCurrentText(spec["loss"])
        self.l1.setValue(spec["l1"])
        self.l2.setValue(spec["l2"])
        self.seed.setValue(spec["seed"])
        self.network_error.hide()
        self._build_selection(self.doc.selection)
        self._loading = False

    def _optimizer_target(self, spec, key) -> None:
        settings = self.doc.project.training["optimizer"]
        if key[0] == "edge":
            _, i, k, j = key
            self.optimizer_box.set_target(spec, f"layers.{i}.{weight_key(spec['layers'][i])}", (k, j), settings)
        elif key[0] == "bias":
            _, i, j = key
            self.optimizer_box.set_target(spec, f"layers.{i}.bias", (j,), settings)
        else:
            self.optimizer_box.set_target(spec, None, None, settings)

    def _clear_selection_form(self):
        # A fresh host widget each time; the old one is deleted later, because
        # the control whose signal caused this refresh may be inside it.
        if self.sel_host is not None:
            self.sel_host.hide()
            self.sel_host.deleteLater()
        self.sel_host = QWidget()
        self.sel_form = QFormLayout(self.sel_host)
        self._sel_layout.addWidget(self.sel_host)
        self.errors = {}
        self.controls = {}

    def _build_selection(self, key) -> None:
        self._clear_selection_form()
        spec = self.doc.project.network_spec
        form = self.sel_form
        if not key:
            self.selection_box.setTitle("Selection")
            hint = QLabel("Click a neuron, a weight or a layer title to inspect and edit it.")
            hint.setWordWrap(True)
            form.addRow(hint)
            self.optimizer_box.set_target(spec, None, None, self.doc.project.training["optimizer"])
            return
        tr = self.doc.sample_trace()    # the sample's values, only once something is selected
        kind = key[0]
        self._optimizer_target(spec, key)
        if kind == "edge":
            _, i, k, j = key
            key = weight_key(spec["layers"][i])
            w = spec["layers"][i][key][k][j]
            self.selection_box.setTitle(f"Weight {labelled(spec, f'layers.{i}.{key}', (k, j))}")
            form.addRow(QLabel(f"From {'input' if i == 0 else f'layer {i}'} unit {k + 1} "
                               f"to layer {i + 1} unit {j + 1}"))
            self._value_row("Value", f"layers.{i}.{key}", (k, j), w)
            if tr is not None:
                form.addRow("∂E/∂w (sample 1)", QLabel(fmt(tr.gradient(f"layers.{i}.{key}")[k, j])))
        elif kind == "bias":
            _, i, j = key
            self.selection_box.setTitle(f"Bias {labelled(spec, f'layers.{i}.bias', (j,))}")
            self._value_row("Value", f"layers.{i}.bias", (j,), spec["layers"][i]["bias"][j])
            if tr is not None:
                form.addRow("∂E/∂b (sample 1)", QLabel(fmt(tr.gradient(f"layers.{i}.bias")[j])))
        elif kind == "neuron":
            _, c, j = key
            if c == 0:
                self.selection_box.setTitle(f"Input X{j + 1}")
                if tr is not None:
                    text = QLabel(input_text(tr.X, j))
                    text.setWordWrap(True)
                    form.addRow(text)
            else:
                i = c - 1
                layer = spec["layers"][i]
                self.selection_box.setTitle(f"Layer {c}, neuron {j + 1}")
                if layer.get("bias") is not None:
                    self._value_row("Bias", f"layers.{i}.bias", (j,), layer["bias"][j])
                if tr is not None:
                    pre = tr.layer_node(i, "sum", "matmul", "xw+hw")
                    form.addRow("Weighted sum s", QLabel(fmt(pre.value[0, j])))
                    form.addRow("Activation a", QLabel(fmt(tr.layer_node(i, "act").value[0, j])))
                    g = pre.grad
                    if g is not None:
                        form.addRow("∂E/∂s", QLabel(fmt(g[0, j])))
            self._layer_rows(c)
        elif kind == "layer":
            c = key[1]
            self.selection_box.setTitle("Inputs" if c == 0 else
                                        ("Output layer" if c == len(spec["layers"]) else
                                         f"{'Recurrent' if spec['layers'][c - 1].get('type') == 'recurrent' else 'Hidden'} layer {c}"))
            self._layer_rows(c)

    def _value_row(self, label, name, index, value):
        edit = QLineEdit(fmt(value, 12))
        edit.setObjectName("valueEdit")
        v = QDoubleValidator()
        v.setNotation(QDoubleValidator.Notation.ScientificNotation)
        edit.setToolTip("Type a number and press Enter")
        err = self._error_label()
        self.errors["value"] = err
        self.controls["value"] = edit

        def commit():
            number = parse_number(edit.text())
            if number is None:
                err.setText(f"“{edit.text()}” is not a number")
                err.show()
                return
            err.hide()
            self.editor.set_value(name, index, number)
        edit.returnPressed.connect(commit)
        self.sel_form.addRow(label, edit)
        self.sel_form.addRow(err)

    def _layer_rows(self, c: int) -> None:
        spec = self.doc.project.network_spec
        units = QSpinBox()
        declared(units, "layer.units")
        units.setObjectName("unitsSpin")
        units.setToolTip("How many neurons (inputs, for the input column) this layer has")
        units.setValue(spec["inputs"] if c == 0 else spec["layers"][c - 1]["units"])
        units.editingFinished.connect(lambda: self._layer_option(c, "units", units.value()))
        self._row("Neurons", "units", units)
        if c == 0:
            return
        i = c - 1
        layer = spec["layers"][i]
        is_output = c == len(spec["layers"])
        recurrent = layer.get("type") == "recurrent"
        act = QComboBox()
        act.setObjectName("activationCombo")
        act.addItems(list(RECURRENT_ACTIVATIONS) if recurrent else
                     [a for a in ACTIVATIONS if a != "softmax" or is_output])
        name = layer["activation"] if isinstance(layer["activation"], str) else layer["activation"]["name"]
        act.setCurrentText(name)
        act.activated.connect(lambda _: self._layer_option(c, "activation", act.currentText()))
        act.setToolTip("The non-linearity applied to this layer's weighted sums")
        self._row("Activation", "activation", act)
        init = QComboBox()
        init.setObjectName("initCombo")
        init.setToolTip("How this layer's weights start (changing it draws new initial weights from the seed): "
                        "xavier/glorot suit tanh and sigmoid, he/kaiming suit ReLU")
        init.addItems(list(INITS))
        iname = layer.get("init", "xavier_uniform")
        init.setCurrentText(iname if isinstance(iname, str) else iname["name"])
        init.activated.connect(lambda _: self._layer_option(c, "init", init.currentText()))
        self._row("Initialiser", "init", init)
        if recurrent:
            self._recurrent_rows(c, layer)
            return
        if any(la.get("type") == "recurrent" for la in spec["layers"][:i]):
            # A read-out after a recurrent layer is a plain dense layer (the engine refuses
            # normalisation, dropout and skip connections there), so only its bias is offered.
            self._bias_row(c, layer)
            return
        norm = QComboBox()
        norm.setObjectName("normCombo")
        norm.setToolTip("Normalise the weighted sums before the activation: batch (over the samples of a "
                        "batch) or layer (over the units of one sample), with a learned scale and shift")
        norm.addItems(["none", "batch", "layer"])
        norm.setCurrentText(layer.get("norm") or "none")
        norm.activated.connect(lambda _: self._layer_option(
            c, "norm", None if norm.currentText() == "none" else norm.currentText()))
        self._row("Normalisation", "norm", norm)
        drop = self._spin(0, 0.95, 2, 0.05)
        drop.setObjectName("dropoutSpin")
        drop.setToolTip("The share of this layer's outputs set to zero at random in each training update "
                        "(the rest scaled up to match); none while stepping or evaluating")
        drop.setValue(layer.get("dropout", 0.0))
        drop.editingFinished.connect(lambda: self._layer_option(c, "dropout", round(drop.value(), 4)))
        self._row("Dropout", "dropout", drop)
        res = QCheckBox("add the layer's input")
        res.setObjectName("residualCheck")
        res.setToolTip("A skip connection: the layer's input is added to its output (needs equal widths)")
        res.setChecked(bool(layer.get("residual")))
        res.toggled.connect(lambda on: self._layer_option(c, "residual", on))
        self._row("Residual", "residual", res)
        self._bias_row(c, layer)
        self._apply_all_row(c, is_output)

    def _bias_row(self, c: int, layer: dict) -> None:
        bias = QCheckBox("use a bias")
        bias.setToolTip("Give each neuron a bias (a weight from the constant +1 input)")
        bias.setChecked(layer.get("use_bias", True))
        bias.toggled.connect(lambda on: self._layer_option(c, "use_bias", on))
        self._row("Bias", "use_bias", bias)

    def _apply_all_row(self, c: int, is_output: bool) -> None:
        if is_output or len(self.doc.project.network_spec["layers"]) < 3:
            return
        btn = QPushButton("Apply to all hidden layers")
        btn.setObjectName("applyToHiddenButton")
        btn.setToolTip("Give every hidden layer this layer's activation, initialiser, normalisation and "
                       "dropout, in one step (one Undo takes it back)")
        btn.clicked.connect(lambda: self._apply_to_hidden(c))
        self.sel_form.addRow(btn)

    def _apply_to_hidden(self, c: int) -> None:
        self._pending = "activation"
        self.editor.apply_to_hidden_layers(c - 1)

    def _recurrent_rows(self, c: int, layer: dict) -> None:
        readout = QComboBox()
        readout.setObjectName("readoutCombo")
        readout.addItems(["sequence", "last"])
        readout.setToolTip("sequence: the next layer reads every time step; last: only the final state")
        readout.setCurrentText(layer.get("readout", "sequence"))
        readout.activated.connect(lambda _: self._layer_option(c, "readout", readout.currentText()))
        self._row("Read-out", "readout", readout)
        bptt = QSpinBox()
        bptt.setObjectName("bpttSpin")
        bptt.setRange(0, 1000)
        bptt.setSpecialValueText("full")
        bptt.setToolTip("Truncate backpropagation through time to windows of this many steps")
        bptt.setValue(layer.get("bptt") or 0)
        bptt.editingFinished.connect(lambda: self._layer_option(c, "bptt", bptt.value() or None))
        self._row("BPTT window", "bptt", bptt)
        bias = QCheckBox("use a bias")
        bias.setToolTip("Give each neuron a bias (a weight from the constant +1 input)")
        bias.setChecked(layer.get("use_bias", True))
        bias.toggled.connect(lambda on: self._layer_option(c, "use_bias", on))
        self._row("Bias", "use_bias", bias)
        self._apply_all_row(c, c == len(self.doc.project.network_spec["layers"]))

    def _row(self, label: str, key: str, widget: QWidget) -> None:
        err = self._error_label()
        self.errors[key] = err
        self.controls[key] = widget
        self.sel_form.addRow(label, widget)
        self.sel_form.addRow(err)

    # -- edits -----------------------------------------------------------------------------
    def _layer_option(self, c: int, key: str, value) -> None:
        if self._loading:
            return
        self._pending = key
        if key == "units":
            current = (self.doc.project.network_spec["inputs"] if c == 0
                       else self.doc.project.network_spec["layers"][c - 1]["units"])
            if value != current:
                self.editor.set_units(c - 1, value)
            return
        self.editor.set_layer_option(c - 1, key, value)

    def _net_option(self, key, value) -> None:
        if self._loading:
            return
        self._pending = "network"
        self.editor.set_network_option(key, value)

    def show_refusal(self, where: str, why: str) -> None:
        """Put the form back as the project is, and say why next to the control."""
        pending = getattr(self, "_pending", None)
        self.refresh()
        tail = where.rsplit(".", 1)[-1] if where else ""
        if pending == "network" or where in ("loss", "l1", "l2", "seed"):
            label = self.network_error
        else:
            label = self.errors.get(tail) or self.errors.get(pending or "") or self.errors.get("value")
            if label is None:
                label = self.network_error
        label.setText(f"Not possible: {why}" if not where else f"Not possible ({where}): {why}")
        label.show()
        self._pending = None
