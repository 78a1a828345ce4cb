"""Compare runs in the window, driven as a user drives it: Training › Compare…, the panel's
buttons, its plots and table, export, save and reopen."""

import csv
import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from backprop_viz.session import compare
from backprop_viz.session.compare_runs import Comparison
from backprop_viz.session.layout_geometry import TRAIN
from backprop_viz.session.project import Project
from backprop_viz.session.templates import open_template


@pytest.fixture(autouse=True)
def no_worker_left(qtbot):
    """Every test ends with the runs' worker thread finished (the windows pause it on close)."""
    yield
    from PySide6.QtCore import QThreadPool
    qtbot.waitUntil(lambda: QThreadPool.globalInstance().activeThreadCount() == 0, timeout=10000)


def _xor(batch_size=8):
    p = open_template("xor")
    return p.with_training({**p.training, "batch_size": batch_size})


def _window(make_window, answers, qtbot, vary=("optimizer=sgd,adam",), project=None):
    w = make_window(project=project or _xor())
    answers.compare = [compare.parse_vary(v) for v in vary]
    w.compare.action.trigger()
    panel = w.compare_panel
    qtbot.waitUntil(lambda: w.docks["compare"].isVisible())
    return w, panel


def _alone(project, vary, name, steps):
    """That variant trained on its own, as `backprop-viz compare` would."""
    run = next(r for r in compare.make_runs(project, [compare.parse_vary(v) for v in vary]) if r.name == name)
    compare.train(run, steps)
    return run.records


