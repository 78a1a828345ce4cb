"""The computational graph of the traced sample, laid out left to right.

Nodes show their op and, once the walk has reached them, their value and
(during the backward pass) their gradient; the fill encodes |gradient| on a
log scale, so vanishing gradients fade toward the inputs.
"""

from __future__ import annotations

import re


from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsLineItem, QGraphicsRectItem, QGraphicsScene,
                               QGraphicsView, QStyle)

from ..engine.formatting import fmt
from ..session.stepper import LAYER, Stepper
from ..session.graph_folding import FoldGroup, FoldPlan, column_widths, fold_plan, folded, needed_units
from ..session.layout_geometry import layered_depths
from . import theme
from .zoom import wheel_zoom

NODE_W, NODE_H = 132, 50
COL_GAP, ROW_GAP = 176, 62
# At neuron level a neuron's weights and bias are small chips stacked right beside its sum node.
CHIP_H, CHIP_GAP, CHIP_TO_SUM = 36, 40, 36
BAND_GAP = 18


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


class GraphView(QGraphicsView):
    nodeClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("graphView")
        self.setScene(QGraphicsScene(self))
        # No BSP index: the scene is rebuilt whole (a walk into a folded layer, a new walk), and
        # indexing thousands of long edges took seconds at the first paint or export after each build.
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.stepper: Stepper | None = None
        self.items: dict[int, GraphNodeItem] = {}
        self.edges: list[tuple[int, int, QGraphicsLineItem]] = []
        self.selected: int | None = None
        self.path_nodes: set[int] = set()
        self.path_edges: set[tuple[int, int]] = set()
        self.digits = 6
        self.fold_time = False          # one node per op instead of one per time step
        self.fold_weights = False       # neuron level: weights and biases folded into their sum node
        self._groups: dict[int, list[int]] = {}   # shown node → the unrolled nodes it stands for
        self.fold_wide = True           # neuron level: layers wider than FOLD_ABOVE drawn folded
        self.expanded: set[int] = set()         # columns the learner opened
        self.pinned: set[tuple[int, int]] = set()   # neurons found or selected inside folded columns
        self._walk_reveal: frozenset = frozenset()  # the neurons the current step needs shown
        self._plan: FoldPlan | None = None
        self._level = None
        self._syncing = False
        self.scene().selectionChanged.connect(self._on_selection)

    # -- building ---------------------------------------------------------------------
    def set_stepper(self, stepper: Stepper | None) -> None:
        keep_view = (stepper is not None and self.stepper is not None and stepper.level == self._level
                     and len(self._nodes_of(stepper)) == sum(len(g) for g in self._groups.values()))
        if not keep_view:
            self.expanded, self.pinned = set(), set()
        self._walk_reveal = frozenset()
        self.stepper = stepper
        self.selected = None
        self.path_nodes, self.path_edges = set(), set()
        self._rebuild()
        if not keep_view:
            self.fit()

    def _nodes_of(self, stepper: Stepper):
        if stepper.level == LAYER:
            return [(n.id, n.name, n.op, list(n.inputs), "×".join(map(str, n.shape)) or "scalar")
                    for n in stepper.trace.nodes]
        return [(n.id, n.label, n.kind, list(n.inputs), "") for n in stepper.view.nodes]

    def _rebuild(self) -> None:
        self._state_cache = None
        self._syncing = True
        scene = self.scene()
        scene.clear()
        self.items.clear()
        self.edges.clear()
        if self.stepper is None:
            self._syncing = False
            return
        self._level = self.stepper.level
        nodes = self._nodes_of(self.stepper)
        depth = layered_depths([(nid, inputs) for nid, _, _, inputs, _ in nodes])
        rep = {nid: nid for nid, *_ in nodes}
        if self.fold_time and self._level == LAYER:
            # Folded: every time step of an op is one node (placed where its first step was).
            first: dict[str, int] = {}
            for nid, name, *_ in nodes:
                rep[nid] = first.setdefault(fold_name(name), nid)
            depth = {nid: min(depth[m] for m in rep if rep[m] == rep[nid]) for nid in rep}
            folded_inputs = {}
            for nid, _, _, inputs, _ in nodes:
                folded_inputs.setdefault(rep[nid], {}).update(dict.fromkeys(rep[i] for i in inputs))
            nodes = [(nid, fold_name(name), op, [i for i in folded_inputs[nid] if i != nid], shape)
                     for nid, name, op, inputs, shape in nodes if rep[nid] == nid]
            # Close the gaps the other time steps leave: consecutive columns.
            rank = {d: r for r, d in enumerate(sorted({depth[nid] for nid, *_ in nodes}))}
            depth = {nid: rank[depth[nid]] for nid, *_ in nodes}
        self._plan = None
        if self._level != LAYER:
            # Neuron level: chips folded into their sums, wide layers into "… N more" groups.
            plan = self._plan = fold_plan(self.stepper.view, self.expanded, self.pinned | self._walk_reveal,
                                          fold_weights=self.fold_weights, fold_wide=self.fold_wide)
            rep = dict(plan.rep)
            group_inputs: dict[int, dict[int, None]] = {g: {} for g in plan.groups}
            for nid, _, _, inputs, _ in nodes:
                if rep[nid] in group_inputs:
                    group_inputs[rep[nid]].update(dict.fromkeys(rep[i] for i in inputs))
            nodes = [(nid, name, op, [i for i in dict.fromkeys(rep[i] for i in inputs) if i != nid], shape)
                     for nid, name, op, inputs, shape in nodes if rep[nid] == nid]
            nodes += [(g.id, g.title, "group", [i for i in group_inputs[g.id] if i != g.id], "")
                      for g in plan.groups.values()]
        self._groups = {}
        for member, r in rep.items():
            self._groups.setdefault(r, []).append(member)
        compact: set[int] = set()
        if self._level != LAYER:
            pos, compact = neuron_layout(self.stepper.view, folded=self.fold_weights, plan=self._plan)
        else:
            columns: dict[int, list[int]] = {}
            for nid, *_ in nodes:
                columns.setdefault(depth[nid], []).append(nid)
            tallest = max(len(c) for c in columns.values())
            pos = {}
            for d, ids in columns.items():
                y0 = (tallest - len(ids)) * ROW_GAP / 2
                for r, nid in enumerate(ids):
                    pos[nid] = QPointF(d * COL_GAP, y0 + r * ROW_GAP)
        for nid, name, op, inputs, shape in nodes:
            title = name if self._level != LAYER else _short(name)
            sub = op if self._level == LAYER and op not in ("param", "input", "const") else shape
            if self._level != LAYER:
                sub = ""
            if op == "group":
                item = GroupNodeItem(self._plan.groups[nid])
                item.setPos(pos[nid])
                scene.addItem(item)
                self.items[nid] = item
                continue
            item = GraphNodeItem(nid, title, sub, compact=nid in compact)
            item.setPos(pos[nid])
            item.setToolTip(f"{name}\nop: {op}" + (f"\nshape: {shape}" if shape else ""))
            scene.addItem(item)
            self.items[nid] = item
        for nid, _, _, inputs, _ in nodes:
            for src in dict.fromkeys(inputs):
                a, b = pos[src], pos[nid]
                ha, hb = self.items[src].rect().height(), self.items[nid].rect().height()
                line = QGraphicsLineItem(a.x() + NODE_W, a.y() + ha / 2, b.x(), b.y() + hb / 2)
                line.setZValue(0)
                scene.addItem(line)
                self.edges.append((src, nid, line))
        bounds = scene.itemsBoundingRect()
        scene.setSceneRect(bounds.adjusted(-30, -30, 30, 30))
        self._syncing = False
        self.refresh()

    # -- state ------------------------------------------------------------------------------
    def refresh(self) -> None:
        st = self.stepper
        if st is None:
            return
        if st.level != self._level:
            self._rebuild()
            return
        current = st.current.node if st.current else None
        if self._reveal_for(current):
            return
        # A long unrolled walk has thousands of nodes: redraw only those whose state changed.
        cache = getattr(self, "_state_cache", None)
        if cache is None or cache.get("_for") != (id(st), st.level, self.digits, self.fold_weights):
            cache = self._state_cache = {"_for": (id(st), st.level, self.digits, self.fold_weights)}
        palette = (theme.base_color(), theme.text_color(), theme.muted_color())
        for nid, item in self.items.items():
            if isinstance(item, GroupNodeItem):
                self._refresh_group(item, cache)
                continue
            members = self._groups.get(nid, [nid])
            states = [(m, *st.node_state(m)) for m in members]
            # A folded node shows its latest computed time step.
            shown = max((m for m, v, _ in states if v), default=members[0])
            has_value = any(v for _, v, _ in states)
            has_grad = any(g for _, _, g in states)
            if has_grad:
                shown = min(m for m, _, g in states if g)    # backward runs back through time
            if st.level != LAYER:
                shown = nid            # a neuron shows its own sum, not the weights folded into it
                has_value, has_grad = st.node_state(nid)
            key = (shown, has_value, has_grad, current in members, nid == self.selected, nid in self.path_nodes)
            if cache.get(nid) == key and cache.get("_item", {}).get(nid) is item:
                continue
            cache[nid] = key
            cache.setdefault("_item", {})[nid] = item
            value, grad = self._numbers(shown)
            mag = _magnitude(grad) if has_grad and grad is not None else None
            item.show_state(self._fmt(value) if has_value else None,
                            self._fmt(grad) if has_grad and grad is not None else None,
                            mag, current in members, nid == self.selected, nid in self.path_nodes, palette)
        path_key = (frozenset(self.path_edges), len(self.edges))
        if cache.get("_edges") != path_key:
            cache["_edges"] = path_key
            rep = self._plan.rep if self._plan is not None else {}
            drawn = {(rep.get(a, a), rep.get(b, b)) for a, b in self.path_edges}
            for src, dst, line in self.edges:
                on = (src, dst) in drawn
                pen = QPen(theme.HIGHLIGHT, 2.5) if on else QPen(theme.muted_color(), 1.0)
                line.setPen(pen)
                line.setZValue(1 if on else 0)
        shown_current = next((n for n, g in self._groups.items() if current in g), current)
        if shown_current is not None and shown_current in self.items:
            self.ensureVisible(self.items[shown_current], 40, 40)

    # -- folded layers ------------------------------------------------------------------------
    def _reveal_for(self, current: int | None) -> bool:
        """Show the neuron the walk is on if it sits in a folded layer (and fold back the one
        shown for the previous step). True if the graph was rebuilt (which refreshed it)."""
        if self._plan is None or self.stepper is None or self.stepper.level == LAYER:
            return False
        need: frozenset = frozenset()
        if current is not None and self.fold_wide:
            widths = column_widths(self.stepper.view)
            need = frozenset(u for u in needed_units(self.stepper.view, current)
                             if folded(widths, u, self.expanded, self.pinned))
        if need == self._walk_reveal:
            return False
        self._walk_reveal = need
        self._rebuild()
        return True

    def reveal(self, nid: int) -> None:
        """Draw ``nid`` as itself, opening the folded layers it hides in for good."""
        if self._plan is None or nid not in self._plan.hidden or self.stepper is None:
            return
        self.pinned |= needed_units(self.stepper.view, nid)
        self._rebuild()

    def expand_column(self, column: int) -> None:
        """Open a folded layer (a click on its "… N more" node)."""
        self.expanded.add(column)
        self._rebuild()

    def _refresh_group(self, item: GroupNodeItem, cache: dict) -> None:
        st = self.stepper
        states = [st.node_state(m) for m in item.group.members]
        grads = [abs(st.view.nodes[m].grad) for m, (_, g) in zip(item.group.members, states)
                 if g and st.view.nodes[m].grad is not None]
        key = ("group", sum(v for v, _ in states), len(grads))
        if cache.get(item.node_id) == key and cache.get("_item", {}).get(item.node_id) is item:
            return
        cache[item.node_id] = key
        cache.setdefault("_item", {})[item.node_id] = item
        item.show_counts(sum(v for v, _ in states), len(states), max(grads) if grads else None)

    def _numbers(self, nid):
        """(value, |grad| or signed grad) as floats or arrays, for display."""
        st = self.stepper
        if st.level == LAYER:
            n = st.trace.nodes[nid]
            return n.value, n.grad
        n = st.view.nodes[nid]
        return n.value, n.grad

    def _fmt(self, v):
        import numpy as np
        if v is None:
            return None
        a = np.asarray(v)
        if a.size == 1:
            return fmt(float(a.reshape(-1)[0]), self.digits)
        with np.errstate(all="ignore"):
            norm = float(np.sqrt(np.sum(np.square(a, dtype=float))))
        return f"{a.size} values, ‖·‖ {fmt(norm, 4)}"

    # -- selection and paths ------------------------------------------------------------------
    def _on_selection(self) -> None:
        if self._syncing:
            return
        items = self.scene().selectedItems()
        if items:
            self.nodeClicked.emit(items[0].node_id)

    def select_node(self, nid: int | None, paths: list[list[int]] | None = None) -> None:
        if nid is not None:
            self.reveal(nid)      # chosen on the canvas or in the formula: shown even in a folded layer
        self.selected = nid
        self.path_nodes = {i for p in (paths or []) for i in p}
        self.path_edges = set()
        for p in paths or []:
            # Paths run from the loss down to the node: edges go input → consumer.
            for consumer, inp in zip(p, p[1:]):
                self.path_edges.add((inp, consumer))
        self._syncing = True
        for i, item in self.items.items():
            item.setSelected(i == nid)
        self._syncing = False
        self.refresh()

    def fit(self) -> None:
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.2:
            self.resetTransform()
            self.scale(1.2, 1.2)
        elif self.transform().m11() < 0.45:
            # Unreadable when squeezed: keep text legible and let the user pan.
            self.resetTransform()
            self.scale(0.45, 0.45)

    def zoom(self, factor: float) -> None:
        self.scale(factor, factor)

    def wheelEvent(self, event):
        # The graph is panned by dragging, so the wheel is free to zoom (no Ctrl needed).
        wheel_zoom(self, event)

    # -- find and hover ---------------------------------------------------------------------------
    def names(self) -> dict[str, int]:
        """Every name a node can be found by (case-insensitive): labels, tensor names, short labels."""
        st = self.stepper
        out: dict[str, int] = {}
        if st is None:
            return out
        if st.level == LAYER:
            for n in st.trace.nodes:
                out.setdefault(n.name.lower(), n.id)
                out.setdefault(_short(n.name).lower(), n.id)
        else:
            for n in st.view.nodes:
                out.setdefault(n.label.lower(), n.id)
                out.setdefault(n.label.replace(" ", "").lower(), n.id)
        return out

    def find(self, text: str) -> int | None:
        """Go to the node named ``text`` (W2[3,1], s1[2], layers.0.weight, W1…): select and centre it."""
        key = text.strip().replace(" ", "").lower()
        if not key:
            return None
        names = self.names()
        nid = names.get(key)
        if nid is None:
            matches = sorted(n for n in names if n.startswith(key))
            nid = names[matches[0]] if matches else None
        if nid is None:
            return None
        self.reveal(nid)
        shown = next((r for r, members in self._groups.items() if nid in members), nid)
        if shown not in self.items:
            return None
        self.nodeClicked.emit(shown)
        if self.selected != shown:
            self.select_node(shown)
        self.centerOn(self.items[shown])
        return shown

    def tooltip_for(self, nid: int) -> str:
        """Hover text: name, value, gradient and the formula, as the walk has computed them so far."""
        st = self.stepper
        if st is None:
            return ""
        if self._plan is not None and nid in self._plan.groups:
            return self._plan.groups[nid].describe()
        has_value, has_grad = st.node_state(nid)
        value, grad = self._numbers(nid)
        digits = max(self.digits, 6)
        if st.level == LAYER:
            n = st.trace.nodes[nid]
            head = [n.name, f"op: {n.op}, shape {'×'.join(map(str, n.shape)) or 'scalar'}"]
        else:
            n = st.view.nodes[nid]
            head = [n.label]
        lines = list(head)
        lines.append(f"value: {self._fmt_digits(value, digits)}" if has_value else "value: not computed yet")
        if has_grad and grad is not None:
            lines.append(f"∂E/∂{head[0]}: {self._fmt_digits(grad, digits)}")
        if st.level != LAYER:
            v = st.view
            if n.inputs:
                lines.append(v.forward_text(nid, digits))
            ev = next((e for e in v.backward if e.node == nid), None)
            if ev is not None and has_grad:
                lines += v.rule_lines(ev, digits)[:6]
        else:
            from ..engine.local_rules import layer_rule
            ev = next((e for e in st.trace.backward if e.node == nid), None)
            if ev is not None:
                for t in ev.terms[:4]:
                    c = st.trace.nodes[t.consumer]
                    rule = layer_rule(c.op, c.name, t.input_index, n.name)
                    if rule:
                        lines.append(f"into {c.name}: {rule}")
        return "\n".join(lines)

    def _fmt_digits(self, v, digits):
        old, self.digits = self.digits, digits
        try:
            return self._fmt(v)
        finally:
            self.digits = old


