"""Small heatmaps in the neurons: what each hidden neuron (and the output) has learned.

Only for networks whose data lies in a plane (two inputs). Each map is the
neuron's activation over the data's bounding box, blue above its neutral
value and orange below (0.5 for sigmoid, 0 otherwise), strongest at the
largest departure. While training runs the maps follow the snapshots' weights
at most ``MAX_RATE_HZ`` times a second: the forward pass over the grid is
cheap, but repainting many pixmaps at 60 Hz would not be.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QBrush, QImage, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPixmapItem

from ..engine import Network, SpecError
from ..engine.neuron_maps import centre_of, neuron_maps
from ..session.data import boundary_grid
from . import theme
from .canvas_items import NEURON_RADIUS

GRID = 28
MAX_RATE_HZ = 4.0
Z = 2.5     # above the neuron's fill, below labels and the walk overlay


def map_image(values: np.ndarray, centre: float) -> QImage:
    """values[row=y, col=x] → an image with y growing upward."""
    dev = values - centre
    finite = np.isfinite(dev)
    scale = float(np.max(np.abs(dev[finite]))) if finite.any() else 0.0
    t = np.zeros_like(dev) if scale <= 1e-12 else np.clip(np.abs(np.nan_to_num(dev)) / scale, 0, 1)
    base = np.array(theme.base_color().getRgb()[:3], dtype=float)
    pos = np.array(theme.sign_color(1.0).getRgb()[:3], dtype=float)
    neg = np.array(theme.sign_color(-1.0).getRgb()[:3], dtype=float)
    target = np.where((dev >= 0)[..., None], pos, neg)
    rgb = base + (target - base) * t[..., None]
    img = np.empty(values.shape + (4,), dtype=np.uint8)
    img[..., :3] = np.clip(rgb, 0, 255).astype(np.uint8)
    img[..., 3] = 255
    img = np.ascontiguousarray(img[::-1])       # first row = top = largest y
    h, w = values.shape
    return QImage(img.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


class NeuronMapsOverlay(QObject):
    def __init__(self, canvas, doc, training=None, parent=None):
        super().__init__(parent or canvas)
        self.canvas, self.doc = canvas, doc
        self.enabled = False
        self.items: dict[tuple, QGraphicsEllipseItem] = {}
        self.maps: dict[tuple, np.ndarray] = {}     # neuron key → values on the grid
        self.params = None                          # the latest training snapshot's weights
        self.problem = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(int(1000 / MAX_RATE_HZ))
        self._timer.timeout.connect(self.redraw)
        canvas.rebuilt.connect(self._scene_rebuilt)
        doc.projectChanged.connect(self._project_changed)
        if training is not None:
            training.snapshot.connect(self.show_snapshot)
            training.historyReset.connect(lambda *_: self._project_changed())

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self.redraw()

    def available(self) -> tuple[bool, str]:
        spec = self.doc.project.network_spec
        if spec.get("inputs") != 2:
            return False, "the maps need a network with exactly two inputs (a plane)"
        if any(layer.get("type") == "recurrent" for layer in spec["layers"]):
            return False, "a recurrent network has no single map per neuron"
        return True, ""

    def _project_changed(self) -> None:
        if self.doc.changed("network", "data"):
            self.params = None
            self.redraw()

    def _scene_rebuilt(self) -> None:
        self.items = {}      # the canvas cleared its scene, and our items with it
        self.redraw()

    def show_snapshot(self, snap) -> None:
        """Live weights while training: redraw at most MAX_RATE_HZ times a second."""
        self.params = snap.params
        if self.enabled and not self._timer.isActive():
            self._timer.start()

    def _network(self) -> Network:
        net = self.doc.project.network()
        if self.params is not None:
            for name, value in self.params.items():
                if name in net.params and net.params[name].shape == np.shape(value):
                    net.params[name][...] = value
        return net

    def _clear(self) -> None:
        scene = self.canvas.scene()
        for item in self.items.values():
            if item.scene() is scene:
                scene.removeItem(item)
        self.items = {}
        self.maps = {}

    def redraw(self) -> None:
        ok, self.problem = self.available()
        if not self.enabled or not ok:
            self._clear()
            return
        try:
            X, _, _, _ = self.doc.project.arrays()
            net = self._network()
            xs, ys, pts = boundary_grid(X, self.doc.project.data, GRID)
            if pts.shape[1] != net.n_inputs:
                self._clear()
                self.problem = "the data's derived features do not match the network's inputs"
                return
            layers = neuron_maps(net, pts, GRID)
        except (SpecError, ValueError) as exc:
            self._clear()
            self.problem = str(exc)
            return
        scene = self.canvas.scene()
        r = NEURON_RADIUS - 1.5
        seen = set()
        for i, (layer, maps) in enumerate(zip(net.spec.layers, layers)):
            centre = centre_of(layer.activation.name)
            for j in range(maps.shape[0]):
                key = ("neuron", i + 1, j)
                neuron = self.canvas.neurons.get(key)
                if neuron is None:
                    continue
                seen.add(key)
                self.maps[key] = maps[j]
                pix = QPixmap.fromImage(map_image(maps[j], centre))
                holder = self.items.get(key)
                if holder is None or holder.scene() is not scene:
                    holder = QGraphicsEllipseItem(-r, -r, 2 * r, 2 * r)
                    holder.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
                    holder.setPen(QPen(Qt.PenStyle.NoPen))
                    holder.setBrush(QBrush(Qt.BrushStyle.NoBrush))
                    holder.setZValue(Z)
                    holder.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
                    image = QGraphicsPixmapItem(holder)
                    image.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
                    holder.image = image
                    scene.addItem(holder)
                    self.items[key] = holder
                holder.setPos(neuron.pos())
                holder.image.setPixmap(pix)
                holder.image.setScale(2 * r / GRID)
                holder.image.setPos(-r, -r)
                holder.setToolTip(f"Layer {i + 1}, neuron {j + 1}: its activation over the input plane "
                                  f"(x {xs[0]:.2g}…{xs[-1]:.2g}, y {ys[0]:.2g}…{ys[-1]:.2g}); "
                                  f"blue above {centre:g}, orange below")
        for key in list(self.items):
            if key not in seen:
                item = self.items.pop(key)
                if item.scene() is scene:
                    scene.removeItem(item)

