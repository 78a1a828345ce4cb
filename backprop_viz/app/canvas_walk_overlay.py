"""The walk drawn on the network the learner built.

The stepper walks the computational graph; a learner's eyes are on the network
drawing. This overlay puts the walk there: the current node is ringed on the
canvas, forward values appear in the neurons as they are computed, and during
the backward pass every neuron and weight whose gradient is known carries it
(colour = sign, width = size relative to the largest; the number on hover, and
written out where it is among the largest and the network is small).

It owns its own scene items on top of the canvas's (the canvas only tells it
when it rebuilt its scene), so the drawing's own items stay untouched.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsLineItem, QGraphicsSimpleTextItem

from ..engine.formatting import fmt
from ..session.stepper import BACKWARD, FORWARD, LAYER, LOSS_AFTER, UPDATE, Stepper
from . import theme
from .canvas_items import NEURON_RADIUS

Z = 5                      # above edges (0-1) and neurons (2)
LABEL_GRADIENTS_UP_TO = 40  # canvas elements; beyond, numbers only on hover
DASHED_UP_TO = 200          # canvas elements with a gradient drawn dashed
LABEL_SHARE = 0.25          # a gradient is written out when it is at least this share of the largest


def gradient_width(g: float, largest: float) -> float:
    if not math.isfinite(g) or largest <= 0 or not math.isfinite(largest):
        return 5.0
    return 1.0 + 5.0 * min(abs(g) / largest, 1.0)


class GradMark:
    """One element's gradient as drawn: its pen, shape and hover text."""

    def __init__(self, key, pen: QPen, grad: float, digits: int, line: QLineF | None = None,
                 centre: QPointF | None = None, radius: float = 0.0):
        self.key, self._pen, self.grad, self.digits = key, pen, grad, digits
        self.line, self.centre, self.radius = line, centre, radius

    def pen(self) -> QPen:
        return self._pen

    def toolTip(self) -> str:
        # Written when asked: formatting hundreds of numbers at every step would cost more than drawing.
        return f"∂E/∂{element_name(self.key)} = {fmt(self.grad, self.digits)}"


class GradientLayer(QGraphicsItem):
    """Every gradient ring and line in one item: hundreds of separate items cost a
    scene-index rebuild and a repaint each at every step of the walk."""

    def __init__(self, marks: list[GradMark]):
        super().__init__()
        self.marks = marks
        self.setZValue(Z - 1)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(True)
        rect = QRectF()
        for m in marks:
            if m.line is not None:
                r = QRectF(m.line.p1(), m.line.p2()).normalized()
            else:
                r = QRectF(m.centre.x() - m.radius, m.centre.y() - m.radius, 2 * m.radius, 2 * m.radius)
            w = m.pen().widthF()
            rect = rect.united(r.adjusted(-w, -w, w, w))
        self._rect = rect

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self):
        # Hit only near a mark, so the drawing's own items keep their clicks and tooltips.
        from PySide6.QtGui import QPainterPath, QPainterPathStroker
        path = QPainterPath()
        for m in self.marks:
            if m.line is not None:
                path.moveTo(m.line.p1())
                path.lineTo(m.line.p2())
            else:
                path.addEllipse(m.centre, m.radius, m.radius)
        stroker = QPainterPathStroker()
        stroker.setWidth(6)
        return stroker.createStroke(path)

    def paint(self, painter, option, widget=None):
        for m in self.marks:
            painter.setPen(m.pen())
            if m.line is not None:
                painter.drawLine(m.line)
            else:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(m.centre, m.radius, m.radius)

    def mark_at(self, p: QPointF) -> GradMark | None:
        best, best_d = None, 6.0
        for m in self.marks:
            if m.line is not None:
                d = _distance(p, m.line)
            else:
                d = abs(math.hypot(p.x() - m.centre.x(), p.y() - m.centre.y()) - m.radius)
            if d <= max(best_d, m.pen().widthF() / 2 + 2):
                best, best_d = m, d
        return best

    def hoverMoveEvent(self, event):
        m = self.mark_at(event.pos())
        self.setToolTip(m.toolTip() if m is not None else "")
        super().hoverMoveEvent(event)