def neuron_layout(view, folded: bool = False, plan: FoldPlan | None = None) -> tuple[dict[int, QPointF], set[int]]:
    """Neuron-level positions: layers left to right; in each, every neuron is a band with its
    weight and bias chips stacked beside its weighted sum, then its activation (and skip sum).
    A folded layer's "… N more" node takes one band where its first hidden neuron would be.
    Returns the positions and the ids drawn as compact chips."""
    nodes = view.nodes
    pos: dict[int, QPointF] = {}
    compact: set[int] = set()
    shown = plan.visible if plan is not None else (lambda nid: True)
    group_at: dict[tuple[int, int], int] = {}     # (column, first hidden unit) → group id
    for g in (plan.groups.values() if plan is not None else ()):
        group_at[(g.column, g.units[0])] = g.id
    columns: list[list[tuple[int, float, float]]] = []   # per layer block: (id, x, y) before centring
    block, r = [], 0
    for n in nodes:
        if n.kind != "input":
            continue
        gid = group_at.get((0, n.tensor[1][1]))
        if gid is not None:
            block.append((gid, 0.0, r * ROW_GAP))
            r += 1
        if shown(n.id):
            block.append((n.id, 0.0, r * ROW_GAP))
            r += 1
    columns.append(block)
    x = COL_GAP
    layers = sorted({n.layer for n in nodes if n.kind == "sum"})
    after_sum: dict[tuple, list] = {}
    for n in nodes:
        if n.kind in ("act", "residual"):
            after_sum.setdefault((n.layer, n.unit), []).append(n)
    last_x = 0.0
    for li in layers:
        sums = [n for n in nodes if n.kind == "sum" and n.layer == li]
        block, y = [], 0.0
        x_sum = x + NODE_W + CHIP_TO_SUM
        x_act = x_sum + COL_GAP
        x_res = x_act + COL_GAP
        has_res = any(n.kind == "residual" and n.layer == li for n in nodes)
        for s in sums:
            gid = group_at.get((li + 1, s.unit))
            if gid is not None:
                block.append((gid, x_sum, y))
                y += NODE_H + BAND_GAP
            if not shown(s.id):
                continue
            chips = [] if folded else [i for i in s.inputs if nodes[i].kind in ("weight", "bias") and shown(i)]
            band = max(len(chips) * CHIP_GAP, NODE_H)
            for k, c in enumerate(chips):
                block.append((c, x, y + k * CHIP_GAP))
                compact.add(c)
            mid = y + band / 2 - NODE_H / 2
            block.append((s.id, x_sum, mid))
            for n in after_sum.get((li, s.unit), ()):
                block.append((n.id, x_act if n.kind == "act" else x_res, mid))
            y += band + BAND_GAP
        columns.append(block)
        last_x = x_res if has_res else x_act
        x = last_x + COL_GAP
    # The loss, its targets (below the outputs), penalties and the total.
    tail, y = [], 0.0
    targets = [n.id for n in nodes if n.kind == "target" and shown(n.id)]
    loss = [n.id for n in nodes if n.kind == "loss"]
    pens = [n.id for n in nodes if n.kind == "penalty"]
    total = [n.id for n in nodes if n.kind == "total"]
    out_block = columns[-1]
    out_bottom = max((yy for _, _, yy in out_block), default=0.0) + ROW_GAP
    for r, t in enumerate(targets):
        out_block.append((t, last_x, out_bottom + r * ROW_GAP))
    for r, nid in enumerate(loss + pens):
        tail.append((nid, x, r * ROW_GAP))
    for nid in total:
        tail.append((nid, x + COL_GAP, 0.0))
    columns.append(tail)
    tallest = max((max(yy for _, _, yy in b) + NODE_H for b in columns if b), default=NODE_H)
    for block in columns:
        if not block:
            continue
        height = max(yy for _, _, yy in block) + NODE_H
        dy = (tallest - height) / 2
        for nid, xx, yy in block:
            pos[nid] = QPointF(xx, yy + dy)
    # Anything not placed above (a kind added later) goes in a column of its own, at the end.
    extra = [n.id for n in nodes if n.id not in pos and shown(n.id)
             and not (folded and n.kind in ("weight", "bias"))]
    for r, nid in enumerate(extra):
        pos[nid] = QPointF(x + 2 * COL_GAP, r * ROW_GAP)
    return pos, compact


