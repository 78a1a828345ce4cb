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
        self._rect: QRectF | None = None

    def pen(self) -> QPen:
        return self._pen

    def rect(self) -> QRectF:
        """The area this mark paints, pen included."""
        if self._rect is None:
            self._rect = self._area()
        return self._rect

    def _area(self) -> QRectF:
        if self.line is not None:
            r = QRectF(self.line.p1(), self.line.p2()).normalized()
        else:
            r = QRectF(self.centre.x() - self.radius, self.centre.y() - self.radius, 2 * self.radius, 2 * self.radius)
        w = self._pen.widthF()
        return r.adjusted(-w, -w, w, w)

    def toolTip(self) -> str:
        # Written when asked: formatting hundreds of numbers at every step would cost more than drawing.
        return f"∂E/∂{element_name(self.key)} = {fmt(self.grad, self.digits)}"


class GradientLayer(QGraphicsItem):
    """Every gradient ring and line in one item: hundreds of separate items cost a
    scene-index rebuild and a repaint each at every step of the walk. Between steps only
    the marks that changed are repainted (``update(rect)`` of their area)."""

    def __init__(self):
        super().__init__()
        self.marks: dict[tuple, GradMark] = {}
        self.setZValue(Z - 1)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(True)
        # Paint only the marks in the area Qt asks for (exposedRect).
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self._rect = QRectF()
        self._shape = None

    def set_marks(self, marks: dict[tuple, GradMark], changed: list[tuple], removed: list[GradMark]) -> None:
        """Take the new marks; ``changed`` keys and ``removed`` marks are the only areas repainted."""
        dirty = QRectF()
        for m in removed:
            dirty = dirty.united(m.rect())
        for key in changed:
            dirty = dirty.united(marks[key].rect())
        grown = self._rect.united(dirty)
        if removed:
            grown = QRectF()
            for m in marks.values():
                grown = grown.united(m.rect())
        if grown != self._rect:
            self.prepareGeometryChange()
            self._rect = grown
        self.marks = marks
        self._shape = None
        if not dirty.isEmpty():
            self.update(dirty)

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self):
        # Hit only near a mark, so the drawing's own items keep their clicks and tooltips.
        if self._shape is None:
            from PySide6.QtGui import QPainterPath, QPainterPathStroker
            path = QPainterPath()
            for m in self.marks.values():
                if m.line is not None:
                    path.moveTo(m.line.p1())
                    path.lineTo(m.line.p2())
                else:
                    path.addEllipse(m.centre, m.radius, m.radius)
            stroker = QPainterPathStroker()
            stroker.setWidth(6)
            self._shape = stroker.createStroke(path)
        return self._shape

    def paint(self, painter, option, widget=None):
        exposed = option.exposedRect
        painter.setBrush(Qt.BrushStyle.NoBrush)
        last = None
        for m in self.marks.values():
            if not exposed.intersects(m.rect()):
                continue
            if m.pen() is not last:
                painter.setPen(m.pen())
                last = m.pen()
            if m.line is not None:
                painter.drawLine(m.line)
            else:
                painter.drawEllipse(m.centre, m.radius, m.radius)

    def mark_at(self, p: QPointF) -> GradMark | None:
        best, best_d = None, 6.0
        for m in self.marks.values():
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
        self.current_keys: list[tuple] = []     # the canvas elements of the current step
        self.values: dict[tuple, float] = {}    # neuron key -> value shown in it
        self.grads: dict[tuple, float] = {}     # neuron/edge/bias key -> gradient shown
        self.value_items: dict[tuple, QGraphicsSimpleTextItem] = {}
        self.grad_items: dict[tuple, GradMark] = {}
        self.number_items: dict[tuple, QGraphicsSimpleTextItem] = {}
        self.rings: dict[tuple, QGraphicsItem] = {}
        self.layer: GradientLayer | None = None
        self.touched = 0        # scene items and marks added, changed or removed by the last refresh
        self._pens: dict[tuple, QPen] = {}
        self._font = QFont()
        self._font.setPointSizeF(7)
        canvas.rebuilt.connect(self._scene_rebuilt)
        stepper_panel.walkChanged.connect(self.refresh)
        self.refresh()

    @property
    def items(self) -> list:
        """Every scene item the overlay has on the canvas now."""
        out: list = list(self.value_items.values()) + list(self.number_items.values())
        if self.layer is not None and self.grad_items:
            out.append(self.layer)
        return out + list(self.rings.values())

    @property
    def ring_items(self) -> list:
        return [self.rings[k] for k in self.current_keys if k in self.rings]

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
        self.value_items, self.number_items, self.rings, self.grad_items = {}, {}, {}, {}
        self.layer = None
        self.refresh()

    def _clear(self) -> None:
        self.current_keys, self.values, self.grads = [], {}, {}
        self._draw()

    def refresh(self) -> None:
        self.touched = 0
        self.current_keys, self.values, self.grads = [], {}, {}
        st = self.panel.stepper
        if st is None or st.position < 0 or self.panel.special is not None or self.panel.stale or \
                (st.level == LAYER and st.trace.X.shape[0] != 1):   # a whole batch: one sample's numbers only
            self._draw()
            return
        self._collect(st)
        if len(self.grads) > DASHED_UP_TO and hasattr(self.canvas, "_moving"):
            # As while weights animate: hundreds of lines repaint without antialiasing, crisp at rest.
            self.canvas._moving()
        self._draw()

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
    # Only what changed since the last step is touched: a step adds a few values or gradients,
    # and rebuilding hundreds of items at every step is what made the walk slow on big networks.
    def _sync(self, store: dict, wanted: dict, make, same, update) -> None:
        """Make ``store`` (key → scene item) hold an item for each of ``wanted`` (key → spec)."""
        scene = self.canvas.scene()
        for key in [k for k in store if k not in wanted]:
            item = store.pop(key)
            if item.scene() is scene:
                scene.removeItem(item)
            self.touched += 1
        for key, spec in wanted.items():
            item = store.get(key)
            if item is not None and same(item, spec):
                continue
            if item is None:
                item = store[key] = make(key, spec)
                scene.addItem(item)
            update(item, key, spec)
            self.touched += 1

    def _pen(self, color: QColor, width: float, edge: bool, dashed: bool) -> QPen:
        key = (color.rgba(), width, edge, dashed)
        pen = self._pens.get(key)
        if pen is None:
            if len(self._pens) > 4096:
                self._pens.clear()
            c = QColor(color)
            if edge:
                c.setAlpha(200)
            pen = QPen(c, width)
            if edge:
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
                if dashed:
                    # Dashes tell the gradient from the weight beneath; on big networks they cost
                    # too much to paint at every step, and the colour change says enough.
                    pen.setStyle(Qt.PenStyle.DashLine)
            self._pens[key] = pen
        return pen

    def _draw(self) -> None:
        digits = st_digits(self.panel)
        self._sync(self.value_items, self._value_specs(), self._make_text, _same_text, self._place_value)
        finite = [abs(g) for g in self.grads.values() if math.isfinite(g)]
        largest = max(finite) if finite else 0.0
        dashed = len(self.grads) <= DASHED_UP_TO
        pos_color, neg_color = theme.sign_color(1.0), theme.sign_color(-1.0)
        marks: dict[tuple, GradMark] = {}
        old = self.grad_items
        numbers: dict[tuple, tuple] = {}
        write_numbers = len(self.grads) <= LABEL_GRADIENTS_UP_TO
        for key, g in self.grads.items():
            color = pos_color if g >= 0 else neg_color
            width = gradient_width(g, largest)
            if key[0] == "neuron":
                item = self.canvas.neurons.get(key)
                if item is None:
                    continue
                r = NEURON_RADIUS + 2 + width / 2
                pen, centre = self._pen(color, width, False, False), item.pos()
                was = old.get(key)
                mark = was if was is not None and was._pen is pen and was.centre == centre else \
                    GradMark(key, pen, g, digits, centre=centre, radius=r)
                anchor = QPointF(centre.x() + r + 12, centre.y() - r - 4)
            else:
                edge = self.canvas.edges.get(key)
                if edge is None:
                    continue
                el = edge.line()
                pen = self._pen(color, width, True, dashed)
                was = old.get(key)
                # Unchanged look: the drawn mark stays (only its hover number follows).
                mark = was if was is not None and was._pen is pen and was.line == el else \
                    GradMark(key, pen, g, digits, line=QLineF(el))
                anchor = QPointF(el.x1() + (el.x2() - el.x1()) * 0.5, el.y1() + (el.y2() - el.y1()) * 0.5)
            mark.grad, mark.digits = g, digits
            marks[key] = mark
            if write_numbers and largest > 0 and abs(g) >= LABEL_SHARE * largest:
                numbers[key] = (f"∂ {fmt(g, 4)}", color.rgba(), anchor.x(), anchor.y())
        self._set_marks(marks)
        self._sync(self.number_items, numbers, self._make_text, _same_text, self._place_number)
        rings = {}
        for key in self.current_keys:
            item = self.canvas.neurons.get(key) or self.canvas.edges.get(key)
            if item is not None:
                rings[key] = (key[0], item.pos().x(), item.pos().y()) if key[0] == "neuron" else \
                    (key[0], item.line())
        self._sync(self.rings, rings, _make_ring, lambda item, spec: item.data(0) == spec, _place_ring)

    def _set_marks(self, marks: dict[tuple, GradMark]) -> None:
        old = self.grad_items
        changed = [k for k, m in marks.items() if old.get(k) is not m]
        removed = [m for k, m in old.items() if k not in marks]
        self.grad_items = marks
        if not changed and not removed:
            return
        scene = self.canvas.scene()
        if self.layer is None or self.layer.scene() is not scene:
            self.layer = GradientLayer()
            scene.addItem(self.layer)
        self.layer.set_marks(marks, changed, removed)
        self.touched += len(changed) + len(removed)

    def _value_specs(self) -> dict[tuple, tuple]:
        ink = theme.text_color().rgba()
        return {key: (fmt(value, 3), value, ink) for key, value in self.values.items() if key in self.canvas.neurons}

    def _make_text(self, key, spec) -> QGraphicsSimpleTextItem:
        item = QGraphicsSimpleTextItem()
        item.setFont(self._font)
        item.setZValue(Z + 1)
        return item

    def _place_value(self, label: QGraphicsSimpleTextItem, key, spec) -> None:
        text, value, ink = spec
        label.setText(text)
        label.setData(0, spec)
        label.setBrush(QColor.fromRgba(ink))
        label.setScale(1.0)
        br = label.boundingRect()
        pos = self.canvas.neurons[key].pos()
        if key[1] == 0:   # inputs carry their name inside: the value goes to the left
            label.setPos(pos.x() - NEURON_RADIUS - br.width() - 4, pos.y() - br.height() / 2)
        else:
            label.setPos(pos.x() - br.width() / 2, pos.y() - br.height() / 2)
            if br.width() > 2 * NEURON_RADIUS - 2:
                label.setScale((2 * NEURON_RADIUS - 2) / br.width())
                label.setPos(pos.x() - NEURON_RADIUS + 1, pos.y() - br.height() * label.scale() / 2)
        label.setToolTip(f"value {fmt(value, st_digits(self.panel))}")

    def _place_number(self, number: QGraphicsSimpleTextItem, key, spec) -> None:
        text, rgba, x, y = spec
        number.setText(text)
        number.setData(0, spec)
        number.setBrush(QColor.fromRgba(rgba))
        br = number.boundingRect()
        number.setPos(x - br.width() / 2, y + (0 if key[0] == "neuron" else 2))


def _same_text(item, spec) -> bool:
    return item.data(0) == spec


def _make_ring(key, spec) -> QGraphicsItem:
    if key[0] == "neuron":
        r = NEURON_RADIUS + 9
        ring = QGraphicsEllipseItem(-r, -r, 2 * r, 2 * r)
        ring.setPen(QPen(theme.HIGHLIGHT, 3))
        ring.setBrush(QBrush(Qt.BrushStyle.NoBrush))
    else:
        ring = QGraphicsLineItem()
        c = QColor(theme.HIGHLIGHT)
        c.setAlpha(140)
        ring.setPen(QPen(c, 9, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    ring.setZValue(Z + 2 if key[0] == "neuron" else Z - 3)
    ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    ring.setToolTip("the walk is here")
    return ring


def _place_ring(ring, key, spec) -> None:
    ring.setData(0, spec)
    if key[0] == "neuron":
        ring.setPos(spec[1], spec[2])
    else:
        ring.setLine(spec[1])


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