def _distance(p: QPointF, line: QLineF) -> float:
    a, b = line.p1(), line.p2()
    dx, dy = b.x() - a.x(), b.y() - a.y()
    n = dx * dx + dy * dy
    t = 0.0 if n == 0 else max(0.0, min(1.0, ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / n))
    return math.hypot(p.x() - a.x() - t * dx, p.y() - a.y() - t * dy)


class CanvasWalkOverlay(QObject):
    def __init__(self, canvas, stepper_panel, parent=None):
        super().__init__(parent or canvas)
        self.canvas = canvas
        self.panel = stepper_panel
        self.items: list = []
        self.current_keys: list[tuple] = []     # the canvas elements of the current step
        self.values: dict[tuple, float] = {}    # neuron key -> value shown in it
        self.grads: dict[tuple, float] = {}     # neuron/edge/bias key -> gradient shown
        self.value_items: dict[tuple, QGraphicsSimpleTextItem] = {}
        self.grad_items: dict[tuple, object] = {}
        self.ring_items: list[QGraphicsEllipseItem] = []
        self.layer: GradientLayer | None = None
        canvas.rebuilt.connect(self._scene_rebuilt)
        stepper_panel.walkChanged.connect(self.refresh)
        self.refresh()

    # -- mapping the walk onto the drawing ---------------------------------------------------
    @staticmethod
    def neuron_key_of(st: Stepper, nid: int) -> list[tuple]:
        """Canvas keys of a node at the stepper's level."""
        if st.level == LAYER:
            name = st.trace.nodes[nid].name
            return layer_keys(st, name)
        n = st.view.nodes[nid]
        if n.param is not None:
            name, idx = n.param
            i = int(name.split(".")[1])
            return [("edge", i, idx[0], idx[1])] if name.endswith((".weight", ".weight_input")) \
                else [("bias", i, idx[0])]
        if n.kind in ("sum", "act", "residual"):
            return [("neuron", n.layer + 1, n.unit)]
        if n.kind == "input":
            return [("neuron", 0, n.tensor[1][1])]
        return []

    def _scene_rebuilt(self) -> None:
        # The canvas cleared its scene, and our items with it: forget them, then draw anew.
        self.items = []
        self.refresh()

    def _clear(self) -> None:
        scene = self.canvas.scene()
        for item in self.items:
            if item.scene() is scene:
                scene.removeItem(item)
        self.items = []
        self.value_items.clear()
        self.grad_items.clear()
        self.ring_items = []
        self.layer = None

    def refresh(self) -> None:
        self._clear()
        self.current_keys, self.values, self.grads = [], {}, {}
        st = self.panel.stepper
        if st is None or st.position < 0 or self.panel.special is not None or self.panel.stale:
            return
        if st.level == LAYER and st.trace.X.shape[0] != 1:
            return     # a whole batch: the drawing shows one sample's numbers only
        self._collect(st)
        if len(self.grads) > DASHED_UP_TO and hasattr(self.canvas, "_moving"):
            # As while weights animate: hundreds of lines repaint without antialiasing, crisp at rest.
            self.canvas._moving()
        self._draw(st)

    def _collect(self, st: Stepper) -> None:
        """What the walk has computed so far, per canvas element."""
        done = st.steps[:st.position + 1]
        cur = st.current
        if cur is not None and cur.node is not None:
            self.current_keys = self.neuron_key_of(st, cur.node)
        forward = [s.node for s in done if s.phase == FORWARD]
        backward = [s.node for s in done if s.phase in (BACKWARD, UPDATE, LOSS_AFTER) and s.node is not None]
        in_backward = any(s.phase != FORWARD for s in done)
        if st.level == LAYER:
            self._collect_layer(st, forward, backward)
            return
        v = st.view
        for n in v.nodes:
            if n.kind == "input":
                self.values[("neuron", 0, n.tensor[1][1])] = n.value
        for nid in forward:
            n = v.nodes[nid]
            if n.kind in ("sum", "act", "residual"):
                # The neuron shows its latest value: s, then the activation, then the skip sum.
                self.values[("neuron", n.layer + 1, n.unit)] = n.value
        if not in_backward:
            return
        for nid in backward:
            n = v.nodes[nid]
            if n.kind == "sum":
                self.grads[("neuron", n.layer + 1, n.unit)] = n.grad
            elif n.param is not None:
                for key in self.neuron_key_of(st, nid):
                    self.grads[key] = n.grad

    def _collect_layer(self, st: Stepper, forward, backward) -> None:
        tr = st.trace
        X = tr.X[0]
        if X.ndim == 1:
            for k, x in enumerate(X):
                self.values[("neuron", 0, k)] = float(x)
        for nid in forward:
            node = tr.nodes[nid]
            parts = node.name.split(".")
            if len(parts) == 3 and parts[0] == "layers" and parts[2] in ("sum", "matmul", "act", "residual") \
                    and node.value.ndim == 2:
                i = int(parts[1])
                for j, value in enumerate(node.value[0]):
                    self.values[("neuron", i + 1, j)] = float(value)
        for nid in backward:
            node = tr.nodes[nid]
            parts = node.name.split(".")
            if len(parts) != 3 or parts[0] != "layers" or node.grad is None:
                continue
            i = int(parts[1])
            g = node.grad
            if parts[2] == ("sum" if f"layers.{i}.sum" in tr.by_name else "matmul") and g.ndim == 2:
                for j, value in enumerate(g[0]):
                    self.grads[("neuron", i + 1, j)] = float(value)
            elif parts[2] in ("weight", "weight_input") and g.ndim == 2:
                for (k, j), value in _enumerate2(g):
                    self.grads[("edge", i, k, j)] = float(value)
            elif parts[2] == "bias":
                for j, value in enumerate(g):
                    self.grads[("bias", i, j)] = float(value)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, st: Stepper) -> None:
        scene = self.canvas.scene()
        small = QFont()
        small.setPointSizeF(7)
        text = theme.text_color()
        for key, value in self.values.items():
            item = self.canvas.neurons.get(key)
            if item is None:
                continue
            label = QGraphicsSimpleTextItem(fmt(value, 3))
            label.setFont(small)
            label.setBrush(text)
            br = label.boundingRect()
            pos = item.pos()
            if key[1] == 0:   # inputs carry their name inside: the value goes to the left
                label.setPos(pos.x() - NEURON_RADIUS - br.width() - 4, pos.y() - br.height() / 2)
            else:
                label.setPos(pos.x() - br.width() / 2, pos.y() - br.height() / 2)
                if br.width() > 2 * NEURON_RADIUS - 2:
                    label.setScale((2 * NEURON_RADIUS - 2) / br.width())
                    label.setPos(pos.x() - NEURON_RADIUS + 1, pos.y() - br.height() * label.scale() / 2)
            label.setZValue(Z + 1)
            label.setToolTip(f"value {fmt(value, st_digits(self.panel))}")
            scene.addItem(label)
            self.items.append(label)
            self.value_items[key] = label
        finite = [abs(g) for g in self.grads.values() if math.isfinite(g)]
        largest = max(finite) if finite else 0.0
        write_numbers = len(self.grads) <= LABEL_GRADIENTS_UP_TO
        digits = st_digits(self.panel)
        marks = []
        dashed = len(self.grads) <= DASHED_UP_TO
        pos_color, neg_color = theme.sign_color(1.0), theme.sign_color(-1.0)
        for key, g in self.grads.items():
            color = pos_color if g >= 0 else neg_color
            width = gradient_width(g, largest)
            if key[0] == "neuron":
                item = self.canvas.neurons.get(key)
                if item is None:
                    continue
                r = NEURON_RADIUS + 2 + width / 2
                mark = GradMark(key, QPen(color, width), g, digits, centre=item.pos(), radius=r)
                anchor = QPointF(item.pos().x() + r + 12, item.pos().y() - r - 4)
            else:
                edge = self.canvas.edges.get(key)
                if edge is None:
                    continue
                c = QColor(color)
                c.setAlpha(200)
                pen = QPen(c, width)
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                if dashed:
                    # Dashes tell the gradient from the weight beneath; on big networks they cost
                    # too much to paint at every step, and the colour change says enough.
                    pen.setStyle(Qt.PenStyle.DashLine)
                el = edge.line()
                mark = GradMark(key, pen, g, digits, line=QLineF(el))
                anchor = QPointF(el.x1() + (el.x2() - el.x1()) * 0.5, el.y1() + (el.y2() - el.y1()) * 0.5)
            marks.append(mark)
            self.grad_items[key] = mark
            if write_numbers and largest > 0 and abs(g) >= LABEL_SHARE * largest:
                number = QGraphicsSimpleTextItem(f"∂ {fmt(g, 4)}")
                number.setFont(small)
                number.setBrush(color)
                br = number.boundingRect()
                number.setPos(anchor.x() - br.width() / 2, anchor.y() + (0 if key[0] == "neuron" else 2))
                number.setZValue(Z + 1)
                scene.addItem(number)
                self.items.append(number)
        if marks:
            self.layer = GradientLayer(marks)
            scene.addItem(self.layer)
            self.items.append(self.layer)
        for key in self.current_keys:
            item = self.canvas.neurons.get(key) or self.canvas.edges.get(key)
            if item is None:
                continue
            if key[0] == "neuron":
                r = NEURON_RADIUS + 9
                ring = QGraphicsEllipseItem(-r, -r, 2 * r, 2 * r)
                ring.setPos(item.pos())
                ring.setPen(QPen(theme.HIGHLIGHT, 3))
                ring.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            else:
                ring = QGraphicsLineItem(item.line())
                c = QColor(theme.HIGHLIGHT)
                c.setAlpha(140)
                ring.setPen(QPen(c, 9, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            ring.setZValue(Z + 2 if key[0] == "neuron" else Z - 3)
            ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            ring.setToolTip("the walk is here")
            scene.addItem(ring)
            self.items.append(ring)
            self.ring_items.append(ring)


def _enumerate2(a):
    for k in range(a.shape[0]):
        for j in range(a.shape[1]):
            yield (k, j), a[k, j]


def st_digits(panel) -> int:
    return panel.doc.project.view.get("digits", 9)


def element_name(key: tuple) -> str:
    if key[0] == "neuron":
        return f"s{key[1]}[{key[2] + 1}]"
    if key[0] == "edge":
        return f"W{key[1] + 1}[{key[2] + 1},{key[3] + 1}]"
    return f"b{key[1] + 1}[{key[2] + 1}]"


def layer_keys(st: Stepper, name: str) -> list[tuple]:
    """Every canvas element a layer-level (tensor) node stands for."""
    spec = st.network.spec
    if name == "X":
        return [("neuron", 0, k) for k in range(spec.inputs)]
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "layers":
        return []
    i = int(parts[1])
    layer = spec.layers[i]
    fan_in = spec.inputs if i == 0 else spec.layers[i - 1].units
    if parts[-1] in ("weight", "weight_input"):
        return [("edge", i, k, j) for k in range(fan_in) for j in range(layer.units)]
    if parts[-1] == "bias":
        return [("bias", i, j) for j in range(layer.units)]
    if parts[-1] in ("gamma", "beta", "weight_hidden"):
        return []
    return [("neuron", i + 1, j) for j in range(layer.units)]