def _click(qtbot, button):
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# -- the dialog ----------------------------------------------------------------------------------
def test_dialog_preset_and_a_bad_value_are_said_where(qtbot):
    from backprop_viz.app.compare_dialog import CompareDialog
    d = CompareDialog(_xor())
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    assert not d.ok.isEnabled() and "tick at least one setting" in d.preview.text()
    d.preset.setCurrentIndex(d.preset.findData("optimizers"))
    assert d.ticks["optimizer"].isChecked()
    for name in ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam"):
        assert f"<b>{name}</b>" in d.preview.text()
    tick = d.ticks["lr"]
    qtbot.mouseClick(tick, Qt.MouseButton.LeftButton, pos=QPoint(8, tick.height() // 2))
    assert tick.isChecked() and d.values["lr"].isEnabled()
    d.values["lr"].clear()
    qtbot.keyClicks(d.values["lr"], "0.1, fast")
    assert not d.ok.isEnabled()
    assert "Learning rate: expected a number, got 'fast'" in d.preview.text()
    d.values["lr"].clear()
    qtbot.keyClicks(d.values["lr"], "0.1, 0.01, 0.001")
    assert "15 runs" in d.preview.text() and "at most 8" in d.preview.text() and not d.ok.isEnabled()
    d.values["lr"].clear()
    qtbot.keyClicks(d.values["lr"], "0.1")
    assert d.ok.isEnabled() and "<b>Adam lr 0.1</b>" in d.preview.text()
    qtbot.mouseClick(d.ok, Qt.MouseButton.LeftButton)
    assert [k for k, _ in d.axes] == ["optimizer", "lr"]


# -- training side by side -------------------------------------------------------------------------
def test_runs_start_alike_see_the_same_batches_and_equal_each_variant_alone(make_window, answers, qtbot):
    w, panel = _window(make_window, answers, qtbot)
    assert w.workspace == TRAIN and not panel.empty.isVisible()
    runs = panel.comparison.runs
    assert [r.name for r in runs] == ["SGD", "Adam"]
    for name, value in runs[0].session.net.params.items():
        assert np.array_equal(value, runs[1].session.net.params[name]), name
    for _ in range(12):
        _click(qtbot, panel.step_button)
        assert np.array_equal(runs[0].session.trainer.last_rows, runs[1].session.trainer.last_rows)
    assert "2 runs · update 12" in panel.status.text()
    for run in runs:
        alone = _alone(_xor(), ["optimizer=sgd,adam"], run.name, 12)
        assert [r["loss"] for r in run.history.records] == [r["loss"] for r in alone]
        assert [r["grad_norms"] for r in run.history.records] == [list(r["grad_norms"]) for r in alone]
    # What the user reads: one curve per run, named in the legend, drawing that run's losses.
    plot = panel.plots["loss"].getPlotItem()
    assert [label.text for _, label in plot.legend.items] == ["SGD", "Adam"]
    curves = plot.listDataItems()
    assert len(curves) == 2
    for curve, run in zip(curves, runs):
        xs, ys = curve.xData, curve.yData       # as given, before the log axis
        assert list(xs) == list(range(1, 13))
        assert np.allclose(ys, [r["loss"] for r in run.history.records])
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2 and panel.table.item(1, 1).text() == "12")
    table = panel.table_text()
    assert table[0][0] == "SGD" and table[1][0] == "Adam"
    best = min(r["loss"] for r in runs[1].history.records)
    assert table[1][3] == f"{best:.4g}"


def test_run_and_pause_train_off_the_gui_thread_with_the_same_numbers(make_window, answers, qtbot):
    vary = ("optimizer=momentum,rmsprop,adam", "lr=0.05")
    w, panel = _window(make_window, answers, qtbot, vary)
    ctl = panel.controller
    _click(qtbot, panel.run_button)
    assert ctl.is_running and panel.run_button.text() == "Pause" and not panel.step_button.isEnabled()
    qtbot.waitUntil(lambda: min(len(r.history.records) for r in panel.comparison.runs) >= 40, timeout=20000)
    _click(qtbot, panel.run_button)
    assert not ctl.is_running and ctl.worker is None and ctl._done.is_set()
    assert panel.run_button.text() == "Run"
    runs = panel.comparison.runs
    steps = runs[0].steps
    assert steps >= 40 and all(abs(r.steps - steps) <= 1 for r in runs)
    for run in runs:
        assert len(run.history.records) == run.steps
        alone = _alone(_xor(), list(vary), run.name, run.steps)
        assert [r["loss"] for r in run.history.records] == [r["loss"] for r in alone]
    # Reset: every run back to the start, the same first update again.
    first = [r.history.records[0]["loss"] for r in runs]
    _click(qtbot, panel.reset_button)
    assert all(r.steps == 0 and not r.history.records for r in runs)
    _click(qtbot, panel.step_button)
    assert [r.history.records[0]["loss"] for r in runs] == first


def test_smoothing_and_axes_change_what_is_drawn_not_the_runs(make_window, answers, qtbot):
    w, panel = _window(make_window, answers, qtbot)
    panel.controller.step(30)
    raw = list(panel.plots["loss"].getPlotItem().listDataItems()[0].yData)
    panel.smoothing.setValue(0.9)
    smooth = list(panel.plots["loss"].getPlotItem().listDataItems()[0].yData)
    assert smooth[0] == pytest.approx(raw[0]) and smooth != raw
    assert np.std(np.diff(smooth)) < np.std(np.diff(raw))
    panel.x_kind.setCurrentIndex(1)      # against epochs: 160 samples in batches of 8 = 20 a epoch
    xs = panel.plots["loss"].getPlotItem().listDataItems()[0].xData
    assert xs[-1] == pytest.approx(30 / 20)
    assert panel.plots["loss"].getPlotItem().getAxis("bottom").labelText == "epoch"
    panel.x_kind.setCurrentIndex(2)
    xs = panel.plots["loss"].getPlotItem().listDataItems()[1].xData
    assert all(b >= a for a, b in zip(xs, xs[1:])) and xs[-1] > 0
    panel.tabs.setCurrentIndex([p[0] for p in __import__("backprop_viz.app.compare_panel",
                                                         fromlist=["PLOTS"]).PLOTS].index("grad_norm"))
    assert panel.layer.isVisible() and panel.layer.count() == 2


# -- export, save and reopen -----------------------------------------------------------------------
def test_overlay_plots_export_png_svg_and_csv_one_column_per_run(make_window, answers, qtbot, tmp_path):
    w, panel = _window(make_window, answers, qtbot, ("init=zeros,xavier_uniform,he_normal",))
    panel.controller.step(25)
    answers.save = str(tmp_path / "loss.csv")
    _click(qtbot, panel.export_button)
    rows = list(csv.reader(open(tmp_path / "loss.csv")))
    assert rows[0] == ["update", "zeros", "xavier uniform", "he normal"]
    assert len(rows) == 26 and rows[1][0] == "1"
    for j, run in enumerate(panel.comparison.runs):
        assert [float(r[j + 1]) for r in rows[1:]] == [r["loss"] for r in run.history.records]
    assert panel.export("val_loss", str(tmp_path / "val.csv"))
    val = list(csv.reader(open(tmp_path / "val.csv")))
    # Validation is measured at an epoch's end (update 20) and carried until the next, as headless.
    assert val[0][1:] == ["zeros", "xavier uniform", "he normal"] and [r[0] for r in val[1:]] == \
        [str(s) for s in range(20, 26)]
    for ext in ("png", "svg"):
        assert panel.export("grad_ratio", str(tmp_path / f"ratio.{ext}"))
        assert (tmp_path / f"ratio.{ext}").stat().st_size > 1000
    assert "zeros" in (tmp_path / "ratio.svg").read_text()
    # Zero gradients cannot go on a log axis: the run stays in the legend and says so.
    legend = [label.text for _, label in panel.plots["grad_ratio"].getPlotItem().legend.items]
    assert legend == ["zeros (no positive values: not drawn)", "xavier uniform", "he normal"]
    assert "error" not in answers.kinds()


def test_runs_are_saved_in_the_project_and_reopen_as_they_were(make_window, answers, qtbot, tmp_path):
    w, panel = _window(make_window, answers, qtbot, ("optimizer=sgd,adam", "lr=0.1,0.02"))
    panel.controller.step(15)
    assert w.doc.modified
    path = tmp_path / "cmp.json"
    assert w._save_to(str(path))
    saved = json.loads(path.read_text())
    assert [r["name"] for r in saved["runs"]["runs"]] == ["SGD lr 0.1", "SGD lr 0.02", "Adam lr 0.1", "Adam lr 0.02"]
    before = [(r.name, r.steps, [x["loss"] for x in r.history.records]) for r in panel.comparison.runs]
    w2 = make_window(project=Project.load(path), path=str(path))
    p2 = w2.compare_panel
    assert p2.comparison is not None
    assert [(r.name, r.steps, [x["loss"] for x in r.history.records]) for r in p2.comparison.runs] == before
    qtbot.waitUntil(lambda: p2.table.rowCount() == 4 and p2.table.item(0, 1).text() == "15")
    assert [label.text for _, label in p2.plots["loss"].getPlotItem().legend.items] == [r[0] for r in before]
    # The reopened runs carry on from where they were.
    _click(qtbot, p2.step_button)
    assert [r.steps for r in p2.comparison.runs] == [16] * 4
    assert w2.doc.project.runs is None       # the runs live in the panel; the file gets them from there
    # A file without runs opens as before, with an empty Compare panel.
    plain = tmp_path / "plain.json"
    _xor().save(plain)
    w3 = make_window(project=Project.load(plain), path=str(plain))
    assert w3.compare_panel.comparison is None and not w3.docks["compare"].isVisible()


@pytest.mark.parametrize("where, value, words", [
    (("runs", 1, "history", 3, "loss"), "low", "runs.runs[1].history[3].loss: expected a number or null"),
    (("runs", 0, "steps"), -1, "runs.runs[0].steps: expected a whole number ≥ 0"),
    (("runs", 0, "history", 2, "step"), 99, "runs.runs[0].history[2].step: expected a whole number after 2"),
    (("vary", 0), ["optimizer", "lbfgs"], "runs.vary[0]: unknown optimizer 'lbfgs'"),
    (("runs", 1, "name"), "Nadam", "runs.runs[1].name: expected 'Adam' for these settings"),
    (("base", "network", "layers", 0, "units"), 0, "runs.base.network.layers[0].units"),
])
def test_bad_runs_data_is_refused_with_its_place(make_window, answers, tmp_path, where, value, words):
    from backprop_viz.engine import SpecError
    project = _xor()
    c = Comparison.create(project, [compare.parse_vary("optimizer=sgd,adam")])
    c.step_all(5)
    d = project.with_runs(c.to_dict()).to_dict()
    d = json.loads(json.dumps(d))
    node = d["runs"]
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    with pytest.raises(SpecError) as err:
        Project.load(path)
    assert words in str(err.value)
    w = make_window(project=_xor())
    assert not w.open_path(str(path))
    assert answers.kinds()[-1] == "error" and words in answers.asked[-1][1][1]


# -- acting on one run -----------------------------------------------------------------------------
def test_make_main_run_puts_its_settings_and_weights_into_the_project_undoably(make_window, answers, qtbot):
    w, panel = _window(make_window, answers, qtbot, ("optimizer=sgd,rmsprop",))
    panel.controller.step(10)
    before = w.doc.project
    panel.run_choice.setCurrentIndex(1)
    _click(qtbot, panel.main_button)
    run = panel.comparison.runs[1]
    assert w.doc.project.training["optimizer"]["name"] == "rmsprop"
    for name, value in run.session.net.params.items():
        assert np.array_equal(w.doc.project.network().params[name], value)
    assert "RMSprop" in w.act_undo.text()
    w.act_undo.trigger()
    assert w.doc.project == before


def test_walk_next_update_of_a_run_opens_it_in_the_stepper(make_window, answers, qtbot):
    w, panel = _window(make_window, answers, qtbot)
    panel.controller.step(3)
    panel.run_choice.setCurrentIndex(1)
    _click(qtbot, panel.walk_button)
    qtbot.waitUntil(lambda: w.docks["stepper"].isVisible())
    st = w.stepper_panel
    run = panel.comparison.runs[1]
    about = st.walk_about()
    assert "update 4 of the compared run “Adam”" in about and "weights after update 3" in about
    # Applying it in the stepper leaves the project alone and says where the update is made.
    before = w.doc.project
    st.apply_update()
    assert w.doc.project is before and "Step in the Compare panel makes this update" in st.step_text.toPlainText()
    # The walk's update is the one the run then makes: its batch and its new weights.
    plan = st.stepper.source.plan
    panel.run_choice.setCurrentIndex(1)
    w.set_workspace(TRAIN)
    _click(qtbot, panel.step_button)
    assert np.array_equal(run.session.trainer.last_rows, plan.rows)
    for pu in plan.params:
        assert np.allclose(run.session.net.params[pu.name], pu.new), pu.name


def test_compare_panel_shows_in_train_workspace_only_with_runs(make_window, answers, qtbot):
    from tests.app.helpers import activate
    w = make_window(project=_xor())
    w.set_workspace(TRAIN)
    qtbot.waitUntil(lambda: w.docks["plots"].isVisible())
    assert not w.docks["compare"].isVisible()
    answers.compare = None          # the dialog cancelled: nothing made
    w.compare.action.trigger()
    assert w.compare_panel.comparison is None
    answers.compare = [compare.parse_vary("batch_size=1,full")]
    activate(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert answers.kinds()[-1] == "compare"
    qtbot.waitUntil(lambda: w.docks["compare"].isVisible())
    assert [r.name for r in w.compare_panel.comparison.runs] == ["batch 1", "full batch"]
    assert w.compare_panel.comparison.runs[0].start.training["batch_size"] == 1


def test_decision_boundaries_side_by_side_follow_each_run(make_window, answers, qtbot):
    w, panel = _window(make_window, answers, qtbot, ("optimizer=sgd,adam",))
    panel.tabs.setCurrentIndex(panel.tabs.indexOf(panel.boundaries))
    assert not panel.export_button.isEnabled()
    assert [p.getPlotItem().titleLabel.text for p in panel.boundaries.plots] == ["SGD", "Adam"]
    _click(qtbot, panel.step_button)
    grids = panel.comparison.boundaries
    assert len(grids) == 2
    for run, grid, img in zip(panel.comparison.runs, grids, panel.boundaries.images):
        xs, ys, values = run.session.boundary(grid[2].shape[0])
        assert np.array_equal(values, grid[2])
        assert img.image is not None and img.image.shape == values.T.shape
    # Trained on in the worker, the boundaries keep coming while they are in view.
    _click(qtbot, panel.run_button)
    qtbot.waitUntil(lambda: panel.comparison.boundaries is not grids and panel.comparison.steps > 5, timeout=20000)
    _click(qtbot, panel.run_button)
    assert not panel.controller.is_running


def test_initialisation_lab_compares_gradients_layer_by_layer_at_update_1(make_window, answers, qtbot, tmp_path):
    from pathlib import Path
    deep = Project.load(Path(__file__).resolve().parents[2] / "assets" / "examples" / "deep_sigmoid_vanishing.json")
    w, panel = _window(make_window, answers, qtbot, ("init=zeros,small_normal,xavier_uniform,he_normal",),
                       project=deep)
    panel.controller.step(3)
    panel.tabs.setCurrentIndex([p[0] for p in __import__("backprop_viz.app.compare_panel",
                                                         fromlist=["PLOTS"]).PLOTS].index("grad_layers"))
    assert panel.at_update.isVisible()
    assert panel.export(path=str(tmp_path / "layers.csv"))
    rows = list(csv.reader(open(tmp_path / "layers.csv")))
    n = len(deep.network_spec["layers"])
    assert rows[0] == ["layer", "zeros", "small normal", "xavier uniform", "he normal"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(1, n + 1)]
    for j, run in enumerate(panel.comparison.runs):
        first = run.history.records[0]["grad_norms"]
        assert [float(r[j + 1]) if r[j + 1] else 0.0 for r in rows[1:]] == pytest.approx(first)
    # The classic lesson: a small normal start leaves the first layer's gradient far below He's.
    assert float(rows[1][2]) < 1e-6 * float(rows[1][4])
