"""The network drawing: inputs left, layers left to right, outputs right.

Each neuron is a circle, each weight a line coloured by sign (blue +,
orange −) and as wide as its magnitude; each layer's biases are the weights
from a dashed "+1" node. Layers wider than ``COLLAPSE_ABOVE`` show their
first and last neurons around an ellipsis, with faint edges.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView, QMenu

from ..engine.activations import NAMES as ACTIVATIONS
from ..engine.formatting import fmt
from . import theme
from .zoom import ctrl_wheel_zoom
from .canvas_items import (BiasItem, ButtonItem, EdgeItem, EllipsisItem, HeaderItem, LazyTip, LoopItem, NeuronItem)
from ..engine.naming import labelled
from ..session.edits import weight_key
from .document import Document
from .editor import Editor

# The drawing's geometry is plain arithmetic, kept (and tested) without Qt.
from ..session.layout_geometry import (COLLAPSE_ABOVE, COLUMN_GAP, MIN_COLUMN_GAP, ROW_GAP,  # noqa: F401,E402
                                       SHOW_EACH_SIDE, column_gap, neuron_positions,
                                       place_labels, visible_units)
LABEL_EDGES_UP_TO = 6


class NetworkCanvas(QGraphicsView):
    zoomChanged = Signal(float)
    rebuilt = Signal()          # the scene was cleared and drawn again (overlays redraw)

    def __init__(self, doc: Document, editor: Editor, parent=None):
        super().__init__(parent)
        self.doc, self.editor = doc, editor
        self.setObjectName("networkCanvas")
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.neurons: dict[tuple, NeuronItem] = {}
        self.edges: dict[tuple, EdgeItem] = {}
        self.headers: dict[tuple, HeaderItem] = {}
        self.buttons: dict[str, ButtonItem] = {}
        self._positions: dict[tuple, QPointF] = {}
        self._fitted = False
        self._anchor = None          # (button name, its view position) while its action runs
        # Antialiasing costs most of a frame with hundreds of edges: it is off
        # while the view moves or the weights animate, and back on at rest.
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(200)
        self._settle.timeout.connect(self._crisp)
        doc.projectChanged.connect(lambda: self.doc.changed("network", "data") and self.rebuild())
        doc.selectionChanged.connect(self._show_selection)
        self.rebuild()

    # -- building the scene ------------------------------------------------------------
    def rebuild(self) -> None:
        scene = self.scene()
        scene.clear()
        self.neurons.clear()
        self.edges.clear()
        self.headers.clear()
        self.buttons.clear()
        self._positions.clear()
        self._labels = []           # (value, candidate places) placed together once all are known
        spec = self.doc.project.network_spec
        sizes = [spec["inputs"]] + [layer["units"] for layer in spec["layers"]]
        n_cols = len(sizes)
        self.gap = gap = column_gap(n_cols)
        tip = self._tip
        weights = [np.asarray(layer[weight_key(layer)], dtype=float) for layer in spec["layers"]]
        biases = [np.asarray(layer.get("bias") or [], dtype=float) for layer in spec["layers"]]
        scale = self._weight_scale(weights, biases)
        tallest = max(len(visible_units(n)) for n in sizes)
        top = -(tallest - 1) * ROW_GAP / 2
        small = sum(len(visible_units(a)) * len(visible_units(b)) for a, b in zip(sizes, sizes[1:])) \
            <= LABEL_EDGES_UP_TO

        columns = []
        places = neuron_positions(sizes)
        for c, n in enumerate(sizes):
            x = c * gap
            col = []
            for (cc, unit, r), (_, y) in places.items():
                if cc != c:
                    continue
                if unit is None:
                    scene.addItem(EllipsisItem(n - 2 * SHOW_EACH_SIDE, x, y))
                    continue
                label = f"X{unit + 1}" if c == 0 and n <= 99 else ""
                item = NeuronItem(c, unit, x, y, label)
                if c > 0 and spec["layers"][c - 1].get("type") == "recurrent":
                    loop = LoopItem(item)
                    loop.setToolTip("Recurrent: each unit's output feeds every unit of this layer at the "
                                    "next time step (the weights W_h)")
                item.set_tip_source(tip(self._neuron_tip, c, unit))
                scene.addItem(item)
                self.neurons[("neuron", c, unit)] = item
                col.append((unit, QPointF(x, y)))
            columns.append(col)
            self._header(c, n, x, top - 62)

        for i, layer in enumerate(spec["layers"]):
            faint = sizes[i] > COLLAPSE_ABOVE or sizes[i + 1] > COLLAPSE_ABOVE
            W = weights[i]
            for k, p1 in columns[i]:
                for j, p2 in columns[i + 1]:
                    w = float(W[k, j])
                    key = ("edge", i, k, j)
                    edge = EdgeItem(key, p1.x() + 15, p1.y(), p2.x() - 15, p2.y(), w,
                                    self._width(w, scale), faint)
                    edge.set_tip_source(tip(self._weight_tip, i, k, j, w))
                    scene.addItem(edge)
                    self.edges[key] = edge
                    if small:
                        self._edge_label(p1, p2, w, 0.3)
            if layer.get("use_bias", True) and len(biases[i]):
                bx, by = i * gap, top - ROW_GAP
                scene.addItem(BiasItem(i, bx, by))
                for j, p2 in columns[i + 1]:
                    b = float(biases[i][j])
                    key = ("bias", i, j)
                    edge = EdgeItem(key, bx + 13, by, p2.x() - 15, p2.y(), b, self._width(b, scale), faint)
                    edge.set_tip_source(tip(self._bias_tip, i, j, b))
                    edge.setOpacity(0.75)
                    scene.addItem(edge)
                    self.edges[key] = edge
                    if small:
                        self._edge_label(QPointF(bx, by), p2, b, 0.55)
        self._place_labels()
        self._buttons(sizes, top)
        bottom = max(len(visible_units(n)) for n in sizes) * ROW_GAP / 2
        self._content = QRectF(-90, top - 130, (n_cols - 1) * gap + 180, bottom - top + 210)
        scene.setSceneRect(self._content)
        self._show_selection(self.doc.selection)
        if self._anchor is not None:
            self._keep_button_under_mouse()
        elif not self._fitted:
            self.fit()
        self.rebuilt.emit()

    def _header(self, c: int, n: int, x: float, y: float) -> None:
        spec = self.doc.project.network_spec
        if c == 0:
            text = f"Inputs\n{n}"
        else:
            layer = spec["layers"][c - 1]
            act = layer["activation"] if isinstance(layer["activation"], str) else layer["activation"]["name"]
            recurrent = layer.get("type") == "recurrent"
            name = "Output" if c == len(spec["layers"]) else f"{'Recurrent' if recurrent else 'Hidden'} {c}"
            extras = []
            if layer.get("norm"):
                extras.append(f"{layer['norm']} norm")
            if layer.get("residual"):
                extras.append("+ skip")
            if layer.get("dropout"):
                extras.append(f"dropout {layer['dropout']:g}")
            if recurrent:
                extras.append("↻ over time" + (" → last" if layer.get("readout") == "last" else ""))
            # Two short lines rather than one long one: deep networks have narrow columns.
            text = f"{name}\n{act} · {n}" + ("".join(f"\n{e}" for e in extras) if extras else "")
        item = HeaderItem(c, text, x, y)
        self.scene().addItem(item)
        self.headers[("layer", c)] = item

    def _buttons(self, sizes, top) -> None:
        scene = self.scene()
        n_layers = len(sizes) - 1
        bottom = max(len(visible_units(n)) for n in sizes) * ROW_GAP / 2 + 10
        for c, n in enumerate(sizes):
            x = c * self.gap
            i = c - 1
            plus = ButtonItem("+", "Add a neuron to this layer",
                              self._anchored(f"add_neuron_{c}", lambda i=i: self.editor.add_neuron(i)),
                              x - 16, bottom + 12, f"add_neuron_{c}")
            minus = ButtonItem("−", "Remove this layer's last neuron",
                               self._anchored(f"remove_neuron_{c}",
                                              lambda i=i, n=n: self.editor.remove_neuron(i, n - 1)),
                               x + 16, bottom + 12, f"remove_neuron_{c}")
            for b in (plus, minus):
                scene.addItem(b)
                self.buttons[b.name] = b
            if c < n_layers:
                ins = ButtonItem("+ layer", "Insert a hidden layer here",
                                 lambda c=c: self.editor.insert_layer(c), x + self.gap / 2, bottom + 12,
                                 f"insert_layer_{c}")
                scene.addItem(ins)
                self.buttons[ins.name] = ins

    def _edge_label(self, p1: QPointF, p2: QPointF, value: float, t: float) -> None:
        """A weight's value along its line; where exactly is decided with all the others."""
        item = QGraphicsSimpleTextItem(fmt(value, 4))
        br = item.boundingRect()
        places = []
        for tt in (t, t + 0.15, t - 0.12, t + 0.3, t - 0.2, t + 0.42):
            if not 0.08 <= tt <= 0.92:
                continue
            x = p1.x() + (p2.x() - p1.x()) * tt
            y = p1.y() + (p2.y() - p1.y()) * tt
            for dy in (-br.height() - 2, 2):
                places.append((x - br.width() / 2, y + dy, br.width(), br.height()))
        self._labels.append((item, value, places))

    def _place_labels(self) -> None:
        """Weight labels never overlap each other, a neuron or a layer title."""
        obstacles = []
        for item in list(self.neurons.values()) + list(self.headers.values()):
            r = item.sceneBoundingRect()
            obstacles.append((r.x(), r.y(), r.width(), r.height()))
        chosen = place_labels([places for _, _, places in self._labels], obstacles, pad=2)
        for (item, value, places), i in zip(self._labels, chosen):
            if i is None:
                continue
            x, y, _, _ = places[i]
            item.setBrush(theme.sign_color(value))
            item.setPos(x, y)
            item.setZValue(1)
            self.scene().addItem(item)
        self._labels = []

    @staticmethod
    def _weight_scale(weights, biases) -> float:
        values = np.concatenate([np.abs(w).ravel() for w in weights] + [np.abs(b) for b in biases])
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return 1.0
        return _percentile_95(finite) or 1.0

    @staticmethod
    def _width(value: float, scale: float) -> float:
        if not np.isfinite(value):
            return 4.0
        return 0.6 + 4.4 * min(abs(value) / scale, 1.0)

    # -- tooltips --------------------------------------------------------------------
    def _tip(self, write, *args):
        """The text of an item's tooltip, made when first read (the sample's trace with it)."""
        return lambda: write(*args, self.doc.sample_trace())

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            item = self.itemAt(event.pos())
            while item is not None and not isinstance(item, LazyTip):
                item = item.parentItem()
            if item is not None:
                item.write_tip()
        return super().viewportEvent(event)

    def _neuron_tip(self, c, unit, tr) -> str:
        spec = self.doc.project.network_spec
        if c == 0:
            lines = [f"Input X{unit + 1}"]
            if tr is not None:
                lines.append(input_text(tr.X, unit))
            return "\n".join(lines)
        i = c - 1
        layer = spec["layers"][i]
        lines = [f"Layer {c}, neuron {unit + 1}" + (" (recurrent)" if layer.get("type") == "recurrent" else "")]
        if layer.get("bias") is not None:
            lines.append(f"bias {fmt(layer['bias'][unit])}")
        if tr is not None:
            out = tr.layer_node(i, "act")
            lines.append(f"activation {fmt(out.value[0, unit])} (first sample)")
            g = tr.layer_node(i, "sum", "matmul", "xw+hw").grad
            if g is not None:
                lines.append(f"∂E/∂s {fmt(g[0, unit])}")
        return "\n".join(lines)

    def _weight_tip(self, i, k, j, w, tr) -> str:
        spec = self.doc.project.network_spec
        name = f"layers.{i}.{weight_key(spec['layers'][i])}"
        lines = [f"Weight {labelled(spec, name, (k, j))} = {fmt(w)}",
                 f"from {'input' if i == 0 else 'layer ' + str(i)} unit {k + 1} to layer {i + 1} unit {j + 1}"]
        if tr is not None:
            lines.append(f"∂E/∂w {fmt(tr.gradient(name)[k, j])} (first sample)")
        return "\n".join(lines)

    def _bias_tip(self, i, j, b, tr) -> str:
        lines = [f"Bias {labelled(self.doc.project.network_spec, f'layers.{i}.bias', (j,))} = {fmt(b)}"]
        if tr is not None and f"layers.{i}.bias" in tr.by_name:
            lines.append(f"∂E/∂b {fmt(tr.gradient(f'layers.{i}.bias')[j])} (first sample)")
        return "\n".join(lines)

    # -- live weights ------------------------------------------------------------------
    def show_weights(self, params: dict) -> None:
        """Follow weights during training without rebuilding the scene."""
        weights = [params[k] for k in sorted((k for k in params if k.endswith((".weight", ".weight_input"))),
                                             key=lambda s: int(s.split(".")[1]))]
        biases = {int(k.split(".")[1]): v for k, v in params.items() if k.endswith(".bias")}
        scale = self._weight_scale(weights, list(biases.values()))
        pos, neg = theme.sign_color(1.0), theme.sign_color(-1.0)
        self._moving()
        for key, edge in self.edges.items():
            if key[0] == "edge":
                _, i, k, j = key
                value = float(weights[i][k, j])
            else:
                _, i, j = key
                value = float(biases[i][j])
            width = self._width(value, scale)
            if (value >= 0) == (edge.value >= 0) and abs(width - edge.base_width) < 0.05:
                edge.value = value
                continue   # no visible change: skip the repaint
            edge.value = value
            edge.base_width = width
            edge.set_highlight(self.doc.selection == key, pos, neg)

    # -- selection -------------------------------------------------------------------------
    def key_at(self, pos) -> tuple | None:
        """What a click at view position ``pos`` selects: a neuron or layer title
        under it, else the nearest weight within a few pixels."""
        for item in self.items(pos):
            while item is not None and not hasattr(item, "key") and not isinstance(item, ButtonItem):
                item = item.parentItem()
            if isinstance(item, ButtonItem):
                return "button"
            if item is not None and item.key[0] in ("neuron", "layer"):
                return item.key
        area = QRect(pos.x() - 4, pos.y() - 4, 9, 9)
        p = self.mapToScene(pos)
        best, best_d = None, None
        for item in self.items(area):
            if isinstance(item, EdgeItem):
                line = item.line()
                d = _distance_to_segment(p, line.p1(), line.p2())
                if best_d is None or d < best_d:
                    best, best_d = item.key, d
        return best

    def mousePressEvent(self, event):
        if event.button() == Qt.MouseButton.LeftButton:
            key = self.key_at(event.position().toPoint())
            if key not in (None, "button"):
                self.doc.select(key)
                event.accept()
                return
            if key is None:
                self.doc.select(None)
        super().mousePressEvent(event)

    def _show_selection(self, key) -> None:
        for collection in (self.neurons, self.edges, self.headers):
            for k, item in collection.items():
                on = k == key
                if on or getattr(item, "_lit", False):
                    item.set_highlight(on)
                    item._lit = on

    # -- keys, menus, zoom ------------------------------------------------------------------
    def keyPressEvent(self, event):
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def delete_selection(self) -> bool:
        key = self.doc.selection
        if not key:
            return False
        if key[0] == "neuron":
            return self.editor.remove_neuron(key[1] - 1, key[2])
        if key[0] == "layer" and key[1] > 0:
            return self.editor.remove_layer(key[1] - 1)
        return False

    def contextMenuEvent(self, event):
        item = self.itemAt(event.pos())
        while item is not None and not hasattr(item, "key"):
            item = item.parentItem()
        key = getattr(item, "key", None)
        menu = self.context_menu(key)
        if menu is not None:
            menu.exec(event.globalPos())

    def context_menu(self, key) -> QMenu | None:
        if not key or key[0] not in ("neuron", "layer"):
            return None
        c = key[1]
        i = c - 1
        n_layers = len(self.doc.project.network_spec["layers"])
        menu = QMenu(self)
        menu.addAction("Add neuron", lambda: self.editor.add_neuron(i))
        if key[0] == "neuron":
            menu.addAction("Remove this neuron", lambda: self.editor.remove_neuron(i, key[2]))
        menu.addSeparator()
        if c < n_layers:
            menu.addAction("Insert layer after", lambda: self.editor.insert_layer(c))
        if c > 0:
            menu.addAction("Insert layer before", lambda: self.editor.insert_layer(c - 1))
        if 0 < c < n_layers:
            menu.addAction("Remove layer", lambda: self.editor.remove_layer(i))
        if c > 0:
            sub = QMenu("Activation", menu)
            menu.addMenu(sub)
            for name in ACTIVATIONS:
                if name == "softmax" and c != n_layers:
                    continue
                act = QAction(name, sub)
                act.triggered.connect(lambda _=False, name=name: self.editor.set_layer_option(i, "activation", name))
                sub.addAction(act)
        return menu

    def wheelEvent(self, event):
        if not ctrl_wheel_zoom(self, event):
            super().wheelEvent(event)

    def _moving(self) -> None:
        if self.renderHints() & QPainter.RenderHint.Antialiasing:
            self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._settle.start()

    def _crisp(self) -> None:
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.viewport().update()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self._moving()
        super().scrollContentsBy(dx, dy)

    def _anchored(self, name: str, action):
        """A button's action, after which the button is back under the mouse (the network grew or
        shrank around it), so that clicking again does the same thing again."""
        def run():
            button = self.buttons.get(name)
            if button is not None:
                self._anchor = (name, self.mapFromScene(button.scenePos()))
                self._fitted = True       # keep the zoom the user is working at
            try:
                action()
            finally:
                self._anchor = None
        return run

    def _keep_button_under_mouse(self) -> None:
        name, view_pos = self._anchor
        button = self.buttons.get(name)
        if button is None:
            return
        # Room around the drawing, so the view can scroll wherever the button must be.
        vis = self.mapToScene(self.viewport().rect()).boundingRect()
        self.scene().setSceneRect(self._content.adjusted(-vis.width(), -vis.height(), vis.width(), vis.height()))
        now = self.mapFromScene(button.scenePos())
        dx, dy = now.x() - view_pos.x(), now.y() - view_pos.y()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def zoom(self, factor: float) -> None:
        self._moving()
        current = self.transform().m11()
        factor = min(max(current * factor, 0.05), 8.0) / current
        self.scale(factor, factor)
        self._fitted = True
        self.zoomChanged.emit(self.transform().m11())

    def fit(self) -> None:
        content = getattr(self, "_content", None) or self.scene().sceneRect()
        self.scene().setSceneRect(content)
        self.fitInView(content, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.6:
            self.resetTransform()
            self.scale(1.6, 1.6)
        self.zoomChanged.emit(self.transform().m11())

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if not self._fitted:
            self.fit()



def _distance_to_segment(p: QPointF, a: QPointF, b: QPointF) -> float:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length2))
    cx, cy = a.x() + t * dx, a.y() + t * dy
    return ((p.x() - cx) ** 2 + (p.y() - cy) ** 2) ** 0.5


def input_text(X, unit: int) -> str:
    """An input's value in the first sample; for a sequence, its values over time."""
    if X.ndim == 3:
        values = X[0, :, unit]
        shown = ", ".join(fmt(v, 4) for v in values[:8]) + (", …" if len(values) > 8 else "")
        return f"values over {len(values)} time steps: {shown} (first sample)"
    return f"value {fmt(X[0, unit])} (first sample)"


def _percentile_95(values: np.ndarray) -> float:
    """``np.percentile(values, 95)``, the same number: sorted values interpolated as NumPy's
    default method does. NumPy's own imports ``numpy.ma`` at its first call, 30 ms of start-up."""
    s = np.sort(values)
    pos = 0.95 * (s.size - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, s.size - 1)
    t = pos - lo
    a, b = float(s[lo]), float(s[hi])
    # NumPy's lerp: from the nearer end, so the result stays within [a, b].
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t
