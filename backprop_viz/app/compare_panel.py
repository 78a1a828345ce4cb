"""The Compare panel: runs trained side by side, overlaid one colour per run, and their table.

Curves are redrawn when new records arrive (at most ~30 times a second, and
only the plot in view); the table at most 5 times a second.
"""

from __future__ import annotations

import os

import numpy as np

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem,
                               QTabWidget, QVBoxLayout, QWidget)
from superqt import QLabeledDoubleSlider

from ..engine.files import write_text_atomic
from ..engine.formatting import fmt
from ..session import compare
from ..session.compare_files import COLOURS
from ..session.compare_runs import (X_EPOCHS, X_SECONDS, X_UPDATES, Comparison, ema, overlay_csv, run_series,
                                    summary)
from . import dialogs, theme
from .compare_boundaries import CompareBoundaries
from .compare_controller import DONE, RUNNING, CompareController
from .icons import icon
from .plots_panel import SparseLogAxis

TABLE_MS = 250
X_KINDS = (X_UPDATES, X_EPOCHS, X_SECONDS)
TABLE_COLUMNS = ("run", "updates", "final loss", "best loss", "final val. loss", "best val. loss", "accuracy",
                 "val. accuracy", "reached target at")


# name (what run_series draws), tab title, plot title, y label, log y at first
PLOTS = (
    ("loss", "Loss", "Training loss", "loss", True),
    ("val_loss", "Validation loss", "Validation loss (at each epoch's end)", "loss", True),
    ("accuracy", "Accuracy", "Training accuracy (at each epoch's end)", "accuracy", False),
    ("grad_norm", "Gradient norm", "‖∂E/∂W‖ of one layer", "‖∂E/∂W‖", True),
    ("grad_ratio", "First ÷ last", "‖∂E/∂W₁‖ ÷ ‖∂E/∂W_last‖: far below 1, the early layers barely learn",
     "first ÷ last", True),
    ("grad_layers", "By layer", "‖∂E/∂W‖ layer by layer at update 1", "‖∂E/∂W‖", True),
)
AT_FIRST, AT_LATEST = "at update 1", "at the latest update"


