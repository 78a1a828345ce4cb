"""Walking the worked example in the app, reading what the learner reads."""

from PySide6.QtCore import Qt

from .helpers import activate, click_edge

SEED_WALK = [
    "s = X1·W1 + X2·W2 + b = 0.1·0.5 + 0.3·0.2 + 1.83 = 1.94",
    "predicted = sigmoid(s) = sigmoid(1.94) = 0.874352143",
    "E = ½(desired − predicted)² = ½(0.03 − 0.874352143)² = 0.356465271",
    "∂E/∂E = 1",
    "∂E/∂predicted = ∂E/∂E·∂E/∂predicted = 1 × 0.844352143 = 0.844352143",
    "∂E/∂s = ∂E/∂predicted·∂predicted/∂s = 0.844352143 × 0.109860473 = 0.092760926",
    "∂E/∂b = ∂E/∂s·∂s/∂b = 0.092760926 × 1 = 0.092760926",
    "∂E/∂W2 = ∂E/∂s·∂s/∂W2 = 0.092760926 × 0.3 = 0.027828278",
    "∂E/∂W1 = ∂E/∂s·∂s/∂W1 = 0.092760926 × 0.1 = 0.009276093",
    "W1 ← W1 − lr·∂E/∂W1 = 0.5 − 0.01·0.009276093 = 0.499907239",
    "W2 ← W2 − lr·∂E/∂W2 = 0.2 − 0.01·0.027828278 = 0.199721717",
    "b ← b − lr·∂E/∂b = 1.83 − 0.01·0.092760926 = 1.829072391",
    "Loss after the update: 0.356370591 (before: 0.356465271, down by",
]


def button(panel, name):
    from PySide6.QtWidgets import QToolButton
    return panel.findChild(QToolButton, name)


