"""The computational graph of the traced sample, laid out left to right.

Nodes show their op and, once the walk has reached them, their value and
(during the backward pass) their gradient; the fill encodes |gradient| on a
log scale, so vanishing gradients fade toward the inputs.

A long unrolled walk has thousands of nodes. Its layout (Qt-free,
:mod:`backprop_viz.session.graph_layout`) is worked out in one slice from the event loop and
taken up in the next, not in the same go as the trace that asked for it; the items are then
made, and brought up to date after a step, at most :data:`SLICE_MS` at a time, what is on
screen first, while a note says how far the build is. The node the walk is on, or that was
found, is made at once; an export first finishes the build (:meth:`GraphView.complete`).
A graph of up to :data:`AT_ONCE` nodes is built at once.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QLineF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLabel

from ..engine.formatting import fmt
from ..session.graph_layout import (CHIP_TO_SUM, NODE_H, NODE_W, GraphLayout, layout_graph,  # noqa: F401
                                    short_name as _short)
from ..session.stepper import LAYER, Stepper
from ..session.graph_folding import column_widths, folded, needed_units
from . import theme
from .graph_items import EdgeChunkItem, GraphNodeItem, GroupNodeItem
from .zoom import wheel_zoom

SLICE_MS = 40           # the most item work done on the GUI thread in one go, in milliseconds
AT_ONCE = 400           # a graph of up to this many nodes is built and updated at once (no note, no wait)
EDGES_PER_ITEM = 256    # edges drawn by one scene item


class GraphView(QGraphicsView):
    nodeClicked = Signal(int)
    buildFinished = Signal()        # every node of the current graph has its item

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
        self.layout_: GraphLayout | None = None
        self.items: dict[int, GraphNodeItem] = {}      # the nodes made so far
        self.edges: list[tuple[int, int, QLineF]] = []   # every edge of the layout
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
        self._plan = None
        self._level = None
        self._syncing = False
        self._layout_due = False        # a big graph is laid out in the first slice of its build
        self._fit_due = False
        self._fresh_layout: GraphLayout | None = None     # worked out by a slice, not yet taken up
        self._slice_began: float | None = None
        self._state_cache: dict | None = None
        self._current: int | None = None     # the traced node the walk is on
        self._palette: tuple | None = None
        self._unbuilt: dict[int, None] = {}     # laid-out nodes without an item yet, in layout order
        self._stale: dict[int, None] = {}       # made nodes that show an older state of the walk
        self._edges_at: dict[int, list[int]] = {}   # node → indices of its edges
        self._new_edges: list[int] = []         # edges whose two ends now exist, not drawn yet
        self._chunks: list[EdgeChunkItem] = []
        self._drawn_path: set[tuple[int, int]] = set()
        self._slicer = QTimer(self)
        self._slicer.setSingleShot(True)
        self._slicer.setInterval(0)
        self._slicer.timeout.connect(self._next_slice)
        self.note = QLabel(self.viewport())
        self.note.setObjectName("graphBuildNote")
        base = theme.base_color()
        self.note.setStyleSheet(f"QLabel#graphBuildNote {{ background: rgba({base.red()},{base.green()},"
                                f"{base.blue()},230); border: 1px solid rgba(128,128,128,150); padding: 3px; }}")
        self.note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.note.hide()
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
        self._rebuild(fit=not keep_view)

    @staticmethod
    def _nodes_of(stepper: Stepper):
        return stepper.trace.nodes if stepper.level == LAYER else stepper.view.nodes

    @property
    def building(self) -> bool:
        """The graph is not laid out yet, or some of its nodes have no item yet."""
        return self._layout_due or bool(self._unbuilt)

    @property
    def up_to_date(self) -> bool:
        """Every node has its item, showing the walk as it is now."""
        return not self.building and not self._stale

    def _rebuild(self, fit: bool = False) -> None:
        """Lay the graph out anew and start making its items (what a slice in progress had
        made is thrown away with the old scene). A big graph is laid out in the first slice,
        not in the same go as the walk's trace that asked for it."""
        self._state_cache = None
        self._syncing = True
        self._slicer.stop()
        self.scene().clear()
        self.items.clear()
        self._chunks.clear()
        self._unbuilt, self._stale, self._new_edges = {}, {}, []
        self._drawn_path = set()
        self.layout_, self._plan, self.edges, self._edges_at = None, None, [], {}
        self.scene().setSceneRect(QRectF())
        self._syncing = False
        self._layout_due = self.stepper is not None
        self._fresh_layout = None
        self._fit_due = fit
        if self.stepper is None:
            self._groups = {}
            self._show_note()
            return
        self._level = self.stepper.level
        if len(self._nodes_of(self.stepper)) <= AT_ONCE:
            self._lay_out()
        else:
            self._show_note()
            self._slicer.start()

    def _layout(self) -> GraphLayout:
        return layout_graph(self.stepper, fold_time=self.fold_time, fold_weights=self.fold_weights,
                            fold_wide=self.fold_wide, expanded=self.expanded, shown=self.pinned | self._walk_reveal)

    def _lay_out(self) -> None:
        """The layout (worked out now if no slice did yet) becomes the graph's; items follow."""
        lay = self.layout_ = self._fresh_layout or self._layout()
        self._layout_due, self._fresh_layout = False, None
        self._plan, self._groups = lay.plan, lay.groups
        self.edges = [(a, b, QLineF(*lay.edge_line(a, b))) for a, b in lay.edges]
        for i, (a, b) in enumerate(lay.edges):
            self._edges_at.setdefault(a, []).append(i)
            self._edges_at.setdefault(b, []).append(i)
        self._unbuilt = dict.fromkeys(lay.nodes)
        self.scene().setSceneRect(QRectF(*lay.rect()))
        if self._fit_due:
            self._fit_due = False
            self.fit()
        self.refresh()

    def _ensure_layout(self) -> None:
        if self._layout_due:
            self._lay_out()

    def _make(self, nid: int) -> GraphNodeItem:
        """The item of laid-out node ``nid``, in the scene and showing the walk's state."""
        node = self.layout_.nodes[nid]
        if node.group:
            item = GroupNodeItem(self._plan.groups[nid])
        else:
            item = GraphNodeItem(nid, node.title, node.sub, compact=node.compact)
            item.setToolTip(node.tip)
        item.setPos(node.x, node.y)
        self._syncing = True
        self.scene().addItem(item)
        item.setSelected(nid == self.selected)
        self._syncing = False
        self.items[nid] = item
        del self._unbuilt[nid]
        for e in self._edges_at.get(nid, ()):
            a, b, _ = self.edges[e]
            if (a if b == nid else b) in self.items:
                self._new_edges.append(e)
        self._show(nid, item)
        return item

    def item_for(self, nid: int) -> GraphNodeItem | None:
        """The item of drawn node ``nid``, made now if the build has not reached it."""
        self._ensure_layout()
        item = self.items.get(nid)
        if item is None and nid in self._unbuilt:
            item = self._make(nid)
            self._flush_edges()
            self._show_note()
        elif item is not None and nid in self._stale:
            self._show(nid, item)
        return item

    def complete(self) -> None:
        """Make every item and bring every one up to date now (before an export)."""
        self._ensure_layout()
        if self.layout_ is not None:
            self._work(None)
        self._slicer.stop()

    def _split_visible(self, ids) -> tuple[list[int], list[int]]:
        """``ids`` on screen, and the others."""
        rect = self.mapToScene(self.viewport().rect()).boundingRect()
        left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
        nodes = self.layout_.nodes
        seen, rest = [], []
        for nid in ids:
            n = nodes[nid]
            on = n.x <= right and n.x + NODE_W >= left and n.y <= bottom and n.y + n.height >= top
            (seen if on else rest).append(nid)
        return seen, rest

    def _work(self, seconds: float | None) -> None:
        """Make missing items and update stale ones, what is on screen first, for at most
        ``seconds`` (None: all of it); the rest in the next slices."""
        building = bool(self._unbuilt)
        # Inside a slice, what the slice did before (taking up the layout) counts too.
        deadline = None if seconds is None else (self._slice_began or time.perf_counter()) + seconds
        stale_seen, stale_rest = self._split_visible(self._stale)
        new_seen, new_rest = self._split_visible(self._unbuilt)
        done = 0
        for stale, ids in ((True, stale_seen), (False, new_seen), (True, stale_rest), (False, new_rest)):
            for nid in ids:
                if deadline is not None and done and time.perf_counter() > deadline:
                    break
                if stale:
                    self._show(nid, self.items[nid])
                else:
                    self._make(nid)
                done += 1
        self._flush_edges()
        self._show_note()
        if self._unbuilt or self._stale:
            self._slicer.start()
        else:
            self._slicer.stop()
        if building and not self._unbuilt:
            self.buildFinished.emit()

    def _next_slice(self) -> None:
        self._slice_began = time.perf_counter()
        try:
            self._slice()
        finally:
            self._slice_began = None

    def _slice(self) -> None:
        if self._layout_due and self._fresh_layout is None:
            self._fresh_layout = self._layout()     # taken up in the next slice: two shorter blocks
            self._slicer.start()
        elif self._layout_due:
            self._lay_out()     # the items follow in the next slices
        else:
            self._work(SLICE_MS / 1000)

    def _flush_edges(self) -> None:
        """Draw the edges whose two ends now exist, a chunk of them to an item."""
        new, self._new_edges = self._new_edges, []
        for i in range(0, len(new), EDGES_PER_ITEM):
            chunk = EdgeChunkItem([self.edges[e] for e in new[i:i + EDGES_PER_ITEM]])
            chunk.set_path(self._drawn_path)
            self.scene().addItem(chunk)
            self._chunks.append(chunk)

    def _show_note(self) -> None:
        if self._layout_due:
            total = len(self._nodes_of(self.stepper))
            self.note.setText(f"Building graph… laying out {total:,} nodes")
        elif self._unbuilt:
            total = len(self.layout_.nodes)
            self.note.setText(f"Building graph… {total - len(self._unbuilt):,} of {total:,} nodes")
        else:
            self.note.hide()
            return
        self.note.adjustSize()
        self._place_note()
        self.note.show()

    def _place_note(self) -> None:
        # Bottom right: the legend (View › Show legends) takes the top left.
        vp = self.viewport()
        self.note.move(max(vp.width() - self.note.width() - 6, 0), max(vp.height() - self.note.height() - 6, 0))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._place_note()

    # -- state ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Follow the walk: the node it is on at once, what is on screen next, the rest in slices."""
        st = self.stepper
        if st is None:
            return
        if st.level != self._level:
            self._rebuild()
            return
        if self._layout_due:
            return      # laid out in the next slice, which then refreshes
        current = st.current.node if st.current else None
        if self._reveal_for(current):
            return
        self._current = current
        # A long unrolled walk has thousands of nodes: redraw only those whose state changed.
        cache = self._cache()
        self._palette = (theme.base_color(), theme.text_color(), theme.muted_color())
        marks = []     # ring, selection or path changed: drawn now, wherever they are
        for nid in self.items:
            key, old = self._key(nid), cache.get(nid)
            if old != key:
                self._stale[nid] = None
                if old is None or key[0] != "group" and old[3:] != key[3:]:
                    marks.append(nid)
        for nid in marks:
            self._show(nid, self.items[nid])
        rep = self._plan.rep if self._plan is not None else {}
        drawn = {(rep.get(a, a), rep.get(b, b)) for a, b in self.path_edges}
        if drawn != self._drawn_path:
            self._drawn_path = drawn
            for chunk in self._chunks:
                chunk.set_path(drawn)
        shown_current = self.layout_.shown_for(current) if current is not None else None
        item = self.item_for(shown_current) if shown_current is not None else None
        if item is not None:
            self.ensureVisible(item, 40, 40)
        self._work(None if len(self.layout_.nodes) <= AT_ONCE else SLICE_MS / 1000)

    def _cache(self) -> dict:
        """What each made node shows, as of the walk, digits and folding it was drawn for."""
        st = self.stepper
        cache = self._state_cache
        if cache is None or cache.get("_for") != (id(st), st.level, self.digits, self.fold_weights):
            cache = self._state_cache = {"_for": (id(st), st.level, self.digits, self.fold_weights)}
        return cache

    def _key(self, nid: int) -> tuple:
        """What node ``nid`` shows now, to tell whether its item must be redrawn."""
        st = self.stepper
        if self._plan is not None and nid in self._plan.groups:
            states = [st.node_state(m) for m in self._plan.groups[nid].members]
            grads = sum(1 for m, (_, g) in zip(self._plan.groups[nid].members, states)
                        if g and st.view.nodes[m].grad is not None)
            return ("group", sum(v for v, _ in states), grads)
        current = self._current
        members = self._groups.get(nid, [nid])
        if st.level != LAYER or len(members) == 1:
            # A neuron shows its own sum, not the weights folded into it.
            has_value, has_grad = st.node_state(nid)
            return (nid, has_value, has_grad, current in members, nid == self.selected, nid in self.path_nodes)
        states = [(m, *st.node_state(m)) for m in members]
        # A folded node shows its latest computed time step.
        shown = max((m for m, v, _ in states if v), default=members[0])
        has_value = any(v for _, v, _ in states)
        has_grad = any(g for _, _, g in states)
        if has_grad:
            shown = min(m for m, _, g in states if g)    # backward runs back through time
        return (shown, has_value, has_grad, current in members, nid == self.selected, nid in self.path_nodes)

    def _show(self, nid: int, item: GraphNodeItem) -> None:
        """Draw node ``nid`` as the walk has it now."""
        key = self._key(nid)
        self._cache()[nid] = key
        self._stale.pop(nid, None)
        if key[0] == "group":
            st = self.stepper
            members = item.group.members
            grads = [abs(st.view.nodes[m].grad) for m in members
                     if st.node_state(m)[1] and st.view.nodes[m].grad is not None]
            item.show_counts(key[1], len(members), max(grads) if grads else None)
            return
        shown, has_value, has_grad, current, selected, on_path = key
        value, grad = self._numbers(shown)
        mag = _magnitude(grad) if has_grad and grad is not None else None
        item.show_state(self._fmt(value) if has_value else None,
                        self._fmt(grad) if has_grad and grad is not None else None,
                        mag, current, selected, on_path, self._palette)

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
        self._ensure_layout()
        if self._plan is None or nid not in self._plan.hidden or self.stepper is None:
            return
        self.pinned |= needed_units(self.stepper.view, nid)
        self._rebuild()

    def expand_column(self, column: int) -> None:
        """Open a folded layer (a click on its "… N more" node)."""
        self.expanded.add(column)
        self._rebuild()

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
        self._ensure_layout()     # the whole graph's extent, even before its items are made
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
        self._ensure_layout()
        self.reveal(nid)
        shown = self.layout_.shown_for(nid)
        item = self.item_for(shown)       # made now if the build has not reached it yet
        if item is None:
            return None
        self.nodeClicked.emit(shown)
        if self.selected != shown:
            self.select_node(shown)
        self.centerOn(item)
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


def _magnitude(g) -> float:
    import numpy as np
    a = np.asarray(g, dtype=float)
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.mean(a * a))) if a.size else 0.0


