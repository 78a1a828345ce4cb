"""The data: two-input data as points coloured by class or target, with the
network's decision boundary (or regression surface) behind them; other data
as a table."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from ..engine.formatting import fmt

from . import theme
from .document import Document

MAX_TABLE_ROWS = 500


def boundary_colormap(classes: int | None):
    # Blue ↔ orange, like the weights: readable for colour-blind users.
    return pg.ColorMap([0.0, 0.5, 1.0], [(232, 113, 10), (245, 245, 245), (31, 119, 180)])


class DataPanel(QWidget):
    def __init__(self, doc: Document, parent=None):
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.doc = doc
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel()
        self.caption.setObjectName("dataCaption")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        theme.configure_pyqtgraph()
        self.plot = pg.PlotWidget()
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem()
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#222", width=0.6))
        self.val_points = pg.ScatterPlotItem(size=8, pen=pg.mkPen("#222", width=1.0), symbol="t")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.val_points)
        self.plot.addLegend(offset=(-10, 10)).addItem(self.train_points, "training")
        self.plot.getPlotItem().legend.addItem(self.val_points, "validation")
        self.table = QTableWidget()
        self.table.setObjectName("dataTable")
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.table)
        doc.projectChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        p = self.doc.project
        X, T, Xv, Tv = p.arrays()
        d = p.data
        what = (f"{d['name']}: {len(X)} training and {0 if Xv is None else len(Xv)} validation samples"
                if d["kind"] == "builtin" else f"{len(X)} sample{'s' if len(X) != 1 else ''} typed in")
        self.caption.setText(what)
        if X.shape[1] == 2:
            self.stack.setCurrentWidget(self.plot)
            self._points(self.train_points, X, T)
            if Xv is not None:
                self._points(self.val_points, Xv, Tv)
            else:
                self.val_points.setData([], [])
            self._boundary_from_network()
        else:
            self.stack.setCurrentWidget(self.table)
            self._fill_table(X, T)

    def _colors(self, T):
        if T.shape[1] > 1:
            values = T.argmax(axis=1) / max(T.shape[1] - 1, 1)
        else:
            t = T[:, 0]
            lo, hi = float(t.min()), float(t.max())
            values = (t - lo) / (hi - lo) if hi > lo else np.full_like(t, 0.5)
        cmap = boundary_colormap(None)
        return [pg.mkBrush(cmap.map(float(v), mode="qcolor")) for v in values]

    def _points(self, item, X, T):
        item.setData(X[:, 0], X[:, 1], brush=self._colors(T))

    def _boundary_from_network(self) -> None:
        from ..session.training import GRID
        p = self.doc.project
        X, *_ = p.arrays()
        net = p.network()
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = (hi - lo) * 0.1 + 1e-9
        xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], GRID)
        ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], GRID)
        gx, gy = np.meshgrid(xs, ys)
        with np.errstate(all="ignore"):
            out = net.predict(np.column_stack([gx.ravel(), gy.ravel()]))
        values = out.argmax(axis=1).astype(float) if out.shape[1] > 1 else out[:, 0]
        self.show_boundary((xs, ys, values.reshape(GRID, GRID)))

    def show_boundary(self, grid) -> None:
        if grid is None or self.stack.currentWidget() is not self.plot:
            return
        xs, ys, values = grid
        p = self.doc.project
        _, T, _, _ = p.arrays()
        values = np.asarray(values, dtype=float)
        if T.shape[1] > 1:
            lo, hi = 0.0, float(T.shape[1] - 1)
        else:
            lo, hi = float(T.min()), float(T.max())
            if hi <= lo:
                hi = lo + 1
        norm = np.clip((values - lo) / (hi - lo), 0, 1)
        norm = np.nan_to_num(norm, nan=0.5)
        lut = boundary_colormap(None).getLookupTable(0.0, 1.0, 256, alpha=False)
        lut = (lut * 0.55 + 255 * 0.45).astype(np.uint8)   # pale, so the points stand out
        self.image.setImage(norm.T, levels=(0, 1), lut=lut)
        self.image.setRect(QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0]))

    def _fill_table(self, X, T) -> None:
        n = min(len(X), MAX_TABLE_ROWS)
        cols = [f"X{i + 1}" for i in range(X.shape[1])] + [f"T{j + 1}" for j in range(T.shape[1])]
        self.table.setColumnCount(len(cols))
        self.table.setHorizontalHeaderLabels(cols)
        self.table.setRowCount(n)
        data = np.hstack([X[:n], T[:n]])
        for r in range(n):
            for c in range(data.shape[1]):
                self.table.setItem(r, c, QTableWidgetItem(fmt(data[r, c], 6)))
        self.table.resizeColumnsToContents()
        if len(X) > n:
            self.caption.setText(self.caption.text() + f" (first {n} shown)")


