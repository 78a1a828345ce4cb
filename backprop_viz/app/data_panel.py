"""The data: choose it, see it, edit it.

Two-input data is drawn as points coloured by class or target, with the
network's decision boundary (or regression surface) behind them; a click adds
a point (of the class in the selector; with Shift, of the other class) and a
right-click removes the nearest one. Other data is shown as a table.
"""

from __future__ import annotations

import copy
import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QHBoxLayout,
                               QLabel,
                               QPushButton, QSpinBox, QStackedWidget,
                               QVBoxLayout, QWidget)
from superqt import QCollapsible

from ..engine import Network, SpecError
from ..engine.datasets import FEATURES, SEQUENCE_TITLES, TITLES
from ..engine.files import write_text_atomic
from ..session import data as data_mod
from . import dialogs, theme
from .array_table import ArrayTable
from .document import Document
from .inspector import ERROR_STYLE
from .setting_widgets import declared

MAX_TABLE_ROWS = 500
PICK_RADIUS_PX = 12


def boundary_colormap():
    # Blue ↔ orange, like the weights: readable for colour-blind users.
    return pg.ColorMap([0.0, 0.5, 1.0], [(232, 113, 10), (245, 245, 245), (31, 119, 180)])


class DataPanel(QWidget):
    def __init__(self, doc: Document, parent=None):
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.doc = doc
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.choice = QComboBox()
        self.choice.setObjectName("dataChoice")
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.setMinimumContentsLength(20)
        self._choices = [("builtin", k, v) for k, v in TITLES.items()]
        self._choices += [("builtin", k, v) for k, v in SEQUENCE_TITLES.items()]
        self._choices.append(("digits", "digits", "Handwritten digits (8×8, 10 classes)"))
        self._choices += [("seed", k, v["title"]) for k, v in data_mod.SEED_SAMPLES.items()]
        self._choices.append(("samples", "samples", "Samples (imported or edited)"))
        for _, _, title in self._choices:
            self.choice.addItem(title)
        self.choice.activated.connect(self._choice_made)
        layout.addWidget(self.choice)
        # Settings are changed now and then; folded away they leave the plot its room.
        self.settings = QCollapsible("Data settings, import and export")
        self.settings.setObjectName("dataSettings")
        settings_host = QWidget()
        settings_layout = QVBoxLayout(settings_host)
        settings_layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.samples = QSpinBox()
        declared(self.samples, "data.samples")
        self.noise = QDoubleSpinBox()
        declared(self.noise, "data.noise")
        self.noise.setSingleStep(0.05)
        self.validation = QDoubleSpinBox()
        self.validation.setRange(0, 0.9)
        self.validation.setSingleStep(0.05)
        self.seed = QSpinBox()
        declared(self.seed, "seed")
        self.steps = QSpinBox()
        self.steps.setObjectName("sequenceSteps")
        self.steps.setToolTip("Sequence length (for 'remember the first input': the steps to remember over)")
        declared(self.steps, "data.steps")
        for w in (self.samples, self.noise, self.validation, self.seed, self.steps):
            w.editingFinished.connect(self._settings_changed)
        form.addRow("Samples", self.samples)
        form.addRow("Noise", self.noise)
        form.addRow("Validation share", self.validation)
        form.addRow("Seed", self.seed)
        form.addRow("Time steps", self.steps)
        settings_layout.addLayout(form)
        # A grid, not a row: the panel stays narrow enough for a small screen.
        feats = QGridLayout()
        feats.setContentsMargins(0, 0, 0, 0)
        feats.addWidget(QLabel("Extra inputs:"), 0, 0, 1, 3)
        self.features = {}
        for k, name in enumerate(FEATURES):
            box = QCheckBox(name)
            box.toggled.connect(lambda _: self._settings_changed())
            self.features[name] = box
            feats.addWidget(box, 1 + k // 3, k % 3)
        self.features_row = QWidget()
        self.features_row.setLayout(feats)
        settings_layout.addWidget(self.features_row)
        buttons = QHBoxLayout()
        self.import_btn = QPushButton("Import CSV…")
        self.export_btn = QPushButton("Export CSV…")
        buttons.addWidget(self.import_btn)
        buttons.addWidget(self.export_btn)
        settings_layout.addLayout(buttons)
        self.settings.addWidget(settings_host)
        self.settings.collapse(animate=False)
        layout.addWidget(self.settings)
        self.import_btn.clicked.connect(self.import_csv)
        self.export_btn.clicked.connect(self.export_csv)
        edit_row = QHBoxLayout()
        self.edit_hint = QLabel("Click adds a point of class")
        self.point_class = QComboBox()
        self.point_class.setObjectName("pointClass")
        self.point_value = QDoubleSpinBox()
        self.point_value.setRange(-1e6, 1e6)
        self.point_value.setDecimals(3)
        self.point_value.setValue(1.0)
        edit_row.addWidget(self.edit_hint)
        edit_row.addWidget(self.point_class)
        edit_row.addWidget(self.point_value)
        edit_row.addStretch(1)
        self.edit_row = QWidget()
        self.edit_row.setLayout(edit_row)
        self.edit_row.setToolTip("Shift+click adds the other class; right-click removes the nearest point")
        layout.addWidget(self.edit_row)
        self.caption = QLabel()
        self.caption.setObjectName("dataCaption")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setObjectName("dataError")
        layout.addWidget(self.error)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        theme.configure_pyqtgraph()
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(220)
        self.plot.setMenuEnabled(False)   # right-click removes points
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.image = pg.ImageItem()
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#222", width=0.6))
        self.val_points = pg.ScatterPlotItem(size=8, pen=pg.mkPen("#222", width=1.0), symbol="t")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.val_points)
        base = theme.base_color()
        legend = self.plot.addLegend(offset=(-5, 5), brush=pg.mkBrush(base.red(), base.green(), base.blue(), 210),
                                     pen=pg.mkPen(150, 150, 150), labelTextColor=theme.text_color())
        legend.addItem(self.train_points, "training")
        legend.addItem(self.val_points, "validation")
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.table = ArrayTable()
        self.table.setObjectName("dataTable")
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.table)
        doc.projectChanged.connect(self._project_changed)
        self.refresh()

    # -- showing --------------------------------------------------------------------------
    def _project_changed(self) -> None:
        if self.doc.changed("data"):
            self.refresh()
        elif self.doc.changed("network") and self.stack.currentWidget() is self.plot:
            self._boundary_from_network()     # new weights: the points stay, the boundary moves

    def refresh(self) -> None:
        self._loading = True
        p = self.doc.project
        d = p.data
        X, T, Xv, Tv = p.arrays()
        index = self._choice_index(d)
        self.choice.setCurrentIndex(index)
        builtin = d["kind"] == "builtin"
        for w in (self.samples, self.noise, self.seed):
            w.setEnabled(builtin or (w is self.seed and d["kind"] == "digits")
                         or (w is self.samples and d["kind"] == "digits"))
        if builtin or d["kind"] == "digits":
            self.samples.setValue(d["samples"])
            self.seed.setValue(d["seed"])
        if builtin:
            self.noise.setValue(d["noise"])
        sequence = data_mod.is_sequence(d)
        self.steps.setEnabled(sequence)
        if sequence:
            self.steps.setValue(X.shape[1])
        self.validation.setValue(d.get("validation", 0.0) if "validation_indices" not in d else
                                 len(d["validation_indices"]) / max(len(d["X"]), 1))
        self.validation.setEnabled("validation_indices" not in d)
        two_inputs = builtin and data_mod.generate_inputs(d["name"]) == 2
        self.features_row.setVisible(two_inputs)
        for name, box in self.features.items():
            box.setChecked(name in d.get("features", []))
        task = data_mod.task_of(d)
        chosen = self.point_class.currentIndex()
        self.point_class.clear()
        if task == "classification":
            k = T.shape[1] if T.shape[1] > 1 else 2
            self.point_class.addItems([f"class {i}" for i in range(k)])
            self.point_class.setCurrentIndex(chosen if 0 <= chosen < k else 0)
        self.point_class.setVisible(task == "classification")
        self.point_value.setVisible(task != "classification")
        self.edit_hint.setText("Click adds a point of" if task == "classification" else
                               "Click adds a point with target")
        n_val = 0 if Xv is None else len(Xv)
        name = self.choice.currentText()
        if X.ndim == 3:
            self.caption.setText(f"{name}: {len(X)} training and {n_val} validation sequence(s) of "
                                 f"{X.shape[1]} steps × {X.shape[2]} input(s); "
                                 + ("a target at every step" if T.ndim == 3 else "a target at the end"))
        else:
            self.caption.setText(f"{name}: {len(X)} training and {n_val} validation sample(s), "
                                 f"{X.shape[1]} input(s), {T.shape[1]} target column(s)")
        raw = X.ndim == 2 and (X.shape[1] == 2 or (builtin and two_inputs))
        self.edit_row.setVisible(raw)
        if raw:
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
        self._loading = False

    def _choice_index(self, d) -> int:
        for i, (kind, key, _) in enumerate(self._choices):
            if d["kind"] == "builtin" and kind == "builtin" and key == d["name"]:
                return i
            if d["kind"] == "digits" and kind == "digits":
                return i
            if d["kind"] == "samples" and kind == "seed" and d["X"] == data_mod.SEED_SAMPLES[key]["X"] \
                    and d["T"] == data_mod.SEED_SAMPLES[key]["T"]:
                return i
        return len(self._choices) - 1

    def _colors(self, T):
        if T.shape[1] > 1:
            # One colour per class (a blue-to-orange scale would make a middle class white).
            classes = _class_brushes(T.shape[1])
            return [classes[int(k)] for k in T.argmax(axis=1)]
        else:
            t = T[:, 0]
            lo, hi = float(t.min()), float(t.max())
            values = (t - lo) / (hi - lo) if hi > lo else np.full_like(t, 0.5)
        palette = _brushes()
        return [palette[int(round(float(v) * 255))] for v in np.nan_to_num(values, nan=0.5)]

    def _points(self, item, X, T):
        item.setData(X[:, 0], X[:, 1], brush=self._colors(T))

    def _boundary_from_network(self) -> None:
        from ..session.training import GRID
        p = self.doc.project
        X, *_ = p.arrays()
        net = p.network()
        xs, ys, grid_inputs = data_mod.boundary_grid(X, p.data, GRID)
        with np.errstate(all="ignore"):
            out = net.predict(grid_inputs)
        values = out.argmax(axis=1).astype(float) if out.shape[1] > 1 else out[:, 0]
        self.show_boundary((xs, ys, values.reshape(GRID, GRID)))

    def show_boundary(self, grid) -> None:
        if grid is None or self.stack.currentWidget() is not self.plot:
            return
        xs, ys, values = grid
        _, T, _, _ = self.doc.project.arrays()
        values = np.asarray(values, dtype=float)
        if T.shape[1] > 1:
            lo, hi = 0.0, float(T.shape[1] - 1)
        else:
            lo, hi = float(T.min()), float(T.max())
            if hi <= lo:
                hi = lo + 1
        norm = np.nan_to_num(np.clip((values - lo) / (hi - lo), 0, 1), nan=0.5)
        if T.shape[1] > 1:
            n = T.shape[1]
            lut = np.array([theme.class_rgb(int(round(i / 255 * (n - 1)))) for i in range(256)], dtype=float)
        else:
            lut = boundary_colormap().getLookupTable(0.0, 1.0, 256, alpha=False)
        lut = (lut * 0.55 + 255 * 0.45).astype(np.uint8)   # pale, so the points stand out
        self.image.setImage(norm.T, levels=(0, 1), lut=lut)
        self.image.setRect(QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0]))

    def _fill_table(self, X, T) -> None:
        n = min(len(X), MAX_TABLE_ROWS)

        def names(A, letter):
            if A.ndim == 3:    # sequences: one column per (time step, feature)
                return [f"{letter}{f + 1}@t{t + 1}" for t in range(A.shape[1]) for f in range(A.shape[2])]
            return [f"{letter}{i + 1}" for i in range(A.shape[1])]
        cols = names(X, "X") + names(T, "T")
        X, T = X.reshape(len(X), -1), T.reshape(len(T), -1)
        self.table.show_array(np.hstack([X[:n], T[:n]]), cols)
        if len(X) > n:
            self.caption.setText(self.caption.text() + f" (first {n} shown)")

    # -- choosing ---------------------------------------------------------------------------
    def _choice_made(self, index: int) -> None:
        if self._loading:
            return
        kind, key, title = self._choices[index]
        current = self.doc.project.data
        if kind == "builtin":
            keep = {k: current[k] for k in ("samples", "noise", "seed", "validation") if k in current}
            if "steps" in current and key in SEQUENCE_TITLES:
                keep["steps"] = current["steps"]
            d = {"kind": "builtin", "name": key, **({"samples": 200, "noise": 0.1, "seed": 0, "validation": 0.2}
                                                  if current["kind"] != "builtin" else keep)}
        elif kind == "digits":
            d = {"kind": "digits"}
        elif kind == "seed":
            d = {"kind": "samples", "X": data_mod.SEED_SAMPLES[key]["X"], "T": data_mod.SEED_SAMPLES[key]["T"]}
        else:
            self.refresh()
            return
        self.use_data(d, f"Use {title}")

    def use_data(self, d: dict, text: str) -> bool:
        """Switch to data ``d``; if the network does not fit, ask to adapt its input and output layers."""
        try:
            d = data_mod.normalise(d)
            net = Network.from_dict(self.doc.project.network_spec)
            problem = data_mod.fits(net, d)
            if problem is None:
                project = self.doc.project.with_data(d)
            else:
                n_in, n_out = data_mod.shape_of(d)
                if not dialogs.ask_yes_no(self, "Change the network?",
                                          f"{problem}.\nChange the network's input layer to {n_in} and its "
                                          f"output layer to {n_out} (with a fitting loss) to use this data?"):
                    self.refresh()
                    return False
                spec = data_mod.adapt_network(self.doc.project.network_spec, d)
                project = type(self.doc.project)(spec, d, self.doc.project.training, self.doc.project.view)
        except SpecError as exc:
            self.error.setText(str(exc))
            self.refresh()
            return False
        self.error.setText("")
        self.doc.apply(project, text)
        return True

    def _settings_changed(self) -> None:
        if self._loading:
            return
        d = copy.deepcopy(self.doc.project.data)
        if d["kind"] in ("builtin", "digits"):
            d["samples"] = self.samples.value()
            d["seed"] = self.seed.value()
        if data_mod.is_sequence(d):
            d["steps"] = self.steps.value()
        if d["kind"] == "builtin":
            d["noise"] = round(self.noise.value(), 4)
            feats = [n for n, box in self.features.items() if box.isChecked()]
            if feats:
                d["features"] = feats
            else:
                d.pop("features", None)
        if "validation_indices" not in d:
            d["validation"] = round(self.validation.value(), 4)
        if d != self.doc.project.data:
            self.use_data(d, "Change data settings")

    # -- editing points -----------------------------------------------------------------------
    def _clicked(self, event) -> None:
        if self.stack.currentWidget() is not self.plot or not self.edit_row.isVisible():
            return
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        pt = vb.mapSceneToView(event.scenePos())
        if event.button() == Qt.MouseButton.LeftButton:
            self.add_point(pt.x(), pt.y(), other=bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            event.accept()
        elif event.button() == Qt.MouseButton.RightButton:
            px = vb.viewPixelSize()
            self.remove_near(pt.x(), pt.y(), PICK_RADIUS_PX * max(px[0], px[1]))
            event.accept()

    def add_point(self, x: float, y: float, other: bool = False) -> bool:
        d = self.doc.project.data
        _, T, _, _ = self.doc.project.arrays()
        if data_mod.task_of(d) == "classification":
            k = T.shape[1] if T.shape[1] > 1 else 2
            c = self.point_class.currentIndex()
            if other:
                c = (c + 1) % k
            t = [float(c)] if T.shape[1] == 1 else np.eye(k)[c].tolist()
        else:
            t = [self.point_value.value()] * T.shape[1]
        raw = [x, y]
        if d["kind"] == "builtin" and d.get("features"):
            from ..engine.datasets import add_features
            raw = add_features(np.array([raw]), d["features"])[0].tolist()
        return self.use_data(data_mod.with_point(d, raw, t), "Add point")

    def remove_near(self, x: float, y: float, radius: float) -> bool:
        d = self.doc.project.data
        i = data_mod.nearest_point(d, x, y, radius)
        if i is None:
            return False
        try:
            return self.use_data(data_mod.without_points(d, [i]), "Remove point")
        except SpecError as exc:
            self.error.setText(str(exc))
            return False

    # -- files -----------------------------------------------------------------------------------
    def import_csv(self) -> bool:
        path = dialogs.open_path(self, "Import CSV", "", dialogs.CSV_FILTER)
        if not path:
            return False
        from .background import Cancelled, run_busy
        name = os.path.basename(path)
        try:
            # A large file takes seconds to read and parse: the window stays responsive.
            parsed = run_busy(self, f"Reading {name}…", _read_and_parse_csv, path, name)
        except Cancelled:
            return False
        except (OSError, UnicodeDecodeError) as exc:
            dialogs.error(self, "Cannot import", f"{path} could not be read:\n\n{exc}")
            return False
        except SpecError as exc:
            dialogs.error(self, "Cannot import", str(exc))
            return False
        try:
            d = dialogs.import_csv(self, parsed, name)
        except SpecError as exc:
            dialogs.error(self, "Cannot import", str(exc))
            return False
        if d is None:
            return False
        return self.use_data(d, f"Import {os.path.basename(path)}")

    def export_csv(self) -> bool:
        path = dialogs.save_path(self, "Export data as CSV", "data.csv", dialogs.CSV_FILTER)
        if not path:
            return False
        try:
            write_text_atomic(path, data_mod.export_csv(self.doc.project.data))
        except OSError as exc:
            dialogs.error(self, "Export failed", f"{path} could not be written: {exc.strerror or exc}")
            return False
        return True


_BRUSHES = []
_CLASS_BRUSHES: dict[int, list] = {}


def _class_brushes(n: int) -> list:
    if n not in _CLASS_BRUSHES:
        _CLASS_BRUSHES[n] = [pg.mkBrush(*theme.class_rgb(k)) for k in range(n)]
    return _CLASS_BRUSHES[n]


def _brushes():
    """256 brushes along the blue-orange map, made once (a brush per point is slow)."""
    if not _BRUSHES:
        cmap = boundary_colormap()
        _BRUSHES.extend(pg.mkBrush(cmap.map(i / 255, mode="qcolor")) for i in range(256))
    return _BRUSHES


def _read_and_parse_csv(path: str, name: str):
    """(header, matrix, note) of a CSV file, checked against the size budget first."""
    from ..engine import budget
    budget.check_csv_size(os.path.getsize(path), path)
    with open(path, encoding="utf-8-sig") as fh:
        text = fh.read()
    return data_mod.parse_csv(text, name)
