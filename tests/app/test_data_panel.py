"""Choosing, importing and editing data in the app."""

import csv

import numpy as np
from PySide6.QtCore import QPointF, Qt

from backprop_viz.app.csv_import_dialog import CsvImportDialog


def show_big(qtbot, w):
    """The data view on its own, large enough to click in, with its range set."""
    dock = w.docks["data"]
    dock.setFloating(True)
    dock.resize(700, 800)
    qtbot.waitUntil(lambda: w.data_panel.plot.height() > 300)
    w.data_panel.plot.getPlotItem().getViewBox().autoRange()


def click_plot(qtbot, panel, x, y, button=Qt.MouseButton.LeftButton, modifier=Qt.KeyboardModifier.NoModifier):
    vb = panel.plot.getPlotItem().getViewBox()
    vb.autoRange()
    scene_pt = vb.mapViewToScene(QPointF(x, y))
    pos = panel.plot.mapFromScene(scene_pt)
    qtbot.mouseClick(panel.plot.viewport(), button, modifier, pos)


def full_batch(w):
    t = dict(w.doc.project.training, batch_size=None)
    w.doc.apply(w.doc.project.with_training(t), "full batch")


def test_clicking_adds_and_right_clicking_removes_points_for_the_trainer(qtbot, make_window):
    w = make_window("xor")
    full_batch(w)
    show_big(qtbot, w)
    panel = w.data_panel
    n_train = len(w.doc.project.arrays()[0])
    panel.point_class.setCurrentIndex(1)
    click_plot(qtbot, panel, 0.5, 0.5)
    X, T, _, _ = w.doc.project.arrays()
    assert len(X) == n_train + 1
    assert np.allclose(X[-1], [0.5, 0.5], atol=0.02) and T[-1, 0] == 1.0
    click_plot(qtbot, panel, -0.6, 0.6, modifier=Qt.KeyboardModifier.ShiftModifier)
    X, T, _, _ = w.doc.project.arrays()
    assert T[-1, 0] == 0.0          # Shift: the other class
    net, Xb, Tb = w.training.batch("next")
    assert len(Xb) == n_train + 2   # the trainer uses the edited set
    click_plot(qtbot, panel, 0.5, 0.5, button=Qt.MouseButton.RightButton)
    assert len(w.doc.project.arrays()[0]) == n_train + 1
    net, Xb, Tb = w.training.batch("next")
    assert len(Xb) == n_train + 1
    w.doc.undo_stack.undo()
    assert len(w.doc.project.arrays()[0]) == n_train + 2


def test_points_added_while_training_reach_the_running_trainer(qtbot, make_window):
    w = make_window("xor")
    full_batch(w)
    n_train = len(w.doc.project.arrays()[0])
    with qtbot.waitSignal(w.training.snapshot, timeout=20000):
        w.training.train()
    w.data_panel.add_point(0.3, 0.3)
    qtbot.waitUntil(lambda: w.training.last_snapshot is not None and w.training.steps > 50, timeout=20000)
    w.training.pause()
    net, Xb, _ = w.training.batch("next")
    assert len(Xb) == n_train + 1


def test_choosing_the_digits_adapts_the_network_after_asking(qtbot, make_window, answers):
    w = make_window("xor")
    panel = w.data_panel
    index = next(i for i, c in enumerate(panel._choices) if c[0] == "digits")
    answers.yes_no = False
    panel.choice.setCurrentIndex(index)
    panel.choice.activated.emit(index)
    assert w.doc.project.network_spec["inputs"] == 2
    assert panel.choice.currentText().startswith("XOR")
    answers.yes_no = True
    panel.choice.activated.emit(index)
    spec = w.doc.project.network_spec
    assert spec["inputs"] == 64 and spec["layers"][-1]["units"] == 10 and spec["loss"] == "cross_entropy"
    assert panel.stack.currentWidget() is panel.table
    assert panel.table.model().columnCount() == 74
    assert "1438 training and 359 validation" in panel.caption.text()


