"""Drawing and editing the network with the mouse, keys and the inspector."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from .helpers import click_edge, click_item


def units(w):
    spec = w.doc.project.network_spec
    return [spec["inputs"]] + [layer["units"] for layer in spec["layers"]]


def test_add_and_remove_neurons_with_the_layer_buttons(qtbot, make_window):
    w = make_window("xor")
    canvas = w.canvas
    click_item(qtbot, canvas, canvas.buttons["add_neuron_1"])
    assert units(w) == [2, 5, 1]
    assert w.doc.modified and w.windowTitle().startswith("XOR*")   # a template keeps its name until saved
    click_item(qtbot, canvas, canvas.buttons["remove_neuron_1"])
    click_item(qtbot, canvas, canvas.buttons["remove_neuron_1"])
    assert units(w) == [2, 3, 1]
    # The layer keeps the weights of the neurons that stayed.
    w.doc.undo_stack.undo()
    w.doc.undo_stack.undo()
    assert units(w) == [2, 5, 1]
    w.doc.undo_stack.undo()
    assert units(w) == [2, 4, 1] and not w.doc.modified


def test_insert_and_remove_a_layer(qtbot, make_window):
    w = make_window("xor")
    before = w.doc.project.network_spec["layers"][0]["weight"]
    click_item(qtbot, w.canvas, w.canvas.buttons["insert_layer_1"])
    assert units(w) == [2, 4, 4, 1]
    assert w.doc.project.network_spec["layers"][0]["weight"] == before
    click_item(qtbot, w.canvas, w.canvas.headers[("layer", 2)])
    assert w.doc.selection == ("layer", 2)
    w.canvas.setFocus()
    qtbot.keyClick(w.canvas, Qt.Key.Key_Delete)
    assert units(w) == [2, 4, 1]
    assert w.doc.project.network_spec["layers"][0]["weight"] == before


def test_delete_key_removes_the_selected_neuron(qtbot, make_window):
    w = make_window("xor")
    w1 = w.doc.project.network_spec["layers"][1]["weight"]
    click_item(qtbot, w.canvas, w.canvas.neurons[("neuron", 1, 1)])
    assert w.doc.selection == ("neuron", 1, 1)
    qtbot.keyClick(w.canvas, Qt.Key.Key_Delete)
    assert units(w) == [2, 3, 1]
    # Neuron 2's outgoing weight is gone; the others are kept in order.
    assert w.doc.project.network_spec["layers"][1]["weight"] == [w1[0], w1[2], w1[3]]


def test_context_menu_offers_layer_actions(qtbot, make_window):
    w = make_window("xor")
    menu = w.canvas.context_menu(("neuron", 1, 0))
    texts = [a.text() for a in menu.actions()]
    assert {"Add neuron", "Remove this neuron", "Insert layer after", "Insert layer before",
            "Remove layer", "Activation"} <= set(texts)
    act_menu = next(a for a in menu.actions() if a.text() == "Activation").menu()
    relu = next(a for a in act_menu.actions() if a.text() == "relu")
    relu.trigger()
    assert w.doc.project.network_spec["layers"][0]["activation"] == "relu"
    assert w.canvas.headers[("layer", 1)].text() == "Hidden 1\nrelu · 4"


def test_typing_a_weight_in_the_inspector(qtbot, make_window):
    w = make_window("worked_example")
    click_edge(qtbot, w.canvas, w.canvas.edges[("edge", 0, 0, 0)])
    assert w.doc.selection == ("edge", 0, 0, 0)
    assert w.inspector.selection_box.title() == "Weight W1 (layers.0.weight[0,0])"
    edit = w.inspector.controls["value"]
    assert edit.text() == "0.5"
    edit.selectAll()
    qtbot.keyClicks(edit, "0.75")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert w.doc.project.network_spec["layers"][0]["weight"][0][0] == 0.75
    assert "0.75" in w.canvas.edges[("edge", 0, 0, 0)].toolTip()


def test_a_typed_value_that_is_not_a_number_is_refused(qtbot, make_window):
    w = make_window("worked_example")
    w.doc.select(("bias", 0, 0))
    edit = w.inspector.controls["value"]
    edit.selectAll()
    qtbot.keyClicks(edit, "abc")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert not w.inspector.errors["value"].isHidden()
    assert "is not a number" in w.inspector.errors["value"].text()
    assert w.doc.project.network_spec["layers"][0]["bias"] == [1.83]
    assert not w.doc.modified


def test_refused_change_shows_the_reason_next_to_the_control(qtbot, make_window):
    w = make_window("xor")
    w.doc.select(("layer", 1))
    check = w.inspector.controls["residual"]
    check.click()
    label = w.inspector.errors["residual"]
    assert "needs units == fan_in" in label.text()
    assert not label.isHidden()
    assert not w.inspector.controls["residual"].isChecked()
    assert not w.doc.modified
    assert "Not possible" in w.statusBar().currentMessage()


def test_layer_options_from_the_inspector(qtbot, make_window):
    w = make_window("xor")
    w.doc.select(("layer", 1))
    combo = w.inspector.controls["activation"]
    combo.setCurrentText("elu")
    combo.activated.emit(combo.currentIndex())
    assert w.doc.project.network_spec["layers"][0]["activation"] == "elu"
    spin = w.inspector.controls["units"]
    spin.setValue(6)
    spin.editingFinished.emit()
    assert units(w) == [2, 6, 1]
    w.inspector.controls["norm"].setCurrentText("batch")
    w.inspector.controls["norm"].activated.emit(1)
    assert w.doc.project.network_spec["layers"][0]["norm"] == "batch"
    assert w.doc.undo_stack.count() == 3


def test_loss_change_that_does_not_fit_is_refused(qtbot, make_window):
    w = make_window("xor")
    w.inspector.loss.setCurrentText("cross_entropy")
    w.inspector.loss.activated.emit(w.inspector.loss.currentIndex())
    assert w.doc.project.network_spec["loss"] == "binary_cross_entropy"
    assert "softmax" in w.inspector.network_error.text()


def test_hover_tooltips_show_values(qtbot, make_window):
    w = make_window("worked_example")
    tip = w.canvas.neurons[("neuron", 1, 0)].toolTip()
    assert "activation 0.874352143" in tip and "bias 1.83" in tip
    assert "∂E/∂w 0.009276093" in w.canvas.edges[("edge", 0, 0, 0)].toolTip()
    assert "∂E/∂b 0.092760926" in w.canvas.edges[("bias", 0, 0)].toolTip()


def test_hovering_writes_a_tooltip_only_then(qtbot, make_window):
    """Tooltips are written when the view asks for one (a big network's rebuild traces nothing for them)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QGraphicsEllipseItem, QGraphicsLineItem
    w = make_window("worked_example")
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    neuron = w.canvas.neurons[("neuron", 1, 0)]
    edge = w.canvas.edges[("edge", 0, 0, 0)]
    assert QGraphicsEllipseItem.toolTip(neuron) == "" and QGraphicsLineItem.toolTip(edge) == ""
    w.canvas.centerOn(neuron)
    pos = w.canvas.mapFromScene(neuron.scenePos())
    assert w.canvas.itemAt(pos) is neuron
    QApplication.sendEvent(w.canvas.viewport(),
                           QHelpEvent(QEvent.Type.ToolTip, pos, w.canvas.viewport().mapToGlobal(pos)))
    assert "activation 0.874352143" in QGraphicsEllipseItem.toolTip(neuron)
    assert QGraphicsLineItem.toolTip(edge) == ""          # only the item asked about


def test_wide_layers_collapse(qtbot, make_window):
    from backprop_viz.session.project import Project
    spec = {"format": "backprop-viz/network", "version": 1, "inputs": 784,
            "layers": [{"units": 128, "activation": "relu"}, {"units": 10, "activation": "softmax"}],
            "loss": "cross_entropy"}
    w = make_window(project=Project(spec))
    assert len(w.canvas.neurons) == 20 + 20 + 10   # first and last 10 of each wide layer
    assert len(w.canvas.edges) == 20 * 20 + 20 * 10 + 20 + 10
    edge = w.canvas.edges[("edge", 0, 0, 0)]
    assert edge.faint and edge.pen().color().alpha() < 100
    assert w.stepper_panel.stepper.level == "layer"


def test_undo_redo_actions_follow_the_stack(qtbot, make_window):
    w = make_window("xor")
    assert not w.act_undo.isEnabled()
    w.editor.add_neuron(0)
    assert w.act_undo.isEnabled() and "Add neuron" in w.act_undo.text()
    w.act_undo.trigger()
    assert units(w) == [2, 4, 1] and w.act_redo.isEnabled()
    w.act_redo.trigger()
    assert units(w) == [2, 5, 1]


def test_inspector_shows_the_neurons_numbers(qtbot, make_window):
    from PySide6.QtWidgets import QLabel
    w = make_window("worked_example")
    w.doc.select(("neuron", 1, 0))
    form = w.inspector.sel_form
    rows = {}
    for r in range(form.rowCount()):
        label = form.itemAt(r, form.ItemRole.LabelRole)
        field = form.itemAt(r, form.ItemRole.FieldRole)
        if label is not None and field is not None and isinstance(field.widget(), QLabel):
            rows[label.widget().text()] = field.widget().text()
    assert rows == {"Weighted sum s": "1.94", "Activation a": "0.874352143", "∂E/∂s": "0.092760926"}
    assert w.inspector.controls["value"].text() == "1.83"
    assert w.inspector.selection_box.title() == "Layer 1, neuron 1"


def test_apply_a_layer_s_settings_to_every_hidden_layer_in_one_undoable_step(qtbot, make_window):
    w = make_window("deep_sigmoid")
    w.doc.select(("layer", 1))
    for key, value in (("activation", "relu"), ("init", "he_normal")):
        combo = w.inspector.controls[key]
        combo.setCurrentText(value)
        combo.activated.emit(combo.currentIndex())
    before = w.doc.undo_stack.count()
    btn = w.inspector.findChild(QPushButton, "applyToHiddenButton")
    qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)
    layers = w.doc.project.network_spec["layers"]
    assert all(la["activation"] == "relu" and la["init"] == "he_normal" for la in layers[:-1])
    assert layers[-1]["activation"] == "sigmoid"
    assert w.doc.undo_stack.count() == before + 1
    assert "Apply to all hidden layers" in w.act_undo.text()
    w.act_undo.trigger()
    assert w.doc.project.network_spec["layers"][2]["activation"] == "sigmoid"
    # The output layer offers no such button.
    w.doc.select(("layer", len(layers)))
    assert w.inspector.findChild(QPushButton, "applyToHiddenButton") is None or \
        not w.inspector.findChild(QPushButton, "applyToHiddenButton").isVisible()