def fold_name(name: str) -> str:
    """layers.0.t3.act → layers.0.act, X.t3 → X: the name of an op across time steps."""
    return re.sub(r"\.t\d+(?=\.|$)", "", name)


def _magnitude(g) -> float:
    import numpy as np
    a = np.asarray(g, dtype=float)
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.mean(a * a))) if a.size else 0.0


def _short(name: str) -> str:
    """layers.0.weight → W1, layers.0.act → act1: compact labels for the layer view."""
    parts = name.split(".")
    if len(parts) == 4 and parts[0] == "layers" and parts[2][:1] == "t" and parts[2][1:].isdigit():
        i, t, op = int(parts[1]) + 1, parts[2][1:], parts[3]
        return {"xw": f"x·Wx{i}", "hw": f"h·Wh{i}", "xw+hw": f"x·Wx+h·Wh{i}", "sum": f"z{i}",
                "act": f"h{i}", "matmul": f"a·W{i}", "h_in": f"h{i} (cut)"}.get(op, op) + f" @t{t}"
    if len(parts) == 2 and parts[1][:1] == "t" and parts[1][1:].isdigit():
        return {"X": "X", "T": "T", "loss": "E"}.get(parts[0], parts[0]) + f" @t{parts[1][1:]}"
    if len(parts) == 3 and parts[0] == "layers":
        i = int(parts[1]) + 1
        return {"weight": f"W{i}", "bias": f"b{i}", "gamma": f"γ{i}", "beta": f"β{i}",
                "matmul": f"X·W{i}" if i == 1 else f"a{i - 1}·W{i}", "sum": f"z{i}",
                "act": f"a{i}", "norm": f"norm{i}", "dropout": f"drop{i}",
                "residual": f"a{i}+skip", "weight_input": f"Wx{i}", "weight_hidden": f"Wh{i}",
                "xw": f"x·Wx{i}", "hw": f"h·Wh{i}", "xw+hw": f"x·Wx+h·Wh{i}", "h0": f"h{i} @t0",
                "h_in": f"h{i} (cut)"}.get(parts[2], name)
    return {"loss.data": "E", "loss": "E total", "loss.l1": "L1", "loss.l2": "L2"}.get(name, name)
