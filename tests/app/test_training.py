"""Live training from the app: real training in its own process, watched through signals."""

import multiprocessing

from PySide6.QtCore import Qt


def start(qtbot, w):
    with qtbot.waitSignal(w.training.snapshot, timeout=20000):
        qtbot.mouseClick(w.training_panel.train_btn, Qt.MouseButton.LeftButton)


def test_train_pause_and_the_plots_receive_data(qtbot, make_window):
    w = make_window("xor")
    w.set_workspace("train")          # the live plots on screen: only what is shown is drawn
    before = w.doc.project.network_spec["layers"][0]["weight"]
    start(qtbot, w)
    assert w.training.state == "running"
    assert w.training_panel.train_btn.text() == "Pause"
    qtbot.waitUntil(lambda: w.training.steps > 500, timeout=20000)
    qtbot.mouseClick(w.training_panel.train_btn, Qt.MouseButton.LeftButton)
    assert w.training.state == "paused"
    # The tab in front catches up with the last update within a frame.
    qtbot.waitUntil(lambda: w.plots.loss_curve.getData()[0] is not None
                    and w.plots.loss_curve.getData()[0][-1] == w.training.steps, timeout=5000)
    x, y = w.plots.loss_curve.getData()
    assert len(x) > 10
    # A tab behind others is drawn when it comes to the front.
    w.plots.tabs.setCurrentIndex(w.plots._tab_index("Gradients"))
    gx, gy = w.plots.norm_curves[0].getData()
    assert len(gx) > 10
    assert w.doc.project.network_spec["layers"][0]["weight"] != before
    assert w.doc.modified
    assert w.status_step.text() == f"step {w.training.steps}"
    assert w.plots.alert.title.text() == "<b>Healthy gradients</b>"
    # Resuming continues the same run.
    steps = w.training.steps
    start(qtbot, w)
    qtbot.waitUntil(lambda: w.training.steps > steps + 100, timeout=20000)
    w.training.pause()
    w.plots.tabs.setCurrentIndex(w.plots._tab_index("Loss"))
    x2, _ = w.plots.loss_curve.getData()
    assert x2[-1] > x[-1]


def test_deep_sigmoid_shows_vanishing(qtbot, make_window):
    w = make_window("deep_sigmoid")
    w.act_step.trigger()
    assert w.plots.alert.title.text() == "<b>Vanishing gradients</b>"
    assert "layer 1 gradient is" in w.plots.alert.evidence.text()
    assert "relu" in w.plots.alert.advice.text()
    assert w.status_health.text().startswith("gradients: vanishing")
    w.plots._dirty = True
    w.plots._slow_update()
    assert w.plots.table.rowCount() == 10
    assert w.plots.table.item(0, 1).text() == "sigmoid"


def test_large_init_shows_exploding(qtbot, make_window):
    w = make_window("exploding")
    w.act_step.trigger()
    assert w.plots.alert.title.text() in ("<b>Exploding gradients</b>", "<b>Training diverged</b>")
    assert "gradient norm is" in w.plots.alert.evidence.text() or "non-finite" in w.plots.alert.evidence.text()


def test_divergence_pauses_marks_and_opens_the_step(qtbot, make_window, answers):
    w = make_window("exploding")
    w.set_workspace("train")
    w.training_panel.fields["lr"].setText("1")
    w.training_panel.fields["lr"].editingFinished.emit()
    assert w.doc.project.training["optimizer"]["lr"] == 1.0
    start(qtbot, w)
    qtbot.waitUntil(lambda: w.training.state == "diverged", timeout=20000)
    qtbot.waitUntil(lambda: bool(w.plots.markers), timeout=5000)     # drawn at the next frame
    assert w.plots.alert.title.text() == "<b>Training diverged</b>"
    assert "went non-finite" in w.plots.alert.evidence.text()
    assert w.plots.markers and "diverged" in w.plots.markers[0].label.textItem.toPlainText()
    assert not w.plots.alert.open_step.isHidden()
    qtbot.mouseClick(w.plots.alert.open_step, Qt.MouseButton.LeftButton)
    st = w.stepper_panel.stepper
    assert st.level == "layer" and st.trace.X.shape[0] == 160
    # The app keeps working; Reset recovers.
    w.act_reset.trigger()
    assert w.training.state == "idle" and w.history_points() == 0 if hasattr(w, "history_points") else True
    w.act_step.trigger()
    assert w.training.steps == 1