def test_every_setting_says_what_it_does(qtbot, make_window):
    from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit
    w = make_window("deep_sigmoid")
    w.doc.select(("layer", 1))
    missing = []
    for panel in (w.training_panel, w.inspector.sel_host):
        for name in ("adam", "sgd", "rmsprop"):
            if panel is w.training_panel:
                w.training_panel.optimizer.setCurrentText(name)
                w.training_panel.optimizer.activated.emit(w.training_panel.optimizer.currentIndex())
            for cls in (QComboBox, QLineEdit, QAbstractSpinBox, QCheckBox):
                for c in panel.findChildren(cls):
                    if c.isVisibleTo(panel) and not c.toolTip() and not isinstance(c.parent(), (QComboBox,
                                                                                                QAbstractSpinBox)):
                        missing.append(f"{type(c).__name__} {c.objectName()}")
    assert not missing, missing


def test_the_plus_button_stays_under_the_mouse(qtbot, make_window):
    w = make_window("xor")
    canvas = w.canvas
    button = canvas.buttons["add_neuron_1"]
    canvas.ensureVisible(button)
    pos = canvas.mapFromScene(button.scenePos())
    for n in range(5, 9):
        qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        assert units(w)[1] == n
        now = canvas.mapFromScene(canvas.buttons["add_neuron_1"].scenePos())
        assert abs(now.x() - pos.x()) <= 1 and abs(now.y() - pos.y()) <= 1


def test_weight_labels_never_overlap(qtbot, make_window):
    from PySide6.QtWidgets import QGraphicsSimpleTextItem
    from backprop_viz.session.project import Project
    small = Project({"format": "backprop-viz/network", "version": 1, "inputs": 2,
                     "layers": [{"units": 2, "activation": "sigmoid"}, {"units": 1, "activation": "sigmoid"}],
                     "loss": "half_squared_error"})
    for template in ("worked_example", "code_example", "2-2-1"):
        w = make_window(template, project=small if template == "2-2-1" else None)
        labels = [i for i in w.canvas.scene().items() if type(i) is QGraphicsSimpleTextItem
                  and i.parentItem() is None and i.zValue() == 1]
        assert labels, template
        rects = [i.sceneBoundingRect() for i in labels]
        others = [i.sceneBoundingRect() for i in list(w.canvas.neurons.values()) + list(w.canvas.headers.values())]
        for a in range(len(rects)):
            for b in range(a + 1, len(rects)):
                assert not rects[a].intersects(rects[b]), (template, labels[a].text(), labels[b].text())
            assert not any(rects[a].intersects(o) for o in others), (template, labels[a].text())
