"""Graphics items of the network drawing: neurons, weights, biases, buttons."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsLineItem, QGraphicsPathItem, QGraphicsRectItem,
                               QGraphicsSimpleTextItem)

from . import theme

NEURON_RADIUS = 15


class LazyTip:
    """A tooltip written when first read (by the view's tooltip event or by code).

    A neuron's or weight's tooltip tells values and gradients from a trace of the first
    sample; on a big network that trace and hundreds of texts would be made at every
    rebuild, mostly for nobody.
    """

    _tip_source = None

    def set_tip_source(self, source) -> None:
        self._tip_source = source

    def write_tip(self) -> None:
        if self._tip_source is not None:
            source, self._tip_source = self._tip_source, None
            self.setToolTip(source())          # type: ignore[attr-defined]

    def toolTip(self) -> str:
        self.write_tip()
        return super().toolTip()               # type: ignore[misc]


class NeuronItem(LazyTip, QGraphicsEllipseItem):
    def __init__(self, layer: int, unit: int, x: float, y: float, label: str = ""):
        r = NEURON_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r)
        self.setPos(x, y)
        self.layer, self.unit = layer, unit
        self.key = ("neuron", layer, unit)
        self.setZValue(2)
        self.setBrush(QBrush(theme.base_color()))
        self.setPen(QPen(theme.text_color(), 1.5))
        if label:
            text = QGraphicsSimpleTextItem(label, self)
            f = QFont()
            f.setPointSizeF(7.5)
            text.setFont(f)
            text.setBrush(theme.text_color())
            br = text.boundingRect()
            text.setPos(-br.width() / 2, -br.height() / 2)

    def set_highlight(self, on: bool) -> None:
        self.setPen(QPen(theme.HIGHLIGHT, 3.5) if on else QPen(theme.text_color(), 1.5))


class LoopItem(QGraphicsPathItem):
    """The self-loop of a recurrent neuron: its output returns at the next time step."""

    def __init__(self, neuron: "NeuronItem"):
        r = NEURON_RADIUS
        path = QPainterPath()
        path.moveTo(r * 0.5, -r * 0.85)
        path.cubicTo(r * 1.6, -r * 2.6, r * 2.6, -r * 0.6, r * 0.95, -r * 0.2)
        super().__init__(path, neuron)
        pen = QPen(theme.HIGHLIGHT, 1.6)
        self.setPen(pen)
        head = QPainterPath()
        head.moveTo(r * 0.95, -r * 0.2)
        head.lineTo(r * 1.5, -r * 0.2)
        head.moveTo(r * 0.95, -r * 0.2)
        head.lineTo(r * 1.2, -r * 0.75)
        arrow = QGraphicsPathItem(head, self)
        arrow.setPen(pen)


class EllipsisItem(QGraphicsSimpleTextItem):
    def __init__(self, hidden: int, x: float, y: float):
        super().__init__(f"⋮ {hidden} more")
        self.setBrush(theme.muted_color())
        br = self.boundingRect()
        self.setPos(x - br.width() / 2, y - br.height() / 2)
        self.setZValue(2)


def _edge_pen(color, width) -> QPen:
    # Flat caps draw noticeably faster than round ones, and edges end under
    # the neuron circles anyway.
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


class EdgeItem(LazyTip, QGraphicsLineItem):
    """A weight (or a bias, drawn from the layer's +1 node).

    Painted by Qt itself (no Python paint override): a network of a thousand
    edges must redraw many times a second while training runs.
    """

    def __init__(self, key, x1, y1, x2, y2, value: float, width: float, faint: bool = False):
        super().__init__(x1, y1, x2, y2)
        self.key = key
        self.value = value
        self.base_width = width
        self.faint = faint
        self.setZValue(0)
        self.set_highlight(False)

    def set_highlight(self, on: bool, positive=None, negative=None) -> None:
        if on:
            self.setPen(_edge_pen(theme.HIGHLIGHT, self.base_width + 3))
            self.setZValue(1)
            return
        c = QColor(positive if self.value >= 0 and positive is not None else
                   negative if positive is not None else theme.sign_color(self.value))
        c.setAlpha(60 if self.faint else 200)
        self.setPen(_edge_pen(c, self.base_width))
        self.setZValue(0)


class BiasItem(QGraphicsRectItem):
    """The constant +1 input whose weights are a layer's biases."""

    def __init__(self, layer: int, x: float, y: float):
        super().__init__(-13, -10, 26, 20)
        self.setPos(x, y)
        self.key = ("bias_node", layer)
        self.setBrush(QBrush(theme.base_color()))
        self.setPen(QPen(theme.muted_color(), 1.2, Qt.PenStyle.DashLine))
        self.setZValue(2)
        text = QGraphicsSimpleTextItem("+1", self)
        text.setBrush(theme.muted_color())
        br = text.boundingRect()
        text.setPos(-br.width() / 2, -br.height() / 2)


class ButtonItem(QGraphicsRectItem):
    """A small clickable label on the canvas (+ neuron, − neuron, + layer)."""

    def __init__(self, text: str, tooltip: str, action, x: float, y: float, name: str = ""):
        self.label = QGraphicsSimpleTextItem(text)
        br = self.label.boundingRect()
        w, h = br.width() + 12, br.height() + 6
        super().__init__(QRectF(-w / 2, -h / 2, w, h))
        self.label.setParentItem(self)
        self.label.setBrush(theme.text_color())
        self.label.setPos(-br.width() / 2, -br.height() / 2)
        self.setPos(x, y)
        self.action = action
        self.name = name
        self.setToolTip(tooltip)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(3)
        self._normal()

    def _normal(self):
        c = QColor(theme.text_color())
        c.setAlpha(25)
        self.setBrush(QBrush(c))
        self.setPen(QPen(theme.muted_color(), 1))

    def hoverEnterEvent(self, event):
        c = QColor(theme.HIGHLIGHT)
        c.setAlpha(60)
        self.setBrush(QBrush(c))

    def hoverLeaveEvent(self, event):
        self._normal()

    def mousePressEvent(self, event):
        event.accept()

    def mouseReleaseEvent(self, event):
        if self.contains(event.pos()):
            self.action()
        event.accept()


class HeaderItem(QGraphicsSimpleTextItem):
    """A layer's title; clicking it selects the layer."""

    def __init__(self, layer: int, text: str, x: float, y: float):
        super().__init__(text)
        self.key = ("layer", layer)
        f = QFont()
        f.setBold(True)
        self.setFont(f)
        self.setBrush(theme.text_color())
        br = self.boundingRect()
        self.setPos(x - br.width() / 2, y - br.height())
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(3)

    def set_highlight(self, on: bool) -> None:
        self.setBrush(theme.HIGHLIGHT if on else theme.text_color())
