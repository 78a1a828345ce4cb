"""The scene items of the computational graph: a node box that paints its own text, the
"… N more" node of a folded layer, and the edges drawn a few hundred to an item."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyle

from ..session.graph_folding import FoldGroup
from ..session.graph_layout import CHIP_H, NODE_H, NODE_W
from . import theme


class NodeText:
    """One line of a node's text, painted by the node itself: a long unrolled walk has
    thousands of nodes, and four text items each made opening it take seconds."""
    _metrics: dict[tuple, QFontMetricsF] = {}
    _widths: dict[tuple, float] = {}

    def __init__(self, text: str, font: QFont, x: float, y: float, color: QColor):
        self._text, self.font, self.x, self.y, self.color = text, font, x, y, color
        key = (font.pointSizeF(), font.bold())
        if key not in NodeText._metrics:
            NodeText._metrics[key] = QFontMetricsF(font)
        self.metrics = NodeText._metrics[key]

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        self._text = text

    def width(self) -> float:
        # Thousands of nodes share a few texts ("not computed", op names): measured once each.
        key = (id(self.metrics), self._text)
        w = NodeText._widths.get(key)
        if w is None:
            if len(NodeText._widths) > 50_000:
                NodeText._widths.clear()
            w = NodeText._widths[key] = self.metrics.horizontalAdvance(self._text)
        return w

    def elide(self, width: float) -> None:
        if self.width() > width:
            self._text = self.metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, width)

    def paint(self, painter) -> None:
        if self._text:
            painter.setFont(self.font)
            painter.setPen(self.color)
            painter.drawText(QPointF(self.x, self.y + self.metrics.ascent()), self._text)


def _fonts() -> tuple[QFont, QFont]:
    bold = QFont()
    bold.setBold(True)
    bold.setPointSizeF(8.5)
    small = QFont()
    small.setPointSizeF(7.5)
    return bold, small


class GraphNodeItem(QGraphicsRectItem):
    _fonts: tuple[QFont, QFont] | None = None

    def __init__(self, node_id: int, title: str, subtitle: str = "", compact: bool = False):
        super().__init__(0, 0, NODE_W, CHIP_H if compact else NODE_H)
        self.node_id = node_id
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setZValue(2)
        if GraphNodeItem._fonts is None:
            GraphNodeItem._fonts = _fonts()
        bold, small = GraphNodeItem._fonts
        ink = theme.text_color()
        self.sub = NodeText(subtitle, small, 0, 3, ink)
        self.sub.x = NODE_W - 6 - self.sub.width()
        self.title = NodeText(title, bold, 6, 0 if compact else 2, ink)
        self.value = NodeText("", small, 6, 11 if compact else 18, ink)
        self.grad = NodeText("", small, 6, 22 if compact else 32, ink)
        self.title.elide(NODE_W - 12 - self.sub.width())
        self.lines = (self.title, self.sub, self.value, self.grad)

    def paint(self, painter, option, widget=None):
        option.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, option, widget)
        for line in self.lines:
            line.paint(painter)

    def hoverEnterEvent(self, event):
        # The tooltip is written when asked: value, gradient and formula as of this step.
        views = self.scene().views() if self.scene() else []
        if views and hasattr(views[0], "tooltip_for"):
            self.setToolTip(views[0].tooltip_for(self.node_id))
        super().hoverEnterEvent(event)

    def show_state(self, value: str | None, grad: str | None, magnitude: float | None,
                   current: bool, selected: bool, on_path: bool, palette: tuple | None = None):
        """``palette``: (base, text, muted) colours, read once per refresh by the view."""
        base, text, muted_pen = palette or (theme.base_color(), theme.text_color(), theme.muted_color())
        computed = value is not None
        fill = theme.gradient_color(magnitude) if grad is not None else base
        self.setBrush(QBrush(fill))
        ink = theme.readable_on(fill) if grad is not None else text
        muted = QColor(ink)
        if not computed:
            muted.setAlpha(110)
        for line in self.lines:
            line.color = muted if not computed else ink
        self.value.setText(f"= {value}" if computed else "not computed")
        self.grad.setText(f"∂E: {grad}" if grad is not None else "")
        self.value.elide(NODE_W - 12)
        self.grad.elide(NODE_W - 12)
        self.update()
        if current:
            pen = QPen(theme.HIGHLIGHT, 4)
        elif selected or on_path:
            pen = QPen(theme.HIGHLIGHT, 2.5, Qt.PenStyle.DashLine if on_path and not selected else Qt.PenStyle.SolidLine)
        elif computed:
            pen = QPen(text, 1.4)
        else:
            pen = QPen(muted_pen, 1.2, Qt.PenStyle.DashLine)
        self.setPen(pen)


class GroupNodeItem(GraphNodeItem):
    """The "… N more" node of a folded layer: a click opens the layer."""

    def __init__(self, group: FoldGroup):
        super().__init__(group.id, group.title, "")
        self.group = group
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(group.describe())
        self.show_counts(0, len(group.members), None)

    def show_counts(self, computed: int, total: int, largest_grad: float | None) -> None:
        fill = theme.gradient_color(largest_grad) if largest_grad is not None else theme.base_color()
        self.setBrush(QBrush(fill))
        ink = theme.readable_on(fill) if largest_grad is not None else theme.text_color()
        for line in self.lines:
            line.color = QColor(ink)
        self.value.setText(f"{computed} of {total} computed")
        self.grad.setText("click to show all")
        self.setPen(QPen(theme.muted_color(), 1.4, Qt.PenStyle.DotLine))
        self.update()

    def hoverEnterEvent(self, event):
        QGraphicsRectItem.hoverEnterEvent(self, event)

    def mousePressEvent(self, event):
        event.accept()      # not the start of a drag: the release opens the layer

    def mouseReleaseEvent(self, event):
        views = self.scene().views() if self.scene() else []
        if views and hasattr(views[0], "expand_column"):
            # After this event returns: opening the layer rebuilds the scene this item is in.
            column = self.group.column
            QTimer.singleShot(0, lambda: views[0].expand_column(column))
        event.accept()


class EdgeChunkItem(QGraphicsItem):
    """Up to :data:`EDGES_PER_ITEM` edges in one item: 4,500 line items made a long unrolled
    walk slow to build and to repaint, and one item for all of them would be painted in one
    go by a big export (which paints a few items at a time between looks at the event loop)."""

    def __init__(self, edges: list[tuple[int, int, QLineF]]):
        super().__init__()
        self.edges = edges
        self.on_path: set[int] = set()      # indices into edges drawn highlighted
        self.setZValue(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        xs = [v for _, _, ln in edges for v in (ln.x1(), ln.x2())]
        ys = [v for _, _, ln in edges for v in (ln.y1(), ln.y2())]
        pad = 3.0      # the highlight pen's half width, and a little
        self._rect = QRectF(min(xs) - pad, min(ys) - pad, max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad)

    def boundingRect(self) -> QRectF:
        return self._rect

    def set_path(self, drawn: set[tuple[int, int]]) -> None:
        """Highlight the edges (input, consumer) in ``drawn``."""
        on = {i for i, (a, b, _) in enumerate(self.edges) if (a, b) in drawn}
        if on != self.on_path:
            self.on_path = on
            self.setZValue(1 if on else 0)    # a highlighted path is not crossed out by plain edges
            self.update()

    def paint(self, painter, option, widget=None):
        exposed = option.exposedRect if not option.exposedRect.isEmpty() else self._rect
        left, right, top, bottom = exposed.left(), exposed.right(), exposed.top(), exposed.bottom()

        def seen(ln: QLineF) -> bool:
            return (max(ln.x1(), ln.x2()) >= left and min(ln.x1(), ln.x2()) <= right
                    and max(ln.y1(), ln.y2()) >= top and min(ln.y1(), ln.y2()) <= bottom)
        plain = [ln for i, (_, _, ln) in enumerate(self.edges) if i not in self.on_path and seen(ln)]
        if plain:
            painter.setPen(QPen(theme.muted_color(), 1.0))
            painter.drawLines(plain)
        if self.on_path:
            painter.setPen(QPen(theme.HIGHLIGHT, 2.5))
            painter.drawLines([self.edges[i][2] for i in sorted(self.on_path)])
