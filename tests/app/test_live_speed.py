"""Live training leaves the window free: only the tab in front is redrawn, the training process
computes only the views on screen, and the rate label counts training time only."""

from PySide6.QtCore import Qt


def start(qtbot, w):
    with qtbot.waitSignal(w.training.snapshot, timeout=20000):
        qtbot.mouseClick(w.training_panel.train_btn, Qt.MouseButton.LeftButton)


def test_hidden_tabs_are_not_redrawn_while_training(qtbot, make_window):
    w = make_window("xor")
    w.set_workspace("train")
    plots = w.plots
    plots.tabs.setCurrentIndex(plots._tab_index("Accuracy"))
    start(qtbot, w)
    plots.redraws.clear()
    qtbot.waitUntil(lambda: plots.redraws["Accuracy"] >= 5, timeout=20000)
    w.training.pause()
    assert set(plots.redraws) == {"Accuracy"}
    # The validation accuracy the user reads is there, measured on its time budget.
    x, vacc = plots.val_acc_curve.getData()
    assert x is not None and len(x) > 0
    # Another tab is brought up to date the moment it comes to the front.
    plots.tabs.setCurrentIndex(plots._tab_index("Loss"))
    assert plots.redraws["Loss"] == 1
    x, _ = plots.loss_curve.getData()
    assert x[-1] == w.training.steps


def test_a_hidden_plots_panel_draws_nothing_until_shown(qtbot, make_window):
    w = make_window("xor")
    w.set_workspace("walk")
    assert not w.plots.isVisible()
    start(qtbot, w)
    w.plots.redraws.clear()
    n = w.training.steps
    qtbot.waitUntil(lambda: w.training.steps > n + 200, timeout=20000)
    w.training.pause()
    assert not w.plots.redraws
    w.set_workspace("train")
    qtbot.waitUntil(lambda: w.plots.redraws[w.plots.tabs.tabText(w.plots.tabs.currentIndex())] == 1, timeout=5000)
    assert sum(w.plots.redraws.values()) == 1


def test_the_process_computes_only_what_is_shown(qtbot, make_window):
    w = make_window("xor")
    w.set_workspace("train")
    plots = w.plots
    plots.tabs.setCurrentIndex(plots._tab_index("Loss"))
    w.docks["data"].hide()
    start(qtbot, w)
    n = w.training.steps
    qtbot.waitUntil(lambda: w.training.steps > n + 200, timeout=20000)
    snap = w.training.last_snapshot
    assert snap.histograms is None and snap.boundary is None
    # The Distributions tab in front: the next snapshots carry histograms again.
    plots.tabs.setCurrentIndex(plots._tab_index("Distributions"))
    qtbot.waitUntil(lambda: w.training.last_snapshot.histograms is not None, timeout=20000)
    w.docks["data"].show()
    qtbot.waitUntil(lambda: w.training.last_snapshot.boundary is not None, timeout=20000)
    w.training.pause()
    # The heavy tab catches up within its own frame period (5 a second).
    qtbot.waitUntil(lambda: plots.hist_curves[0].getData()[0] is not None, timeout=5000)


def test_the_rate_label_ignores_single_steps(qtbot, make_window):
    w = make_window("xor")
    start(qtbot, w)
    qtbot.waitUntil(lambda: w.training_panel.rate.text().endswith("updates/s"), timeout=20000)
    w.training.pause()
    shown = w.training_panel.rate.text()
    qtbot.mouseClick(w.training_panel.epoch_btn, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(w.training_panel.step_btn, Qt.MouseButton.LeftButton)
    assert w.training.last_snapshot.steps_per_second is None
    assert w.training_panel.rate.text() == shown