def test_data_settings_and_derived_features(qtbot, make_window, answers):
    w = make_window("xor")
    panel = w.data_panel
    panel.samples.setValue(100)
    panel.samples.editingFinished.emit()
    assert w.doc.project.data["samples"] == 100
    answers.yes_no = True
    panel.features["x1*x2"].setChecked(True)
    assert w.doc.project.data["features"] == ["x1*x2"]
    assert w.doc.project.network_spec["inputs"] == 3
    assert panel.stack.currentWidget() is panel.plot     # still drawn in the plane of x1, x2


def test_csv_import_dialog(qtbot, tmp_path):
    text = "a,b,kind\n0.1,0.2,0\n0.3,0.1,1\n0.5,0.9,2\n0.2,0.4,1\n"
    dlg = CsvImportDialog(text, "k.csv")
    qtbot.addWidget(dlg)
    assert dlg.header == ["a", "b", "kind"]
    assert dlg.task.currentText() == "classification"
    assert "2 input(s) and 3 output(s)" in dlg.summary.text()
    dlg.roles[1].setCurrentText("target")
    assert "classification takes one class column" in dlg.error.text()
    assert not dlg.buttons.button(dlg.buttons.StandardButton.Ok).isEnabled()
    dlg.roles[1].setCurrentText("ignore")
    dlg.accept()
    assert np.array(dlg.result_data["X"]).shape == (4, 1)


def test_import_from_the_panel(qtbot, make_window, answers, tmp_path, monkeypatch):
    from backprop_viz.app import dialogs
    f = tmp_path / "pts.csv"
    f.write_text("x1,x2,y\n0,0,0\n1,0,1\n0,1,1\n1,1,0\n")
    answers.open = str(f)
    monkeypatch.setattr(dialogs, "import_csv", lambda parent, text, source: CsvImportDialog(text, source).build())
    w = make_window("xor")
    assert w.data_panel.import_csv()
    assert w.doc.project.data["source"] == "pts.csv"
    assert len(w.doc.project.data["X"]) == 4


def test_bad_csv_from_the_panel_is_reported(qtbot, make_window, answers, tmp_path, monkeypatch):
    from backprop_viz.app import dialogs
    f = tmp_path / "bad.csv"
    f.write_text("x1,x2,y\n0,0,0\n1,zz,1\n")
    answers.open = str(f)
    monkeypatch.setattr(dialogs, "import_csv", lambda parent, text, source: CsvImportDialog(text, source).build())
    w = make_window("xor")
    before = w.doc.project
    assert not w.data_panel.import_csv()
    assert answers.kinds()[-1] == "error"
    assert "bad.csv line 3, column 2: not a number: 'zz'" in answers.asked[-1][1][1]
    assert w.doc.project is before


def test_export_csv(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    answers.save = str(tmp_path / "out.csv")
    assert w.data_panel.export_csv()
    rows = list(csv.reader(open(tmp_path / "out.csv")))
    assert rows[0] == ["x1", "x2", "t1", "split"] and len(rows) == 201


def test_every_class_has_its_own_colour_and_none_is_white(qtbot, make_window, answers):
    from backprop_viz.app.theme import class_rgb
    colours = [class_rgb(k) for k in range(40)]
    assert len(set(colours)) == 40
    assert all(min(c) < 200 for c in colours)         # no near-white class on a white plot
    w = make_window("xor")
    answers.yes_no = True       # adapt the output layer to three classes
    panel = w.data_panel
    combo = panel.choice
    i = combo.findText("Blobs (3 classes)")
    assert i >= 0
    combo.setCurrentIndex(i)
    combo.activated.emit(i)
    qtbot.waitUntil(lambda: w.doc.project.data.get("name") == "blobs")
    _, T, _, _ = w.doc.project.arrays()
    brushes = panel.train_points.data["brush"]
    drawn = {}
    for k, b in zip(T.argmax(axis=1), brushes):
        c = b.color()
        drawn.setdefault(int(k), set()).add((c.red(), c.green(), c.blue()))
    assert set(drawn) == {0, 1, 2}
    assert all(len(v) == 1 for v in drawn.values())
    assert len({next(iter(v)) for v in drawn.values()}) == 3
    assert (245, 245, 245) not in {next(iter(v)) for v in drawn.values()}