def test_live_learning_rate_change(qtbot, make_window):
    w = make_window("xor")
    start(qtbot, w)
    field = w.training_panel.fields["lr"]
    assert field.isEnabled()
    assert not w.training_panel.optimizer.isEnabled()
    field.setText("0.001")
    field.editingFinished.emit()
    qtbot.waitUntil(lambda: w.training.last_snapshot.records[-1]["lr"] == 0.001, timeout=20000)
    w.training.pause()


def test_structure_edits_wait_for_pause(qtbot, make_window):
    w = make_window("xor")
    start(qtbot, w)
    assert not w.editor.add_neuron(0)
    assert "pause training" in w.statusBar().currentMessage()
    w.training.pause()
    assert w.editor.add_neuron(0)


def test_walk_the_next_update(qtbot, make_window):
    w = make_window("xor")
    w.act_step.trigger()
    qtbot.mouseClick(w.training_panel.walk_btn, Qt.MouseButton.LeftButton)
    st = w.stepper_panel.stepper
    assert st.level == "layer" and st.trace.X.shape[0] == 32
    weights = w.doc.project.network_spec["layers"][0]["weight"]
    assert st.network.params["layers.0.weight"].tolist() == weights


def test_worker_errors_are_shown_and_the_app_goes_on(qtbot, make_window, answers):
    w = make_window("xor")
    w.act_step.trigger()
    with qtbot.waitSignal(w.training.failed, timeout=10000):
        w.training._send("bogus")
    assert answers.kinds()[-1] == "error"
    assert "unknown message" in answers.asked[-1][1][1]
    w.act_step.trigger()
    assert w.training.steps == 2


def test_closing_the_window_ends_the_training_process(qtbot, make_window):
    w = make_window("xor")
    start(qtbot, w)
    proc = w.training.proc
    assert proc.is_alive()
    w.doc.undo_stack.setClean()
    w.close()
    assert not proc.is_alive()
    assert not [p for p in multiprocessing.active_children() if p.name == "backprop-viz training"]


def test_opening_another_file_stops_training(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    start(qtbot, w)
    proc = w.training.proc
    answers.save_discard_cancel = "discard"
    assert w.new_project("worked_example")
    assert not proc.is_alive()
    assert w.training.state == "idle"


def test_loss_against_epochs(qtbot, make_window):
    w = make_window("xor")          # 160 training samples in batches of 32: 5 updates an epoch
    w.set_workspace("train")
    w.act_step_epoch.trigger()
    w.act_step_epoch.trigger()
    x, _ = w.plots.loss_curve.getData()
    assert x[-1] == 10
    w.plots.x_axis.setCurrentIndex(1)
    x, _ = w.plots.loss_curve.getData()
    assert x[-1] == 2.0
    assert w.plots.loss_plot.getAxis("bottom").labelText == "epoch"


def test_schedule_and_its_settings(qtbot, make_window):
    w = make_window("xor")
    panel = w.training_panel
    panel.schedule.setCurrentText("step")
    panel.schedule.activated.emit(panel.schedule.currentIndex())
    assert w.doc.project.training["schedule"] == {"name": "step", "step_size": 10, "gamma": 0.1}
    assert panel.schedule_params.text() == "step_size=10, gamma=0.1"
    panel.schedule_params.setText("step_size=2, gamma=0.5")
    panel.schedule_params.editingFinished.emit()
    assert w.doc.project.training["schedule"] == {"name": "step", "step_size": 2, "gamma": 0.5}
    panel.schedule_params.setText("gamma=lots")
    panel.schedule_params.editingFinished.emit()
    assert "write settings as name=number" in panel.error.text()
    panel.schedule_params.setText("gama=0.5")
    panel.schedule_params.editingFinished.emit()
    assert "not a setting of step" in panel.error.text()
    assert w.doc.project.training["schedule"]["gamma"] == 0.5
    for _ in range(2):
        w.act_step_epoch.trigger()
    w.act_step.trigger()
    assert w.training.last_snapshot.records[-1]["lr"] == 0.05 * 0.5


def test_layer_table_shows_the_records_numbers(qtbot, make_window):
    w = make_window("deep_relu")
    w.act_step.trigger()
    w.plots._dirty = True
    w.plots._slow_update()
    rec = w.training.last_snapshot.records[-1]
    table = w.plots.table
    assert table.item(0, 2).text() == f"{rec['grad_norms'][0]:.3g}"
    assert table.item(0, 3).text() == f"{rec['weight_norms'][0]:.3g}"
    assert table.item(9, 1).text() == "sigmoid"
    assert table.item(0, 6).text().endswith("%")          # dead-ReLU share for a relu layer
    from backprop_viz.engine.formatting import fmt
    assert w.status_loss.text() == "loss " + fmt(rec["loss"], 6)
