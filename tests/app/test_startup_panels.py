"""The first window builds only what it shows: the Train workspace's plots and the Compare panel
are made when first shown (or first fed), and then work as if they had always been there."""

import copy
import json
import os
import subprocess
import sys

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QMenu

from backprop_viz.app import export_actions
from backprop_viz.app.export_actions import PLOT_NAMES, plots_of
from backprop_viz.session import compare
from backprop_viz.session.layout_geometry import BUILD, TRAIN

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Loaded when first used, never for the first painted window.
NOT_AT_FIRST_PAINT = ("backprop_viz.app.plots_panel", "backprop_viz.app.compare_panel",
                      "backprop_viz.app.compare_controller", "backprop_viz.session.compare_runs",
                      "backprop_viz.session.lessons", "av", "numpy.ma")


def plot_widgets(widget) -> list:
    return widget.findChildren(pg.PlotWidget)


def activate(qtbot, w):
    w.activateWindow()
    w.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)


def test_the_first_window_builds_no_plot_it_does_not_show(qtbot, make_window):
    w = make_window("xor")
    assert w.workspace == BUILD
    painted = []

    class Painted(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                painted.append(obj)
            return False
    watch = Painted()
    w.canvas.viewport().installEventFilter(watch)
    w.canvas.viewport().update()
    qtbot.waitUntil(lambda: bool(painted))
    assert not w._plots_slot.is_built and not w.compare.built
    assert plot_widgets(w.docks["plots"]) == [] and plot_widgets(w.docks["compare"]) == []
    # The one plot on screen: the data panel's.
    assert plot_widgets(w) == [w.data_panel.plot]
    assert w.status_step.text() == "step 0"


def test_ctrl_3_builds_the_live_plots_and_a_step_draws_on_them(qtbot, make_window):
    w = make_window("xor")
    activate(qtbot, w)
    qtbot.keyClick(w, "3", Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.docks["plots"].isVisible())
    assert w.workspace == TRAIN and w._plots_slot.is_built
    plots = w.plots
    assert plots.isVisible() and plots.loss_plot.isVisible()
    assert len(plot_widgets(w.docks["plots"])) == 8
    assert plots.tabs.tabText(plots.tabs.currentIndex()) == "Loss"
    # The Compare panel is a tab behind the plots and has no runs: still not built.
    assert not w.compare.built
    w.act_step.trigger()
    qtbot.waitUntil(lambda: w.status_step.text() == "step 1", timeout=20000)
    qtbot.waitUntil(lambda: plots.loss_curve.getData()[0] is not None and len(plots.loss_curve.getData()[0]) == 1)
    assert np.isfinite(plots.loss_curve.getData()[1]).all()
    assert len(plots.norm_curves) == 2
    assert plots.alert.title.text() == "<b>Healthy gradients</b>"


def _curves(plots) -> dict:
    """Every curve's points on the loss, gradient-norm and lesson plots (NaN as None)."""
    plots.draw_all()
    out = {}
    for name, plot in (("loss", plots.loss_plot), ("norms", plots.norm_plot), ("lesson", plots.lesson_plot)):
        out[name] = [[None if a is None else [None if v != v else v for v in np.asarray(a).tolist()]
                      for a in item.getData()] for item in plot.getPlotItem().listDataItems()]
    return out


def test_steps_taken_before_the_plots_exist_are_on_them(qtbot, make_window):
    """Stepping in the Build workspace, then opening Train, shows what stepping in Train shows."""
    a = make_window("deep_sigmoid")
    a.set_workspace(TRAIN)
    b = make_window("deep_sigmoid")
    assert not b._plots_slot.is_built
    for w in (a, b):
        for _ in range(3):
            w.act_step.trigger()
        qtbot.waitUntil(lambda w=w: w.status_step.text() == "step 3", timeout=20000)
    b.set_workspace(TRAIN)
    qtbot.waitUntil(lambda: b.docks["plots"].isVisible())
    curves = _curves(b.plots)
    assert len(curves["loss"][0][0]) == 3 and len(curves["norms"]) == 10
    assert curves == _curves(a.plots)
    assert b.plots.alert.title.text() == a.plots.alert.title.text() == "<b>Vanishing gradients</b>"
    assert b.plots.lesson_text.text() == a.plots.lesson_text.text()


def test_a_network_changed_before_the_plots_exist_is_the_one_they_show(qtbot, make_window):
    w = make_window("xor")
    spec = copy.deepcopy(w.doc.project.network_spec)
    spec["layers"][0]["activation"] = "relu"
    w.doc.apply(w.doc.project.with_network(spec), "relu")
    w.set_workspace(TRAIN)
    qtbot.waitUntil(lambda: w.plots.isVisible())
    assert w.plots.run_label == "1 relu hidden"
    assert [a.name for a in w.plots.activations] == ["relu", "sigmoid"]
    # Built, it follows the next change too.
    spec = copy.deepcopy(w.doc.project.network_spec)
    spec["layers"][0]["activation"] = "tanh"
    w.doc.apply(w.doc.project.with_network(spec), "tanh")
    assert w.plots.run_label == "1 tanh hidden"


def test_a_saved_train_layout_builds_the_plots_with_the_window(qtbot, make_window):
    w = make_window("xor")
    w.set_workspace(TRAIN)
    w.docks["data"].hide()
    qtbot.waitUntil(lambda: (w.resize(760, 700), w.width() == 760)[1])
    w.save_layout()
    w.settings.sync()
    w2 = make_window("xor")
    assert w2.workspace == TRAIN and w2.layout_.restored
    qtbot.waitUntil(lambda: w2.docks["plots"].isVisible())
    assert w2._plots_slot.is_built and w2.plots.loss_plot.isVisible()


def test_the_compare_panel_is_built_when_runs_are_made(qtbot, make_window, answers):
    w = make_window("xor")
    assert not w.compare.built
    answers.compare = [compare.parse_vary("optimizer=sgd,adam")]
    w.compare.action.trigger()
    assert w.compare.built and w.compare.has_runs
    qtbot.waitUntil(lambda: w.docks["compare"].isVisible())
    assert w.compare_panel.run_choice.count() == 2


def test_a_new_document_gets_fresh_unbuilt_panels(qtbot, make_window, answers):
    w = make_window("xor")
    w.set_workspace(TRAIN)
    qtbot.waitUntil(lambda: w._plots_slot.is_built)
    w.set_workspace(BUILD)
    answers.save_discard_cancel = "discard"
    assert w.new_project("worked_example")
    assert not w._plots_slot.is_built and not w.compare.built
    w.set_workspace(TRAIN)
    qtbot.waitUntil(lambda: w.plots.isVisible())
    assert w.plots.n_layers == len(w.doc.project.network_spec["layers"]) == 1


def test_the_export_menu_lists_every_plot_without_building_them(make_window):
    w = make_window("xor")
    plots_menu = next(m for m in w.export_menu.findChildren(QMenu) if m.title().startswith("Plot"))
    assert len(plots_menu.actions()) == len(PLOT_NAMES)
    assert not w._plots_slot.is_built
    assert list(plots_of(w)) == list(PLOT_NAMES)      # the names match the plots they export


def test_the_mp4_encoder_is_looked_for_when_the_export_menu_opens(make_window, monkeypatch):
    asked = []
    monkeypatch.setattr(export_actions, "mp4_available", lambda: asked.append(1) or False)
    w = make_window("worked_example")
    assert asked == []
    w.export_menu.aboutToShow.emit()
    assert asked == [1]
    assert "Walk as MP4 video…" not in [a.text() for a in w.export_menu.actions() if a.isVisible()]
    w.export_menu.aboutToShow.emit()
    assert asked == [1]


def test_the_first_painted_window_has_not_loaded_what_it_does_not_show(tmp_path):
    code = f"""
import json, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from backprop_viz.app.application import create_window, make_app
app = make_app()
window, error = create_window(None, "xor", welcome=False)
window.persist_layout = False
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "modules"):
            self.modules = [m for m in {NOT_AT_FIRST_PAINT!r} if m in sys.modules]
            QTimer.singleShot(0, app.quit)
        return False
watch = FirstPaint()
window.installEventFilter(watch)
window.show()
QTimer.singleShot(20000, app.quit)
app.exec()
print(json.dumps(getattr(watch, "modules", "no paint")))
window.doc.undo_stack.setClean()
window.close()
"""
    env = dict(os.environ, PYTHONPATH=ROOT, QT_QPA_PLATFORM="offscreen", BACKPROP_VIZ_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.usefixtures("qapp")
def test_icons_from_the_one_font_are_qtawesomes_own():
    import re

    import qtawesome as qta

    from backprop_viz.app.icons import icon
    names = set()
    app_dir = os.path.join(ROOT, "backprop_viz", "app")
    for f in os.listdir(app_dir):
        if f.endswith(".py"):
            with open(os.path.join(app_dir, f), encoding="utf-8") as fh:
                names |= set(re.findall(r'"(fa6s\.[a-z0-9-]+)"', fh.read()))
    assert len(names) > 20
    for name in sorted(names):
        ours = icon(name)
        assert ours is not None, name
        assert ours.pixmap(32, 32).toImage() == qta.icon(name).pixmap(32, 32).toImage(), name


@pytest.mark.parametrize("n", [1, 2, 3, 20, 21, 631])
def test_the_canvas_weight_scale_is_numpys_percentile(n):
    from backprop_viz.app.network_canvas import _percentile_95
    rng = np.random.default_rng(n)
    for _ in range(50):
        v = np.abs(rng.standard_normal(n)) * 10 ** rng.uniform(-6, 6)
        assert _percentile_95(v) == float(np.percentile(v, 95))


def test_the_run_before_a_network_change_stays_on_the_lesson_plot(qtbot, make_window):
    w = make_window("deep_sigmoid")
    w.set_workspace(TRAIN)
    qtbot.waitUntil(lambda: w.plots.isVisible())
    for _ in range(3):
        w.act_step.trigger()
    qtbot.waitUntil(lambda: w.status_step.text() == "step 3", timeout=20000)
    w.plots.tabs.setCurrentIndex(w.plots._tab_index("Lesson"))
    spec = copy.deepcopy(w.doc.project.network_spec)
    for layer in spec["layers"][:-1]:
        layer["activation"] = "relu"
    w.doc.apply(w.doc.project.with_network(spec), "relu")
    x, y = w.plots.before_curve.getData()
    assert x is not None and len(x) == 3
    assert w.plots.before[0].endswith("sigmoid hidden")


@pytest.mark.parametrize("way", ["Ctrl+3", "View menu"])
def test_the_window_is_split_as_with_panels_built_up_front(qtbot, answers, monkeypatch, way):
    from backprop_viz.app import compare_actions, main_window
    from backprop_viz.app.lazy_panel import LazyPanel
    from backprop_viz.session.templates import open_template

    class BuiltAtOnce(LazyPanel):
        """The panels as they were made before: with the window."""
        def __init__(self, factory, name):
            super().__init__(factory, name)
            self.panel()

    def train_split(eager: bool) -> dict:
        with monkeypatch.context() as m:
            if eager:
                m.setattr(main_window, "LazyPanel", BuiltAtOnce)
                m.setattr(compare_actions, "LazyPanel", BuiltAtOnce)
            w = main_window.MainWindow(open_template("xor"), welcome=False)
        assert w._plots_slot.is_built == w.compare.built == eager
        qtbot.addWidget(w)
        w.persist_layout = False
        w.resize(1300, 900)
        w.show()
        qtbot.waitExposed(w)
        activate(qtbot, w)
        if way == "Ctrl+3":
            qtbot.keyClick(w, "3", Qt.KeyboardModifier.ControlModifier)
        else:
            w.docks["plots"].toggleViewAction().trigger()       # View › Live plots
        qtbot.waitUntil(lambda: w.docks["plots"].isVisible())
        for _ in range(5):
            QApplication.processEvents()
        sizes = [{k: d.geometry().getRect() for k, d in w.docks.items() if d.isVisible()}]
        # Runs to compare: the Compare panel comes to the front of the plots' row.
        answers.compare = [compare.parse_vary("optimizer=sgd,adam")]
        w.compare.action.trigger()
        qtbot.waitUntil(lambda: w.docks["compare"].isVisible())
        for _ in range(5):
            QApplication.processEvents()
        sizes.append({k: d.geometry().getRect() for k, d in w.docks.items() if d.isVisible()})
        w.doc.undo_stack.setClean()
        w.close()
        return sizes
    before, now = train_split(eager=True), train_split(eager=False)
    assert now == before
    if way == "Ctrl+3":
        assert now[0]["plots"][2] > 2 * now[0]["data"][2]      # the plots get most of the width
