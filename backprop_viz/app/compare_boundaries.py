"""Decision boundaries of the compared runs, side by side, coloured as in the Data panel."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from . import theme
from .data_panel import boundary_colormap

COLUMNS = 4


class CompareBoundaries(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("compareBoundaries")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel()
        self.note.setObjectName("compareBoundariesNote")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addWidget(self.note)
        self.grid_widget = QWidget()
        self.grid = QGridLayout(self.grid_widget)
        self.grid.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.grid_widget, 1)
        self.plots: list[pg.PlotWidget] = []
        self.images: list[pg.ImageItem] = []
        self.T = None

    def set_runs(self, names: list[str], colours, X=None, T=None) -> None:
        """One small plot per run, the training points on each; X None: the data is not a plane."""
        for p in self.plots:
            self.grid.removeWidget(p)
            p.deleteLater()
        self.plots, self.images = [], []
        self.T = T
        plane = X is not None and names
        self.note.setVisible(not plane)
        self.note.setText("" if plane else "Decision boundaries are drawn for data with 2 inputs (a plane).")
        if not plane:
            return
        cols = min(len(names), COLUMNS)
        cls = (T.argmax(axis=1) if T.shape[1] > 1 else (T[:, 0] > (T.min() + T.max()) / 2).astype(int))
        for i, name in enumerate(names):
            p = pg.PlotWidget()
            p.setTitle(name, color=colours[i % len(colours)])
            p.setAspectLocked(True)
            p.hideButtons()
            for side in ("left", "bottom"):
                p.getAxis(side).enableAutoSIPrefix(False)
            img = pg.ImageItem()
            p.addItem(img)
            brushes = [pg.mkBrush(theme.class_rgb(int(c)) if T.shape[1] > 1 else
                                  ((31, 119, 180) if c else (232, 113, 10))) for c in cls]
            p.addItem(pg.ScatterPlotItem(X[:, 0], X[:, 1], size=5, pen=pg.mkPen("#333333", width=0.5),
                                         brush=brushes))
            self.grid.addWidget(p, i // cols, i % cols)
            self.plots.append(p)
            self.images.append(img)

    def show_grids(self, grids) -> None:
        if not grids or self.T is None:
            return
        T = self.T
        if T.shape[1] > 1:
            lo, hi = 0.0, float(T.shape[1] - 1)
            n = T.shape[1]
            lut = np.array([theme.class_rgb(int(round(i / 255 * (n - 1)))) for i in range(256)], dtype=float)
        else:
            lo, hi = float(T.min()), float(T.max())
            hi = hi if hi > lo else lo + 1
            lut = boundary_colormap().getLookupTable(0.0, 1.0, 256, alpha=False)
        lut = (lut * 0.55 + 255 * 0.45).astype(np.uint8)   # pale, so the points stand out
        for img, grid in zip(self.images, grids):
            xs, ys, values = grid
            norm = np.nan_to_num(np.clip((np.asarray(values, dtype=float) - lo) / (hi - lo), 0, 1), nan=0.5)
            img.setImage(norm.T, levels=(0, 1), lut=lut)
            img.setRect(QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0]))
