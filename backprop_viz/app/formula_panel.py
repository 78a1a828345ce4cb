"""The chain rule for the selected node, with numbers, and a numerical check."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea,
                               QSplitter, QVBoxLayout, QWidget)

from ..engine.formatting import fmt
from ..engine.naming import labelled
from ..engine.report import layer_rule_of
from .math_view import MathView
from ..session.stepper import (BACKWARD, FORWARD, LAYER, UPDATE, Stepper, chain_sum_text, numeric_check, per_sample_contributions,
                               sensitivity_text)

MAX_SAMPLES_LISTED = 40
MAX_RULES_SHOWN = 12
MATH_SETTLE_MS = 120     # the mathematics is set once the walk has rested this long     # factors set as mathematics; the plain text lists them all


class FormulaPanel(QWidget):
    pathsChanged = Signal(object, object)   # node id, list of paths (node-id lists)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("formulaPanel")
        self.stepper: Stepper | None = None
        self.node: int | None = None
        self.digits = 9
        self.element = None      # the weight element chosen on the canvas, at layer level
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("Chain rule")
        f = QFont()
        f.setBold(True)
        self.title.setFont(f)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("formulaText")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.text.setFont(mono)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        row = QHBoxLayout()
        self.check = QPushButton("Check numerically")
        self.check.setObjectName("checkNumerically")
        self.check.setToolTip("Estimate this gradient by central finite differences and compare")
        self.check.clicked.connect(self.check_numerically)
        self.check_result = QLabel("")
        self.check_result.setObjectName("checkResult")
        self.check_result.setWordWrap(True)
        self.check_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.check)
        row.addWidget(self.check_result, 1)
        self.math = MathView()
        self._math_pending: list[str] = []
        self._math_timer = QTimer(self)
        self._math_timer.setSingleShot(True)
        self._math_timer.setInterval(MATH_SETTLE_MS)
        self._math_timer.timeout.connect(self._set_pending_math)
        self.math_scroll = QScrollArea()
        self.math_scroll.setObjectName("formulaMathScroll")
        self.math_scroll.setWidgetResizable(True)
        self.math_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.math_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.math_scroll.setWidget(self.math)
        self.math_caption = QLabel("")
        self.math_caption.setObjectName("formulaMathCaption")
        self.math_caption.setStyleSheet("color: palette(placeholder-text);")
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.math_caption)
        top_layout.addWidget(self.math_scroll, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.text)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        layout.addLayout(row)
        self.show_node(None, None)

    def show_node(self, stepper: Stepper | None, node: int | None) -> None:
        self.stepper, self.node = stepper, node
        self.check_result.setText("")
        param = self._param()
        self.check.setEnabled(param is not None)
        if stepper is None or node is None:
            self.title.setText("Chain rule")
            self.text.setPlainText("Select a weight or a node in the graph to see the chain rule "
                                   "from the loss to it.")
            self.pathsChanged.emit(None, [])
            self.set_math("", [])
            return
        if stepper.level == LAYER:
            self._show_layer(stepper, node)
        else:
            self._show_neuron(stepper, node)

    def _show_neuron(self, st: Stepper, nid: int) -> None:
        v = st.view
        n = v.nodes[nid]
        self.title.setText(f"Chain rule for {n.label}")
        if n.grad is None:
            self.text.setPlainText(f"{n.label} = {fmt(n.value, self.digits)}\n\n"
                                   f"{n.label} is not on a path to the loss, so it has no gradient.")
            self.pathsChanged.emit(nid, [])
            return
        paths = v.paths(nid, limit=2000)
        lines = [v.chain_text(nid, self.digits) if len(paths) <= 4 else
                 f"∂{v.nodes[v.root].label}/∂{n.label} = sum over {len(paths)} paths = {fmt(n.grad, self.digits)}",
                 ""]
        if len(paths) > 1:
            lines.append("Every path from the loss, and its product:")
            lines += chain_sum_text(v, nid, self.digits)
            lines.append("")
        rules = self._path_rules(v, paths)
        if rules:
            lines += ["Each factor by its rule:"] + [f"  {r}" for r in rules] + [""]
        if nid != v.root:
            lines.append(sensitivity_text(n.label, n.grad, v.nodes[v.root].label, digits=self.digits))
        self.text.setPlainText("\n".join(lines))
        head = [lines[0]] if len(paths) <= 4 else []
        self.set_math(f"The chain rule for {n.label}, each factor by its rule", head + rules[:MAX_RULES_SHOWN])
        self.pathsChanged.emit(nid, [p[0] for p in paths[:200]])

    def _show_layer(self, st: Stepper, nid: int) -> None:
        n = st.trace.nodes[nid]
        self.title.setText(f"Gradient of {n.name}")
        lines = []
        if n.grad is None:
            lines.append(f"{n.name} is not on a path to the loss.")
        else:
            g = np.asarray(n.grad)
            with np.errstate(all="ignore"):
                norm = float(np.sqrt(np.sum(np.square(g, dtype=float))))
            lines.append(f"∂E/∂{n.name}: shape {'×'.join(map(str, g.shape)) or 'scalar'}, "
                         f"norm {fmt(norm, self.digits)}")
            flat = g.reshape(-1)
            for i, value in enumerate(flat[:24]):
                idx = np.unravel_index(i, g.shape) if g.ndim else ()
                lines.append(f"  [{', '.join(str(k + 1) for k in idx)}] {fmt(value, self.digits)}")
            if flat.size > 24:
                lines.append(f"  … {flat.size - 24} more")
            ev = next((e for e in st.trace.backward if e.node == nid), None)
            if ev is not None and len(ev.terms) > 1:
                lines.append(f"\nIt feeds {len(ev.terms)} consumers; its gradient is the sum of their contributions.")
            rules = [] if ev is None else [f"from {st.trace.nodes[t.consumer].name}: {layer_rule_of(st.trace, t)}"
                                           for t in ev.terms if layer_rule_of(st.trace, t)]
            if rules:
                lines += ["", "Local derivative rules:"] + [f"  {r}" for r in rules]
            self.set_math(f"Local derivative rules for {n.name}", [r.split(": ", 1)[1] for r in rules])
            if n.op == "param" and st.trace.X.shape[0] > 1:
                lines += self._per_sample_lines(st, n.name, self.element)
        self.text.setPlainText("\n".join(lines))
        self.pathsChanged.emit(nid, [])

    # -- mathematics ----------------------------------------------------------------------------
    def set_math(self, caption: str, lines: list[str]) -> None:
        """Caption at once; the mathematics once the walk rests (setting a new formula takes
        mathtext tens of milliseconds, which Play or a held key must not pay at every step)."""
        self.math_caption.setText(caption)
        self._math_pending = lines
        if not lines:
            self.math.set_lines([])
        self._math_timer.start()

    def _set_pending_math(self) -> None:
        self.math.set_lines(self._math_pending)

    def _path_rules(self, v, paths) -> list[str]:
        """The rule of every factor on the paths from the loss (each edge once, loss side first)."""
        seen, out = set(), []
        for ids, _, _ in paths[:50]:
            for c, n in zip(ids, ids[1:]):
                if (c, n) in seen:
                    continue
                seen.add((c, n))
                r = v.local_rule(c, n, self.digits)
                if r is not None:
                    out.append(r.text(self.digits))
        return out

    def show_step(self, st: Stepper | None, digits: int) -> None:
        """The current step of the walk, set as mathematics (the step text above stays plain)."""
        self.digits = digits
        if st is None or st.current is None:
            self.set_math("", [])
            return
        step = st.current
        if st.level == LAYER:
            if step.phase == BACKWARD:
                ev = st.trace.backward[step.index]
                rules = [layer_rule_of(st.trace, t) for t in ev.terms]
                self.set_math(f"This step: the rules for ∂E/∂{st.trace.nodes[ev.node].name}",
                              [r for r in rules if r])
            else:
                self.set_math("", [])
            return
        v = st.view
        if step.phase == FORWARD:
            self.set_math("This step", [v.forward_text(step.node, digits)])
        elif step.phase == BACKWARD:
            ev = v.backward[step.index]
            self.set_math("This step: upstream × local, each local derivative by its rule",
                          [v.backward_text(ev, digits)] + v.rule_lines(ev, digits))
        elif step.phase == UPDATE:
            self.set_math("This step", [v.update_text(v.updates[step.index], digits)])
        else:
            self.set_math("", [])

    def _per_sample_lines(self, st, name, index) -> list[str]:
        shape = np.shape(st.trace.nodes[st.trace.by_name[name]].value)
        if index is None or len(index) != len(shape):
            index = (0,) * len(shape)
        result = per_sample_contributions(st.network, st.trace.X, st.trace.T, name, index)
        label = labelled(st.network.spec, name, tuple(index))
        if result is None:
            return ["", f"Per-sample contributions to {label}: not separable (batch norm couples the samples)."]
        contributions, penalty, total = result
        lines = ["", f"Per-sample contributions to ∂E/∂{label} (the loss averages over the batch):"]
        for i, c in enumerate(contributions[:MAX_SAMPLES_LISTED]):
            lines.append(f"  sample {i + 1}: {fmt(c, self.digits)}")
        if len(contributions) > MAX_SAMPLES_LISTED:
            rest = sum(contributions[MAX_SAMPLES_LISTED:])
            lines.append(f"  … {len(contributions) - MAX_SAMPLES_LISTED} more samples, together {fmt(rest, self.digits)}")
        if penalty:
            lines.append(f"  penalty (L1/L2): {fmt(penalty, self.digits)}")
        lines.append(f"  sum = {fmt(sum(contributions) + penalty, self.digits)} = ∂E/∂{label} = {fmt(total, self.digits)}")
        return lines

    def _param(self):
        """(parameter name, element index) of the shown node, if it is a parameter."""
        st, nid = self.stepper, self.node
        if st is None or nid is None:
            return None
        if st.level == LAYER:
            n = st.trace.nodes[nid]
            if n.op != "param":
                return None
            index = self.element if self.element is not None and len(self.element) == np.ndim(n.value) \
                else (0,) * np.ndim(n.value)
            return n.name, index
        n = st.view.nodes[nid]
        return n.param

    def check_numerically(self) -> None:
        param = self._param()
        if param is None:
            return
        name, index = param
        st = self.stepper
        numeric, analytic, rel = numeric_check(st.network, st.trace.X, st.trace.T, name, index)
        label = labelled(st.network.spec, name, tuple(index))
        if st.level != LAYER:
            label = st.view.nodes[self.node].label
        verdict = "agree" if rel < 1e-6 else "DISAGREE"
        self.check_result.setText(f"{label}: finite differences {fmt(numeric, self.digits)}, "
                                  f"backprop {fmt(analytic, self.digits)}, relative error "
                                  f"{rel:.1e} — they {verdict}")