class ComparePanel(QWidget):
    makeMainRequested = Signal(object, str)        # Project, run name
    walkRequested = Signal(object, object, str, str)   # network, UpdatePlan, run name, what it is
    newRequested = Signal()
    changed = Signal()                               # the comparison changed (the file should be saved)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("comparePanel")
        theme.configure_pyqtgraph()
        self.controller = CompareController(self)
        self.controller.updated.connect(self._updated)
        self.controller.stateChanged.connect(self._state)
        self.controller.failed.connect(lambda text: self.status.setText(f"Stopped: {text}"))
        self.curves: dict[str, list] = {}
        self._table_dirty = False
        v = QVBoxLayout(self)
        v.setContentsMargins(4, 4, 4, 4)
        v.addLayout(self._build_buttons())
        self.stack = QStackedWidget()
        self.empty = QLabel("No runs to compare yet. Training › Compare… makes runs that differ only in the "
                            "settings you choose (the optimizer, the learning rate, the initialiser, …) and "
                            "start from the same weights; they train here side by side.")
        self.empty.setObjectName("compareEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self._build_views())
        v.addWidget(self.stack, 1)
        self.table_timer = QTimer(self)
        self.table_timer.setInterval(TABLE_MS)
        self.table_timer.timeout.connect(self._table_tick)
        self.table_timer.start()
        self._state(self.controller.state)

    # -- building -------------------------------------------------------------------------
    def _button(self, text, icon_name, slot, tip, name):
        b = QPushButton(text)
        b.setObjectName(name)
        ic = icon(icon_name)
        if ic is not None:
            b.setIcon(ic)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _build_buttons(self):
        row = QHBoxLayout()
        self.run_button = self._button("Run", "fa6s.play", self.controller.toggle, "Train every run, in turns",
                                       "compareRun")
        self.step_button = self._button("Step", "fa6s.forward-step", lambda: self.controller.step(1),
                                        "One update of every run", "compareStep")
        self.reset_button = self._button("Reset", "fa6s.arrows-rotate", self.controller.reset,
                                         "Every run back to its start: the same weights and batches", "compareReset")
        self.new_button = self._button("New…", "fa6s.code-compare", self.newRequested.emit,
                                       "Choose other settings to compare (Training › Compare…)", "compareNew")
        for b in (self.run_button, self.step_button, self.reset_button, self.new_button):
            row.addWidget(b)
        row.addSpacing(12)
        self.run_choice = QComboBox()
        self.run_choice.setObjectName("compareRunChoice")
        self.run_choice.setToolTip("The run that Make main run and Walk next update act on")
        self.run_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        row.addWidget(self.run_choice)
        self.main_button = self._button("Make main run", "fa6s.crown", self._make_main,
                                        "Put this run's settings and weights into the project (Edit › Undo "
                                        "takes it back)", "compareMakeMain")
        self.walk_button = self._button("Walk next update", "fa6s.shoe-prints", self._walk,
                                        "Open this run's next update in the stepper", "compareWalk")
        row.addWidget(self.main_button)
        row.addWidget(self.walk_button)
        row.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("compareStatus")
        row.addWidget(self.status)
        return row

    def _build_views(self):
        w = QWidget()
        v = QVBoxLayout(w)
        v.setContentsMargins(0, 0, 0, 0)
        opts = QHBoxLayout()
        self.x_kind = QComboBox()
        self.x_kind.setObjectName("compareX")
        self.x_kind.addItems([f"against {k}s" if k != X_SECONDS else "against training time" for k in X_KINDS])
        self.x_kind.currentIndexChanged.connect(lambda _: self.redraw(all_plots=True))
        opts.addWidget(self.x_kind)
        opts.addWidget(QLabel("Smoothing"))
        self.smoothing = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.smoothing.setObjectName("compareSmoothing")
        self.smoothing.setRange(0.0, 0.99)
        self.smoothing.setDecimals(2)
        self.smoothing.setValue(0.0)
        self.smoothing.setMinimumWidth(140)
        self.smoothing.setToolTip("Exponential moving average of each curve, as in TensorBoard (0: the raw values)")
        self.smoothing.valueChanged.connect(lambda _: self.redraw(all_plots=True))
        opts.addWidget(self.smoothing, 1)
        self.log_y = QCheckBox("log y")
        self.log_y.setObjectName("compareLogY")
        self.log_y.setChecked(True)
        self.log_y.toggled.connect(lambda _: self._log_changed())
        opts.addWidget(self.log_y)
        self.layer_label = QLabel("layer")
        opts.addWidget(self.layer_label)
        self.layer = QComboBox()
        self.layer.setObjectName("compareLayer")
        self.layer.currentIndexChanged.connect(lambda _: self.redraw(all_plots=True))
        opts.addWidget(self.layer)
        self.at_update = QComboBox()
        self.at_update.setObjectName("compareAtUpdate")
        self.at_update.addItems([AT_FIRST, AT_LATEST])
        self.at_update.setToolTip("Which update's gradients the By layer plot compares")
        self.at_update.currentIndexChanged.connect(lambda _: self.redraw())
        opts.addWidget(self.at_update)
        opts.addWidget(QLabel("target loss"))
        self.target = QDoubleSpinBox()
        self.target.setObjectName("compareTarget")
        self.target.setDecimals(4)
        self.target.setRange(0.0, 1e6)
        self.target.setSingleStep(0.01)
        self.target.setValue(0.1)
        self.target.setToolTip("The table's last column: the first update whose training loss was at most this")
        self.target.valueChanged.connect(lambda _: self._fill_table())
        opts.addWidget(self.target)
        self.export_button = self._button("Export plot…", "fa6s.file-export", lambda: self.export(),
                                          "The plot in view as PNG, SVG or CSV (one column per run)",
                                          "compareExport")
        opts.addWidget(self.export_button)
        v.addLayout(opts)
        split = QSplitter(Qt.Orientation.Vertical)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("compareTabs")
        self.plots: dict[str, pg.PlotWidget] = {}
        base = theme.base_color()
        for name, tab, title, ylabel, log in PLOTS:
            p = pg.PlotWidget(title=title, axisItems={"left": SparseLogAxis("left")})
            p.setLabel("left", ylabel)
            p.setLabel("bottom", X_UPDATES)
            for side in ("left", "bottom"):
                p.getAxis(side).enableAutoSIPrefix(False)
            # An opaque box: five runs' names stay readable over their curves.
            p.addLegend(offset=(-10, 10), brush=pg.mkBrush(base.red(), base.green(), base.blue(), 220),
                        pen=pg.mkPen(150, 150, 150), labelTextColor=theme.text_color())
            p.setLogMode(False, log)
            if name == "accuracy":
                p.setYRange(0, 1)
            self.plots[name] = p
            self.tabs.addTab(p, tab)
        self.boundaries = CompareBoundaries()
        self.tabs.addTab(self.boundaries, "Decision boundaries")
        self.tabs.currentChanged.connect(lambda _: self._tab_changed())
        split.addWidget(self.tabs)
        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setObjectName("compareTable")
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        split.addWidget(self.table)
        self.table.horizontalHeader().setStretchLastSection(True)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.split = split
        v.addWidget(split, 1)
        return w

    # -- the comparison -----------------------------------------------------------------------
    @property
    def comparison(self) -> Comparison | None:
        return self.controller.comparison

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.controller.set_comparison(comparison)
        for p in self.plots.values():
            p.clear()
            p.getPlotItem().legend.clear()
        self.curves = {}
        self.run_choice.clear()
        self.layer.blockSignals(True)
        self.layer.clear()
        if comparison is not None:
            self.run_choice.addItems(comparison.names)
            n = len(comparison.base.network_spec["layers"])
            self.layer.addItems([str(i + 1) for i in range(n)])
            for name, *_ in PLOTS:
                p = self.plots[name]
                self.curves[name] = [self._curve(p, i, run.name) for i, run in enumerate(comparison.runs)]
                if name == "grad_layers":
                    # A point per layer: a run whose gradient reaches one layer only still shows.
                    for i, curve in enumerate(self.curves[name]):
                        curve.setSymbol("o")
                        curve.setSymbolSize(6)
                        curve.setSymbolBrush(COLOURS[i % len(COLOURS)])
                        curve.setSymbolPen(None)
        self.layer.blockSignals(False)
        X, T = None, None
        if comparison is not None and comparison.plane:
            X, T, _, _ = comparison.runs[0].start.arrays()
            if X.ndim != 2 or X.shape[1] != 2:
                X = None
        self.boundaries.set_runs(comparison.names if comparison is not None else [], COLOURS, X, T)
        self.stack.setCurrentIndex(1 if comparison is not None else 0)
        self._tab_changed()
        self.redraw(all_plots=True)
        self._fill_table()
        self._fit_table()
        self._state(self.controller.state)

    @staticmethod
    def _curve(plot, i: int, name: str):
        # Thin pens and peak downsampling: four long curves redrawn many times a second.
        pen = pg.mkPen(COLOURS[i % len(COLOURS)], width=1,
                       style=Qt.PenStyle.SolidLine if i < len(COLOURS) else Qt.PenStyle.DashLine)
        c = plot.plot(pen=pen, name=name, connect="finite")
        c.setDownsampling(auto=True, method="peak")
        c.setClipToView(True)
        return c

    def _fit_table(self) -> None:
        """Every run's row in view, as long as the plot keeps most of the height."""
        rows = self.table.rowCount()
        want = self.table.horizontalHeader().height() + rows * self.table.verticalHeader().defaultSectionSize() + 4
        total = sum(self.split.sizes()) or self.split.height()
        table = min(want, max(total // 3, 60))
        self.split.setSizes([max(total - table, 1), table])

    def showEvent(self, event):
        super().showEvent(event)
        self._fit_table()

    def to_dict(self) -> dict | None:
        """The comparison as the project file keeps it (its runs paused for the moment it takes)."""
        c = self.comparison
        if c is None:
            return None
        running = self.controller.is_running
        self.controller.pause()
        try:
            return c.to_dict()
        finally:
            if running:
                self.controller.run()

    def shutdown(self) -> None:
        self.table_timer.stop()
        self.controller.shutdown()

    # -- views -----------------------------------------------------------------------------------
    def _x(self) -> str:
        return X_KINDS[self.x_kind.currentIndex()]

    def current_plot(self) -> str | None:
        """The overlay plot in front (None: the decision boundaries)."""
        i = self.tabs.currentIndex()
        return PLOTS[i][0] if 0 <= i < len(PLOTS) else None

    def series(self, name: str) -> list[tuple]:
        """Each run's (x, y) arrays as drawn: on the chosen axis, smoothed as chosen."""
        c = self.comparison
        if c is None:
            return []
        x_kind, weight, layer = self._x(), float(self.smoothing.value()), max(self.layer.currentIndex(), 0)
        out = []
        if name == "grad_layers":
            # Across the layers at one update: what an initialiser does to the gradient's way back.
            for run in c.runs:
                g = run.history.column("grad_norms") if run.history.n else np.empty((0, 0))
                row = g[0 if self.at_update.currentIndex() == 0 else -1] if len(g) else np.array([])
                out.append((np.arange(1, len(row) + 1, dtype=float), np.asarray(row, dtype=float)))
            return out
        for run in c.runs:
            xs, ys = run_series(run, name, x_kind, layer)
            out.append((xs, ema(ys, weight)))
        return out

    def redraw(self, all_plots: bool = False) -> None:
        names = [p[0] for p in PLOTS] if all_plots else [self.current_plot()]
        x_label = self._x()
        if self.current_plot() is None and self.comparison is not None:
            self.boundaries.show_grids(self.comparison.boundaries)
        for name in names:
            curves = self.curves.get(name) if name else None
            if not curves:
                continue
            item = self.plots[name].getPlotItem()
            log = item.ctrl.logYCheck.isChecked()
            labels = [label for _, label in item.legend.items]
            for i, (curve, (xs, ys)) in enumerate(zip(curves, self.series(name))):
                ys = np.where(np.isfinite(ys) & ((ys > 0) if log else True), ys, np.nan)
                if name == "grad_layers":
                    # Only the points there are: pyqtgraph's symbols do not take NaN gaps.
                    keep = np.isfinite(ys)
                    curve.setData(xs[keep], ys[keep])
                else:
                    curve.setData(xs, ys)
                # A run with nothing to draw stays in the legend, and says why (zero gradients
                # cannot go on a log axis).
                run = self.comparison.runs[i].name
                text = run if not len(ys) or np.isfinite(ys).any() else \
                    f"{run} (no {'positive' if log else 'finite'} values: not drawn)"
                if i < len(labels) and labels[i].text != text:
                    labels[i].setText(text)
            item.setLabel("bottom", "layer" if name == "grad_layers" else x_label)
            if name == "grad_layers":
                item.setTitle(f"‖∂E/∂W‖ layer by layer {self.at_update.currentText()}")
            if name == "grad_norm":
                item.setTitle(f"‖∂E/∂W‖ of layer {max(self.layer.currentIndex(), 0) + 1}")

    def _tab_changed(self) -> None:
        name = self.current_plot()
        self.layer.setVisible(name == "grad_norm")
        self.layer_label.setVisible(name == "grad_norm")
        self.at_update.setVisible(name == "grad_layers")
        c = self.comparison
        self.export_button.setEnabled(c is not None and name is not None)
        if name is None:
            self.log_y.setEnabled(False)
            if c is not None:
                # Boundaries cost a forward pass over a grid per run: made only while in view.
                c.want_boundaries.set()
                if not self.controller.is_running:
                    c.boundaries = c.boundary_grids()
        else:
            if c is not None:
                c.want_boundaries.clear()
            self.log_y.blockSignals(True)
            self.log_y.setChecked(self.plots[name].getPlotItem().ctrl.logYCheck.isChecked())
            self.log_y.setEnabled(name != "accuracy")
            self.log_y.blockSignals(False)
        self.redraw()

    def _log_changed(self) -> None:
        name = self.current_plot()
        if name is not None:
            self.plots[name].setLogMode(False, self.log_y.isChecked())
        self.redraw()

    def _updated(self) -> None:
        self.redraw()
        self._table_dirty = True
        self._show_progress()
        self.controller.drawn()

    def _table_tick(self) -> None:
        if self._table_dirty:
            self._fill_table()

    def _fill_table(self) -> None:
        self._table_dirty = False
        c = self.comparison
        runs = c.runs if c is not None else []
        self.table.setRowCount(len(runs))
        target = self.target.value()
        for r, run in enumerate(runs):
            s = summary(run, target)
            acc = lambda v: "—" if v is None else f"{v:.1%}"
            num = lambda v: "—" if v is None else fmt(v, 4)
            reached = s["reached_target_at"]
            cells = [run.name, f"{run.steps:,}" + (" (diverged)" if s["diverged"] else ""),
                     num(s["final_loss"]), num(s["best_loss"]), num(s["final_val_loss"]), num(s["best_val_loss"]),
                     acc(s["accuracy"]), acc(s["val_accuracy"]), "not yet" if reached is None else f"update {reached:,}"]
            for col, text in enumerate(cells):
                item = self.table.item(r, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(r, col, item)
                item.setText(text)
                if col == 0:
                    item.setForeground(pg.mkColor(COLOURS[r % len(COLOURS)]))

    def table_text(self) -> list[list[str]]:
        """The table as the user reads it."""
        return [[self.table.item(r, c).text() for c in range(self.table.columnCount())]
                for r in range(self.table.rowCount())]

    def _show_progress(self) -> None:
        c = self.comparison
        if c is None:
            self.status.setText("")
            return
        finished = sum(1 for r in c.runs if r.finished)
        tail = f" · {finished} finished" if finished else ""
        self.status.setText(f"{len(c.runs)} runs · update {c.steps:,}{tail}")

    def _state(self, state: str) -> None:
        has = self.comparison is not None
        running = state == RUNNING
        self.run_button.setText("Pause" if running else "Run")
        ic = icon("fa6s.pause" if running else "fa6s.play")
        if ic is not None:
            self.run_button.setIcon(ic)
        self.run_button.setEnabled(has and state != DONE)
        for b in (self.step_button, self.main_button, self.walk_button):
            b.setEnabled(has and not running)
        self.step_button.setEnabled(has and not running and state != DONE)
        self.reset_button.setEnabled(has)
        self.export_button.setEnabled(has and self.current_plot() is not None)
        self._show_progress()

    # -- acting on one run ------------------------------------------------------------------------
    def chosen_run(self):
        c = self.comparison
        i = self.run_choice.currentIndex()
        return c.runs[i] if c is not None and 0 <= i < len(c.runs) else None

    def _make_main(self) -> None:
        run = self.chosen_run()
        if run is None:
            return
        self.controller.pause()
        self.makeMainRequested.emit(run.project_now(), run.name)

    def _walk(self) -> None:
        run = self.chosen_run()
        if run is None:
            return
        self.controller.pause()
        from ..engine import Network
        from ..engine.update_plan import preview
        net = Network.from_dict(run.session.net.to_dict())
        # The update this run's own optimizer (with its running averages) would make next.
        plan = preview(run.session.trainer)
        self.walkRequested.emit(net, plan, run.name, f"update {run.steps + 1:,} of the compared run “{run.name}”")

    # -- export --------------------------------------------------------------------------------------
    def export(self, name: str | None = None, path: str | None = None) -> bool:
        """The plot in view (or ``name``) as PNG, SVG or CSV by the file's extension."""
        name = name or self.current_plot()
        if self.comparison is None or name is None:
            return False
        if path is None:
            path = dialogs.save_path(self, f"Export the {name.replace('_', ' ')} comparison",
                                     f"compare_{name}.png",
                                     "PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)")
            if not path:
                return False
        ext = os.path.splitext(path)[1].lower()
        if ext not in (".png", ".svg", ".csv"):
            path += ".png"
            ext = ".png"
        try:
            if ext == ".csv":
                x_label = "layer" if name == "grad_layers" else self._x()
                write_text_atomic(path, overlay_csv(x_label, self.comparison.names, self.series(name)))
            else:
                from .exporters import export_plot    # loads pyqtgraph's exporters when first used
                self.redraw(all_plots=True)
                export_plot(self.plots[name].getPlotItem(), path)
        except (OSError, ValueError) as exc:
            dialogs.error(self, "Export failed", f"{path} could not be written: {getattr(exc, 'strerror') or exc}")
            return False
        self.status.setText(f"Exported {os.path.basename(path)}")
        return True


if __name__ == "__main__":
    from PySide6.QtWidgets import QApplication
    from ..session.templates import open_template
    app = QApplication([])
    panel = ComparePanel()
    panel.set_comparison(Comparison.create(open_template("xor"), [compare.parse_vary("optimizer=sgd,adam")]))
    panel.resize(1100, 600)
    panel.show()
    app.exec()
    panel.shutdown()