def test_worked_example_walk_shows_the_seed_numbers(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    assert panel.stepper.level == "neuron"
    assert panel.step_text.toPlainText().startswith("Press Step")
    for expected in SEED_WALK:
        qtbot.mouseClick(button(panel, "stepButton"), Qt.MouseButton.LeftButton)
        lines = panel.step_text.toPlainText().splitlines()
        # The first update step first names the optimizer that makes the update.
        if expected.startswith("W1 ←"):
            assert lines.pop(0) == "Optimizer: SGD, learning rate 0.01"
        assert lines[0].startswith(expected)
    assert not button(panel, "stepButton").isEnabled()
    assert "step 13 of 13" in panel.phase_label.text()


def test_graph_nodes_show_values_then_gradients(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    g = panel.graph
    v = panel.stepper.view
    s_item = g.items[v.by_label["s"]]
    assert s_item.value.text() == "not computed"
    panel.step_forward()
    assert s_item.value.text() == "= 1.94"
    assert s_item.grad.text() == ""
    panel.run_to_end()
    assert s_item.grad.text() == "∂E: 0.092760926"
    # |gradient| colours: W1's gradient is smaller than b's, so its fill is lighter.
    w1 = g.items[v.by_label["W1"]].brush().color().lightness()
    b = g.items[v.by_label["b"]].brush().color().lightness()
    assert w1 > b


def test_keyboard_shortcuts_step(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    activate(qtbot, w)
    panel.graph.setFocus()
    qtbot.keyClick(panel.graph, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert panel.stepper.position == 0
    qtbot.keyClick(panel.graph, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert panel.step_text.toPlainText().startswith("E = ½")
    qtbot.keyClick(panel.graph, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert panel.step_text.toPlainText().startswith("predicted = sigmoid")


def test_switching_level_keeps_the_position(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    panel.run_to_loss()
    qtbot.mouseClick(panel.level_layer, Qt.MouseButton.LeftButton)
    assert panel.stepper.level == "layer"
    assert panel.step_text.toPlainText().startswith("loss.data = half_squared_error(layers.0.act, T) = 0.356465271")
    qtbot.mouseClick(panel.level_neuron, Qt.MouseButton.LeftButton)
    assert panel.step_text.toPlainText().startswith("E = ½(desired − predicted)²")


def test_selecting_a_weight_on_the_canvas_shows_its_chain_rule(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    click_edge(qtbot, w.canvas, w.canvas.edges[("edge", 0, 0, 0)])
    text = panel.formula.text.toPlainText()
    assert ("∂E/∂W1 = ∂E/∂predicted · ∂predicted/∂s · ∂s/∂W1 = 0.844352143 × 0.109860473 × 0.1 = "
            "0.009276093") in text
    assert "increasing W1 by 0.01 increases E by about 0.0000928" in text
    # The path from the loss to W1 is highlighted on the graph.
    v = panel.stepper.view
    assert panel.graph.path_nodes == {v.by_label[n] for n in ("E", "predicted", "s", "W1")}
    qtbot.mouseClick(panel.formula.check, Qt.MouseButton.LeftButton)
    result = panel.formula.check_result.text()
    assert "backprop 0.009276093" in result and "finite differences 0.009276093" in result
    assert "they agree" in result


def test_clicking_a_graph_node_selects_it_on_the_canvas(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    v = panel.stepper.view
    item = panel.graph.items[v.by_label["W2"]]
    view = panel.graph
    view.ensureVisible(item)
    pos = view.mapFromScene(item.mapToScene(item.boundingRect().center()))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert w.doc.selection == ("edge", 0, 1, 0)
    assert w.canvas.edges[("edge", 0, 1, 0)].pen().color() == w.canvas.edges[("edge", 0, 1, 0)].pen().color()
    assert panel.formula.title.text() == "Chain rule for W2"


def test_apply_update_changes_the_network_and_is_undoable(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    qtbot.mouseClick(button(panel, "applyButton"), Qt.MouseButton.LeftButton)
    spec = w.doc.project.network_spec["layers"][0]
    assert round(spec["weight"][0][0], 9) == 0.499907239
    assert round(spec["bias"][0], 9) == 1.829072391
    assert "0.356370591" in panel.step_text.toPlainText()
    assert panel.stepper.position == -1
    w.doc.undo_stack.undo()
    assert w.doc.project.network_spec["layers"][0]["weight"][0][0] == 0.5


def test_typed_sample(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    qtbot.keyClicks(panel.typed_x, "1, 2")
    qtbot.keyClicks(panel.typed_t, "0.5")
    qtbot.keyClick(panel.typed_t, Qt.Key.Key_Return)
    panel.step_forward()
    assert panel.step_text.toPlainText().startswith("s = X1·W1 + X2·W2 + b = 1·0.5 + 2·0.2 + 1.83 = 2.73")
    panel.typed_x.setText("1, x")
    qtbot.keyClick(panel.typed_x, Qt.Key.Key_Return)
    assert "enter numbers" in panel.sample_error.text()


def test_batch_walk_at_layer_level(qtbot, make_window):
    w = make_window("xor")
    panel = w.stepper_panel
    panel.batch.setChecked(True)
    # XOR trains in batches of 32: the walk is the next update's batch, named in the header.
    assert panel.stepper.level == "layer" and panel.stepper.trace.X.shape[0] == 32
    assert "update 1 of this run" in panel.walk_header.text()
    assert "the whole batch: 32 rows" in panel.walk_header.text()
    assert not panel.level_neuron.isEnabled()
    panel.step_forward()
    assert panel.step_text.toPlainText().startswith("layers.0.matmul = matmul(X, layers.0.weight) = [")


def test_play_mode_walks_to_the_end(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    panel.speed.setValue(20)
    button(panel, "playButton").click()
    qtbot.waitUntil(lambda: panel.stepper.at_end, timeout=5000)
    assert not panel.play_timer.isActive()


def test_digits_setting(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    panel.step_forward()
    panel.step_forward()
    panel.digits.setValue(4)
    assert w.doc.project.view["digits"] == 4
    assert panel.step_text.toPlainText() == "predicted = sigmoid(s) = sigmoid(1.94) = 0.8744"
    w.doc.undo_stack.undo()
    assert panel.digits.value() == 9


def test_per_sample_contributions_at_layer_level(qtbot, make_window):
    w = make_window("xor")
    panel = w.stepper_panel
    panel.batch.setChecked(True)
    w.doc.select(("edge", 0, 1, 2))
    text = panel.formula.text.toPlainText()
    assert "Per-sample contributions to ∂E/∂W1[2,3] (layers.0.weight[1,2])" in text
    assert "sample 1:" in text and "sample 32:" in text
    total = [line for line in text.splitlines() if line.strip().startswith("sum =")][0]
    left, right = total.split("= ∂E/∂W1[2,3] (layers.0.weight[1,2]) =")
    assert left.split("=")[1].strip() == right.strip()
    assert panel.graph.selected == panel.stepper.trace.by_name["layers.0.weight"]
