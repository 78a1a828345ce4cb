"""The walk, the exports and the window show the network that is really there."""

import multiprocessing
import os
import signal

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from backprop_viz.session.templates import open_template
from backprop_viz.session.training import TrainingSession


def set_activation(w, layer, name):
    w.doc.select(("layer", layer))
    combo = w.inspector.controls["activation"]
    combo.setCurrentText(name)
    combo.activated.emit(combo.currentIndex())


def walk_to_end(panel):
    while panel.step_forward():
        pass


def test_an_edit_rebuilds_the_walk_and_the_derivation_export(qtbot, make_window, tmp_path):
    w = make_window("worked_example")
    panel = w.stepper_panel
    panel.step_forward()
    panel.step_forward()
    assert panel.step_text.toPlainText().startswith("predicted = sigmoid(s)")
    assert "weights initial" in panel.walk_header.text()
    set_activation(w, 1, "relu")
    # The walk is of the edited network at once, and says so.
    assert "relu" in panel.step_text.toPlainText()
    assert "weights as edited" in panel.walk_header.text()
    assert not panel.stale
    path = tmp_path / "d.md"
    assert w.exports.derivation(str(path))
    text = path.read_text()
    assert "relu" in text and "sigmoid(" not in text
    assert "Walk of update 1 of this run" in text and "weights as edited" in text


def test_an_export_never_writes_a_stale_walk(qtbot, make_window, tmp_path):
    w = make_window("worked_example")
    panel = w.stepper_panel
    panel.frozen = True            # as while training runs: the walk is not rebuilt
    set_activation(w, 1, "tanh")
    assert panel.stale and "Out of date" in panel.walk_header.text()
    panel.set_frozen(False)
    assert not panel.stale and "tanh" in panel.stepper.describe(panel.stepper.steps[1])
    path = tmp_path / "d.csv"
    assert w.exports.derivation(str(path))
    assert "tanh" in path.read_text()


def test_the_walks_update_is_adams_and_applying_it_is_the_next_training_update(qtbot, make_window):
    p = open_template("xor")
    p = p.with_training({**p.training, "optimizer": {"name": "adam", "lr": 0.02}, "batch_size": 8,
                         "clip_grad_norm": 0.3})
    w = make_window(project=p)
    w.act_step.trigger()
    w.act_step.trigger()
    qtbot.mouseClick(w.training_panel.walk_btn, Qt.MouseButton.LeftButton)
    panel = w.stepper_panel
    st = panel.stepper
    assert "update 3 of this run" in panel.walk_header.text()
    assert "weights after update 2" in panel.walk_header.text()
    st.run_to_end_of_backward()
    panel.step_forward()
    text = panel.step_text.toPlainText()
    assert text.startswith("Optimizer: Adam, learning rate 0.02")
    assert "m ← β1·m + (1 − β1)·g" in text and "v̂ = v/(1 − β2^t)" in text and "(t = 3)" in text
    expected = st.source.plan.new_parameters
    qtbot.mouseClick(panel.findChild(QToolButton, "applyButton"), Qt.MouseButton.LeftButton)
    assert "Training made exactly this update (update 3 of the run)" in panel.step_text.toPlainText()
    assert w.training.steps == 3
    for name, value in w.doc.project.network().params.items():
        assert np.array_equal(value, expected[name])
    # Walking and applying, then training on, is the run trained straight through.
    for _ in range(4):
        w.act_step.trigger()
    straight = TrainingSession(p)
    for _ in range(7):
        straight.trainer.step()
    for name, value in w.doc.project.network().params.items():
        assert np.array_equal(value, straight.net.params[name]), name


def test_training_is_one_undo_entry_and_redo_brings_it_back(qtbot, make_window):
    w = make_window("xor")
    before = w.doc.project.network_spec
    for _ in range(3):
        w.act_step.trigger()
    w.act_step_epoch.trigger()
    trained = w.doc.project.network_spec
    steps, loss_points = w.training.steps, len(w.plots.loss_curve.getData()[0])
    assert steps > 3 and w.act_undo.text().startswith("&Undo Train")
    assert w.status_step.text() == f"step {steps}"
    w.act_undo.trigger()          # the epoch
    w.act_undo.trigger()          # the three single steps, one entry each
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert w.doc.project.network_spec == before
    assert w.training.steps == 0 and w.status_step.text() == "step 0"
    assert "weights initial" in w.stepper_panel.walk_header.text()
    assert "update 1 of this run" in w.stepper_panel.walk_header.text()
    for _ in range(4):
        w.act_redo.trigger()
    assert w.doc.project.network_spec == trained
    assert w.training.steps == steps and w.status_step.text() == f"step {steps}"
    assert len(w.plots.loss_curve.getData()[0]) == loss_points
    assert f"update {steps + 1} of this run" in w.stepper_panel.walk_header.text()
    # Training on from the redone state continues that run's count.
    w.act_step.trigger()
    assert w.training.steps == steps + 1


def test_undo_while_training_takes_back_that_stretch(qtbot, make_window):
    w = make_window("xor")
    w.act_step.trigger()
    after_one = w.doc.project.network_spec
    with qtbot.waitSignal(w.training.snapshot, timeout=20000):
        qtbot.mouseClick(w.training_panel.train_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.training.steps > 50, timeout=20000)
    w.act_undo.trigger()
    assert w.training.state != "running"
    assert w.doc.project.network_spec == after_one and w.training.steps == 1


def test_a_killed_training_process_keeps_the_last_weights_received(qtbot, make_window, answers):
    w = make_window("xor")
    with qtbot.waitSignal(w.training.snapshot, timeout=20000):
        qtbot.mouseClick(w.training_panel.train_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.training.last_snapshot is not None and w.training.last_snapshot.step > 200,
                    timeout=20000)
    with qtbot.waitSignal(w.training.failed, timeout=20000) as failed:
        os.kill(w.training.proc.pid, signal.SIGKILL)
    snap = w.training.last_snapshot
    message = failed.args[0]
    assert f"the weights of update {snap.step:,}" in message and "are kept" in message
    assert w.training.steps == snap.step and w.training.state == "paused"
    for name, value in w.doc.project.network().params.items():
        assert np.array_equal(value, snap.params[name])
    assert w.act_undo.text().startswith("&Undo Train")
    # Train continues from the kept weights in a new process.
    w.act_step.trigger()
    assert w.training.steps == snap.step + 1
    assert [p for p in multiprocessing.active_children() if p.name == "backprop-viz training"]


def test_the_selected_weights_optimizer_state_is_shown_live(qtbot, make_window):
    p = open_template("xor")
    p = p.with_training({**p.training, "optimizer": {"name": "adam", "lr": 0.02}})
    w = make_window(project=p)
    w.doc.select(("edge", 0, 1, 2))
    box = w.inspector.optimizer_box
    assert not box.isHidden() and "no state yet for W1[2,3]" in box.text.text()
    w.act_step.trigger()
    w.act_step.trigger()
    text = box.text.text()
    assert text.startswith("Adam after 2 updates: m = ")
    # The numbers are the training process's own optimizer state for that element.
    session = TrainingSession(p)
    session.trainer.step()
    session.trainer.step()
    from backprop_viz.engine.update_plan import state_by_param
    m = state_by_param(session.net, session.trainer.optimizer.state)["layers.0.weight"]["exp_avg"][1, 2]
    from backprop_viz.engine.formatting import fmt
    assert f"m = {fmt(m, 6)}" in text
    assert "effective rate lr/(√(corrected v) + ε)" in text
    w.act_undo.trigger()
    w.act_undo.trigger()
    assert "no state yet" in box.text.text()
