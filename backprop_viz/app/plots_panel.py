"""Live plots: loss, gradient norms per layer, their distribution, and per-layer health.

Only the tab in front is redrawn, at most ~30 times a second for curves and 5
times a second for the heavier views (heatmap, histograms, derivative curve,
table); a tab brought to the front is brought up to date at once.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ..engine import gradient_lesson as lesson
from ..engine.activations import Activation
from . import theme
from .alert_band import AlertBand

FRAME_MS = 33                  # the tab in front is redrawn at most ~30 times a second
SLOW_MS = 200                  # the heavy tabs and the lesson at most 5 times a second
SLOW_TABS = ("Gradients", "Through time", "Distributions", "Layers", "Lesson")
FAST_TABS = ("Loss", "Accuracy", "Lesson")


class SparseLogAxis(pg.AxisItem):
    """In log mode, label only 1, 2 and 5 × 10ⁿ: the minor ticks crowd on a short plot."""

    def tickStrings(self, values, scale, spacing):
        strings = super().tickStrings(values, scale, spacing)
        if not self.logMode:
            return strings
        out = []
        for v, text in zip(values, strings):
            mantissa = round(10 ** (v - np.floor(v + 1e-9)), 3)
            out.append(text if mantissa in (1.0, 2.0, 5.0) else "")
        return out


def layer_pen(i: int, n: int, width: float = 1):
    cmap = pg.colormap.get("viridis")
    t = 0.0 if n <= 1 else 0.85 * i / (n - 1)
    return pg.mkPen(cmap.map(t, mode="qcolor"), width=width)


def configure_pyqtgraph() -> None:
    theme.configure_pyqtgraph()


class PlotsPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("plotsPanel")
        configure_pyqtgraph()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.alert = AlertBand()
        layout.addWidget(self.alert)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.history = None
        self.snap = None
        self.updates_per_epoch = 1.0
        self.n_layers = 0
        self._dirty = False
        self._build_loss_tab()
        self._build_gradient_tab()
        self._build_distribution_tab()
        self._build_table_tab()
        self._build_lesson_tab()
        for p in (self.loss_plot, self.acc_plot, self.norm_plot, self.heat_plot, self.hist_plot, self.deriv_plot,
                  self.time_plot, self.lesson_plot):
            self._plain_axes(p)
        self.hists = self.preacts = None
        self.redraws = Counter()       # per tab name: how often it was drawn (hidden tabs never are)
        self._drawers = {"Loss": self._draw_loss, "Accuracy": self._draw_accuracy,
                         "Gradients": self._draw_gradients, "Through time": self._draw_through_time,
                         "Distributions": self._draw_distributions, "Layers": self._draw_table,
                         "Lesson": self._draw_lesson_curves}
        self._stale: set[int] = set()
        self._drawn_at: dict[int, float] = {}
        self._lesson_stale = False
        self._lesson_at = -1e9
        # One frame clock for all tabs, running only while something is stale.
        self.frame = QTimer(self)
        self.frame.setInterval(FRAME_MS)
        self.frame.timeout.connect(self._frame)
        self.tabs.currentChanged.connect(self._tab_changed)

    # -- tabs -----------------------------------------------------------------------------
    def _build_loss_tab(self):
        w = QWidget()
        v = QVBoxLayout(w)
        row = QHBoxLayout()
        self.log_loss = QCheckBox("log y")
        self.log_loss.setObjectName("logLoss")
        self.log_loss.toggled.connect(lambda on: self.loss_plot.setLogMode(False, on))
        row.addWidget(self.log_loss)
        self.x_axis = QComboBox()
        self.x_axis.setObjectName("xAxis")
        self.x_axis.addItems(["against updates", "against epochs"])
        self.x_axis.currentIndexChanged.connect(lambda _: self._x_axis_changed())
        row.addWidget(self.x_axis)
        row.addStretch(1)
        v.addLayout(row)
        self.loss_plot = pg.PlotWidget(title="Loss", axisItems={"left": SparseLogAxis("left")})
        self.loss_plot.setLabel("bottom", "update")
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_curve = self._curve(self.loss_plot, pg.mkPen(theme.POSITIVE, width=1), "training")
        self.val_curve = self._curve(self.loss_plot, pg.mkPen(theme.NEGATIVE, width=1), "validation")
        self.markers = []
        v.addWidget(self.loss_plot, 1)
        self.tabs.addTab(w, "Loss")
        acc = QWidget()
        av = QVBoxLayout(acc)
        self.acc_plot = pg.PlotWidget(title="Accuracy (classification)")
        self.acc_plot.setLabel("bottom", "update")
        self.acc_plot.setYRange(0, 1)
        self.acc_plot.addLegend(offset=(-10, -10))
        self.acc_curve = self._curve(self.acc_plot, pg.mkPen(theme.POSITIVE, width=1), "training")
        self.val_acc_curve = self._curve(self.acc_plot, pg.mkPen(theme.NEGATIVE, width=1), "validation")
        self.acc_note = QLabel("Accuracy (classification losses) is measured at epoch ends: every one when "
                               "stepping, a few times a second while training runs.")
        self.acc_note.setWordWrap(True)
        av.addWidget(self.acc_note)
        av.addWidget(self.acc_plot, 1)
        self.tabs.addTab(acc, "Accuracy")

    def _build_gradient_tab(self):
        w = QWidget()
        v = QVBoxLayout(w)
        self.norm_plot = pg.PlotWidget(title="Weight-gradient norm per layer",
                                       axisItems={"left": SparseLogAxis("left")})
        self.norm_plot.setLogMode(False, True)
        self.norm_plot.setLabel("bottom", "update")
        self.norm_plot.setLabel("left", "‖∂E/∂W‖")
        self.norm_legend = self.norm_plot.addLegend(offset=(-10, 10))
        self.norm_curves = []
        v.addWidget(self.norm_plot, 3)
        self.heat_plot = pg.PlotWidget(title="log₁₀ ‖∂E/∂W‖: layer × time")
        self.heat_plot.setLabel("bottom", "update")
        self.heat_plot.setLabel("left", "layer")
        self.heat = pg.ImageItem()
        self.heat.setColorMap(pg.colormap.get("viridis"))
        self.heat_plot.addItem(self.heat)
        self.heat_bar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False, width=12)
        self.heat_bar.setImageItem(self.heat, insert_in=self.heat_plot.getPlotItem())
        v.addWidget(self.heat_plot, 2)
        self.time_plot = pg.PlotWidget(title="‖∂E/∂h_t‖ through time (recurrent layers)",
                                       axisItems={"left": SparseLogAxis("left")})
        self.time_plot.setLogMode(False, True)
        self.time_plot.setLabel("bottom", "time step t")
        self.time_plot.setLabel("left", "‖∂E/∂h_t‖")
        self.time_legend = self.time_plot.addLegend(offset=(-10, 10))
        self.time_curves = []
        self.tabs.addTab(w, "Gradients")
        t = QWidget()
        tv = QVBoxLayout(t)
        self.time_note = QLabel("For recurrent networks: the gradient reaching each time step's hidden state. "
                                "Falling toward t = 1 is vanishing through time; rising is exploding.")
        self.time_note.setWordWrap(True)
        tv.addWidget(self.time_note)
        tv.addWidget(self.time_plot, 1)
        self.tabs.addTab(t, "Through time")

    def _build_distribution_tab(self):
        w = QWidget()
        v = QVBoxLayout(w)
        self.hist_plot = pg.PlotWidget(title="Distribution of log₁₀ |∂E/∂w| now, per layer")
        self.hist_plot.setLabel("bottom", "log₁₀ |gradient|")
        self.hist_plot.setLabel("left", "weights")
        self.hist_legend = self.hist_plot.addLegend(offset=(-10, 10))
        self.hist_curves = []
        v.addWidget(self.hist_plot, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Activation derivative of layer"))
        self.deriv_layer = QComboBox()
        self.deriv_layer.setObjectName("derivLayer")
        self.deriv_layer.currentIndexChanged.connect(lambda _: self._draw_derivative())
        row.addWidget(self.deriv_layer)
        row.addStretch(1)
        v.addLayout(row)
        self.deriv_plot = pg.PlotWidget(title="f′(z) with this batch's pre-activations")
        self.deriv_plot.setLabel("bottom", "pre-activation z")
        self.deriv_plot.setLabel("left", "f′(z)")
        self.deriv_curve = self.deriv_plot.plot(pen=pg.mkPen(theme.POSITIVE, width=2))
        self.deriv_points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(232, 113, 10, 160))
        self.deriv_plot.addItem(self.deriv_points)
        v.addWidget(self.deriv_plot, 1)
        self.tabs.addTab(w, "Distributions")

    def _build_table_tab(self):
        self.table = QTableWidget(0, 7)
        self.table.setObjectName("layerTable")
        self.table.setHorizontalHeaderLabels(["layer", "activation", "‖∂E/∂W‖", "‖W‖", "update/weight",
                                              "saturated", "dead ReLU"])
        self.table.verticalHeader().setVisible(False)
        self.tabs.addTab(self.table, "Layers")

    def _build_lesson_tab(self):
        w = QWidget()
        v = QVBoxLayout(w)
        self.lesson_text = QLabel("Train or step: the ratio of the first layer's gradient to the last layer's "
                                  "is recorded over the whole run.")
        self.lesson_text.setObjectName("lessonText")
        self.lesson_text.setWordWrap(True)
        # The words scroll in a band of their own: the plot keeps most of the height.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMaximumHeight(72)
        scroll.setWidget(self.lesson_text)
        v.addWidget(scroll)
        self.lesson_plot = pg.PlotWidget(title="‖∂E/∂W₁‖ / ‖∂E/∂W_last‖ over the run",
                                         axisItems={"left": SparseLogAxis("left")})
        self.lesson_plot.setLogMode(False, True)
        self.lesson_plot.setLabel("bottom", "update")
        self.lesson_plot.setLabel("left", "first ÷ last")
        self.lesson_plot.addLegend(offset=(-10, 10))
        self.ratio_curve = self._curve(self.lesson_plot, pg.mkPen(theme.POSITIVE, width=1), "this run")
        self.before_curve = self._curve(self.lesson_plot, pg.mkPen("#888888", width=1.5,
                                                                   style=pg.QtCore.Qt.PenStyle.DashLine),
                                        "before the change")
        self.time_ratio_curve = self._curve(self.lesson_plot, pg.mkPen(theme.NEGATIVE, width=1),
                                            "through time: ‖∂E/∂h₁‖ ÷ ‖∂E/∂h_T‖")
        self.bound_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#888888", width=1,
                                                                style=pg.QtCore.Qt.PenStyle.DotLine),
                                          label="", labelOpts={"position": 0.1, "color": "#666666"})
        self.lesson_plot.addItem(self.bound_line)
        self.bound_line.hide()
        v.addWidget(self.lesson_plot, 1)
        self.tabs.addTab(w, "Lesson")
        self.ratio_x = np.array([])
        self.ratio = np.array([])
        self.time_x, self.time_ratio = [], []
        self.before = None       # (label, steps, ratios) of the previous run or of before a fix
        self.run_label = ""
        self.fix_step = -np.inf  # updates up to here were made before the network last changed
        self.signature = None

    def network_changed(self, spec: dict) -> None:
        """A change of shape, activation or init mid-run: what came before is "before the change"."""
        from ..engine.activations import parse_activation
        sig = [(layer.get("units"), str(layer.get("activation")), str(layer.get("init")), layer.get("residual"),
                layer.get("norm"), layer.get("type")) for layer in spec.get("layers", [])]
        if sig == self.signature:
            return
        old, self.signature = self.signature, sig
        if old is None:
            return
        mask = np.isfinite(self.ratio) & (self.ratio_x > self.fix_step)
        if mask.any():
            self.before = (self.run_label, self.ratio_x[mask], self.ratio[mask])
            self.before_curve.setData(self.ratio_x[mask], self.ratio[mask])
        if len(self.ratio_x):
            self.fix_step = float(self.ratio_x[-1])
        try:
            self.activations = [parse_activation(layer["activation"], f"layers[{i}].activation")
                                for i, layer in enumerate(spec["layers"])]
        except (KeyError, ValueError):
            return
        self.run_label = self.describe_run(self.activations)
        self._lesson_bound()
        self.refresh_curves()
        self.update_lesson()

    def _lesson_bound(self) -> None:
        hidden = [a.name for a in getattr(self, "activations", [])[:-1]]
        k = hidden.count("sigmoid")
        if k:
            self.bound_line.setValue(np.log10(0.25 ** k))
            self.bound_line.label.setFormat(f"0.25{lesson.sup(k)}: the σ′ bound over {k} layers")
            self.bound_line.show()
        else:
            self.bound_line.hide()

    @staticmethod
    def describe_run(activations) -> str:
        hidden = [a.name for a in activations[:-1]]
        if not hidden:
            return "one layer"
        names = sorted(set(hidden), key=hidden.index)
        return ", ".join(f"{hidden.count(n)} {n}" for n in names) + " hidden"

    def update_lesson(self) -> None:
        """The mechanism in words with this network's numbers, kept for the whole run."""
        acts = getattr(self, "activations", [])
        if len(acts) < 2:
            self.lesson_text.setText("One layer: there is no first-to-last ratio to watch.")
            self.alert.show_lesson("")
            return
        parts = [lesson.mechanism(acts)]
        if self.preacts:
            measured = lesson.measured_text(acts, lesson.mean_derivatives(acts, self.preacts))
            if measured:
                parts.append(measured)
        after = self.ratio_x > self.fix_step
        run = lesson.run_text(self.ratio_x[after], self.ratio[after], len(acts))
        if run:
            parts.append(run)
        if self.time_ratio:
            parts.append(lesson.time_text(self.time_ratio[-1], self._time_steps))
        before_after = ""
        if self.before is not None and len(self.ratio):
            label, _, before = self.before
            ok = before[np.isfinite(before)]
            now = self.ratio[after & np.isfinite(self.ratio)]
            if ok.size and now.size:
                before_after = lesson.before_after_text(label, float(np.median(ok)), float(np.median(now)))
                parts.append(before_after)
        text = " ".join(p for p in parts if p)
        self.lesson_text.setText(text)
        short = [lesson.short_mechanism(acts), lesson.short_run(self.ratio_x[after], self.ratio[after], len(acts))]
        if before_after:
            short.append(before_after)
        self.alert.show_lesson(" ".join(p for p in short if p) if after.any() else "")
        self.alert.lesson.setToolTip(text + "\n(the Lesson tab plots the ratio over the whole run)")

    @staticmethod
    def _plain_axes(plot):
        for side in ("left", "bottom"):
            plot.getAxis(side).enableAutoSIPrefix(False)

    @staticmethod
    def _curve(plot, pen, name):
        c = plot.plot(pen=pen, name=name, connect="finite")
        c.setDownsampling(auto=True, method="peak")
        c.setClipToView(True)
        return c

    # -- data ---------------------------------------------------------------------------------
    def set_history(self, history, activations: list) -> None:
        """A new run (or network): curves per layer, cleared plots; the last run's ratio kept for comparison."""
        mask = np.isfinite(self.ratio) & (self.ratio_x > self.fix_step)
        if mask.any():
            self.before = (self.run_label, self.ratio_x[mask], self.ratio[mask])
            self.before_curve.setData(self.ratio_x[mask], self.ratio[mask])
        self.fix_step = -np.inf
        self.ratio_x, self.ratio = np.array([]), np.array([])
        self.time_x, self.time_ratio = [], []
        self.ratio_curve.setData([], [])
        self.time_ratio_curve.setData([], [])
        self.history = history
        self.activations = activations
        self.run_label = self.describe_run(activations)
        self._lesson_bound()
        n = len(activations)
        if n != self.n_layers:
            for c in self.norm_curves:
                self.norm_plot.removeItem(c)
            for c in self.hist_curves:
                self.hist_plot.removeItem(c)
            self.norm_legend.clear()
            self.hist_legend.clear()
            self.norm_curves = [self._curve(self.norm_plot, layer_pen(i, n), f"layer {i + 1}") for i in range(n)]
            self.hist_curves = [self.hist_plot.plot(pen=layer_pen(i, n), name=f"layer {i + 1}", stepMode="center")
                                for i in range(n)]
            self.n_layers = n
        self.deriv_layer.blockSignals(True)
        self.deriv_layer.clear()
        self.deriv_layer.addItems([f"{i + 1} ({a.name})" for i, a in enumerate(activations)])
        self.deriv_layer.blockSignals(False)
        self.snap = None
        self.hists = self.preacts = None
        self.refresh_curves()
        self._clear_slow()
        self.update_lesson()

    def _clear_slow(self):
        self.heat.clear()
        for c in self.hist_curves:
            c.setData([], [])
        self.deriv_points.setData([], [])
        self.table.setRowCount(0)
        self.alert.show_health(None)
        for m in self.markers:
            self.loss_plot.removeItem(m)
        self.markers = []
        self._draw_derivative()

    def show_snapshot(self, snap) -> None:
        self.snap = snap
        # Histograms and pre-activations come only while a view shows them: keep the last ones.
        if snap.histograms is not None:
            self.hists = snap.histograms
        if snap.preacts is not None:
            self.preacts = snap.preacts
        first = next((g for g in snap.time_grads if g), None)
        if first and first[-1] > 0 and np.isfinite(first[0]):
            self.time_x.append(snap.step)
            self.time_ratio.append(first[0] / first[-1])
            self._time_steps = len(first)
        self._dirty = True
        self.alert.show_health(snap.health)
        self._changed()
        if snap.steps_per_second is None:
            # A single step or epoch (no live rate): the tab in front shows it at once, as the
            # click's answer, even behind another dock (one draw, not a stream of them).
            self._draw_tab(self.tabs.currentIndex(), time.perf_counter())
            self._lesson_stale = False
            self.update_lesson()

    def _changed(self) -> None:
        """New data: every tab is stale; the one in front is redrawn at the next frame."""
        self._stale = set(range(self.tabs.count()))
        self._lesson_stale = True
        if not self.frame.isActive():
            self.frame.start()

    def _frame(self) -> None:
        """At most FRAME_MS apart: redraw the tab in front if stale (heavy tabs less often)."""
        now = time.perf_counter()
        i = self.tabs.currentIndex()
        if not self.isVisible():
            # A panel behind another dock draws nothing; it catches up when shown (showEvent).
            self.frame.stop()
            return
        if i in self._stale and now - self._drawn_at.get(i, -1e9) >= self._period(i):
            self._draw_tab(i, now)
        if self._lesson_stale and now - self._lesson_at >= SLOW_MS / 1000:
            # The alert band under the tabs shows the lesson's short words whatever tab is in front.
            self._lesson_stale = False
            self._lesson_at = now
            self.update_lesson()
        if (self.tabs.currentIndex() not in self._stale) and not self._lesson_stale:
            self.frame.stop()

    def showEvent(self, event):
        super().showEvent(event)
        if self._stale or self._lesson_stale:
            self.frame.start()

    def _period(self, i: int) -> float:
        return SLOW_MS / 1000 if self.tabs.tabText(i) in SLOW_TABS else FRAME_MS / 1000

    def _tab_changed(self, i: int) -> None:
        if i in self._stale and self.isVisible():
            self._draw_tab(i, time.perf_counter())

    def _draw_tab(self, i: int, now: float) -> None:
        self._stale.discard(i)
        self._drawn_at[i] = now
        name = self.tabs.tabText(i)
        self.redraws[name] += 1
        self._drawers[name]()

    def draw_all(self) -> None:
        """Every tab brought up to date now (before an export, which may show any of them)."""
        for i in range(self.tabs.count()):
            self._draw_tab(i, time.perf_counter())
        self._lesson_stale = False
        self.update_lesson()

    _slow_update = draw_all

    def _x_axis_changed(self) -> None:
        label = "epoch" if self.x_axis.currentIndex() == 1 else "update"
        for p in (self.loss_plot, self.acc_plot):
            p.setLabel("bottom", label)
        for m in self.markers:
            self.loss_plot.removeItem(m)
        self.markers = []
        self.refresh_curves()

    def _x(self, steps):
        """Updates, or epochs (updates ÷ updates per epoch) if chosen."""
        return steps / self.updates_per_epoch if self.x_axis.currentIndex() == 1 else steps

    def refresh_curves(self) -> None:
        """All curves now (a new run, a changed axis); while training, _frame draws only the tab in front."""
        self._stale = set(range(self.tabs.count()))
        for name in FAST_TABS:
            self._draw_tab(self._tab_index(name), time.perf_counter())

    def _tab_index(self, name: str) -> int:
        return next(i for i in range(self.tabs.count()) if self.tabs.tabText(i) == name)

    def _draw_loss(self) -> None:
        h = self.history
        if h is None:
            return
        x, loss = h.loss()
        self.loss_curve.setData(self._x(x), _finite_or_nan(loss))
        vx, vl = h.val_loss()
        self.val_curve.setData(self._x(vx), vl)
        marked = {m.step for m in self.markers}
        for step, node in h.divergences:
            if step not in marked:
                line = pg.InfiniteLine(pos=self._x(step), angle=90, pen=pg.mkPen("#7a3b00", width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                       label=f"diverged: {node}", labelOpts={"position": 0.85, "color": "#7a3b00"})
                line.step = step
                self.loss_plot.addItem(line)
                self.markers.append(line)

    def _draw_accuracy(self) -> None:
        if self.history is None:
            return
        ax, acc, vacc = self.history.accuracy()
        self.acc_curve.setData(self._x(ax), acc)
        self.val_acc_curve.setData(self._x(ax), vacc)

    def _update_ratio(self) -> None:
        if self.history is None:
            return
        gx, g = self.history.grad_norms()
        self.ratio_x, self.ratio = gx, lesson.first_last_ratio(g)

    def _draw_lesson_curves(self) -> None:
        if self.history is None:
            return
        self._update_ratio()
        after = self.ratio_x > self.fix_step
        self.ratio_curve.setData(self.ratio_x[after], self.ratio[after])
        if self.time_x:
            self.time_ratio_curve.setData(np.array(self.time_x), _positive_or_nan(np.array(self.time_ratio)))
        self.update_lesson()

    def _draw_gradients(self) -> None:
        if self.history is None:
            return
        gx, g = self.history.grad_norms()
        for i, c in enumerate(self.norm_curves):
            c.setData(gx, _positive_or_nan(g[:, i]))
        if self.snap is None:
            return
        if len(gx) > 1:
            with np.errstate(divide="ignore", invalid="ignore"):
                img = np.log10(np.where(g > 0, g, np.nan))
            img = np.nan_to_num(img, nan=np.nanmin(img) if np.isfinite(img).any() else -12.0,
                                posinf=20.0, neginf=-20.0)
            self.heat.setImage(img, autoLevels=True)
            self.heat.setRect(QRectF(gx[0], 0.5, max(gx[-1] - gx[0], 1), self.n_layers))
            lo, hi = float(img.min()), float(img.max())
            self.heat_bar.setLevels((lo, hi if hi > lo else lo + 1))

    def _draw_through_time(self) -> None:
        if self.snap is not None:
            self._draw_time(self.snap.time_grads)

    def _draw_distributions(self) -> None:
        for c, (edges, counts) in zip(self.hist_curves, self.hists or ()):
            c.setData(edges, counts)
        self._draw_derivative()

    def _draw_table(self) -> None:
        if self.snap is not None:
            self._fill_table(self.snap.health)

    def _draw_time(self, time_grads) -> None:
        """Gradient through time: fading toward t = 1 is vanishing, growth is exploding."""
        layers = [(i, g) for i, g in enumerate(time_grads) if g]
        if len(self.time_curves) != len(layers):
            for c in self.time_curves:
                self.time_plot.removeItem(c)
            self.time_legend.clear()
            self.time_curves = [self.time_plot.plot(pen=layer_pen(k, len(layers), 2), symbol="o", symbolSize=5,
                                                    name=f"layer {i + 1}", connect="finite")
                                for k, (i, _) in enumerate(layers)]
        for c, (_, g) in zip(self.time_curves, layers):
            c.setData(np.arange(1, len(g) + 1), _positive_or_nan(np.array(g)))

    def _draw_derivative(self) -> None:
        i = self.deriv_layer.currentIndex()
        acts = getattr(self, "activations", [])
        if i < 0 or i >= len(acts):
            self.deriv_curve.setData([], [])
            return
        act = acts[i]
        zs = self.preacts[i] if self.preacts is not None and i < len(self.preacts) else np.array([])
        zs = zs[np.isfinite(zs)]
        span = max(6.0, float(np.abs(zs).max()) * 1.1 if zs.size else 6.0)
        grid = np.linspace(-span, span, 400)
        with np.errstate(all="ignore"):
            a = act if act.name != "softmax" else Activation("sigmoid", {})
            curve = a.derivative(grid, a.forward(grid))
            self.deriv_curve.setData(grid, curve)
            if zs.size:
                self.deriv_points.setData(zs, a.derivative(zs, a.forward(zs)))
            else:
                self.deriv_points.setData([], [])

    def _fill_table(self, health) -> None:
        rows = health.layers
        self.table.setRowCount(len(rows))
        for r, lh in enumerate(rows):
            cells = [str(r + 1), lh.activation, f"{lh.grad_norm:.3g}", f"{lh.weight_norm:.3g}",
                     f"{lh.update_ratio:.2e}", "—" if lh.saturated is None else f"{lh.saturated:.0%}",
                     "—" if lh.dead is None else f"{lh.dead:.0%}"]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()


def _finite_or_nan(a):
    a = np.asarray(a, dtype=float).copy()
    a[~np.isfinite(a)] = np.nan
    return a


def _positive_or_nan(a):
    a = _finite_or_nan(a)
    a[a <= 0] = np.nan
    return a

