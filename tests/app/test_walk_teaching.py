"""The walk teaches where the learner looks: on the drawing, with rules set as mathematics."""

import math

from PySide6.QtCore import QPointF, Qt

from backprop_viz.app import theme
from backprop_viz.app.canvas_walk_overlay import CanvasWalkOverlay
from backprop_viz.session.stepper import BACKWARD


def step_button(panel):
    from PySide6.QtWidgets import QToolButton
    return panel.findChild(QToolButton, "stepButton")


def expected_keys(st):
    return CanvasWalkOverlay.neuron_key_of(st, st.current.node) if st.current.node is not None else []


def test_stepping_rings_the_matching_canvas_element_at_each_step(qtbot, make_window):
    w = make_window("mlp")
    panel, overlay, canvas = w.stepper_panel, w.walk_overlay, w.canvas
    st = panel.stepper
    assert st.level == "neuron"
    assert overlay.ring_items == []
    seen = set()
    while not st.at_end:
        qtbot.mouseClick(step_button(panel), Qt.MouseButton.LeftButton)
        keys = expected_keys(st)
        assert overlay.current_keys == keys
        node = st.view.nodes[st.current.node] if st.current.node is not None else None
        if node is not None and node.kind in ("sum", "act"):
            assert keys == [("neuron", node.layer + 1, node.unit)]
        if node is not None and node.kind == "weight":
            assert keys[0][0] == "edge"
        # The ring sits on the element the step computes.
        for ring, key in zip(overlay.ring_items, keys):
            target = canvas.neurons.get(key) or canvas.edges.get(key)
            if key[0] == "neuron":
                assert ring.pos() == target.pos()
            else:
                assert ring.line() == target.line()
            seen.add(key[0])
    assert seen == {"neuron", "edge", "bias"}


def test_forward_values_appear_in_the_neurons_as_computed(qtbot, make_window):
    w = make_window("worked_example")
    panel, overlay = w.stepper_panel, w.walk_overlay
    out = ("neuron", 1, 0)
    assert out not in overlay.value_items
    panel.step_forward()                       # s = 1.94
    assert overlay.value_items[out].text() == "1.94"
    assert overlay.value_items[("neuron", 0, 0)].text() == "0.1"
    panel.step_forward()                       # predicted = sigmoid(s)
    assert overlay.value_items[out].text() == "0.874"
    assert not overlay.grad_items             # nothing flows back during the forward pass


def test_backward_colouring_matches_the_gradients(qtbot, make_window):
    w = make_window("mlp")
    panel, overlay = w.stepper_panel, w.walk_overlay
    panel.run_to_loss()
    assert not overlay.grad_items
    panel.run_to_end()
    v = panel.stepper.view
    grads = {}
    for n in v.nodes:
        if n.kind == "weight":
            grads[("edge", n.layer, n.param[1][0], n.param[1][1])] = n.grad
        elif n.kind == "bias":
            grads[("bias", n.layer, n.unit)] = n.grad
        elif n.kind == "sum":
            grads[("neuron", n.layer + 1, n.unit)] = n.grad
    assert set(overlay.grad_items) == set(grads)
    largest = max(abs(g) for g in grads.values())
    for key, g in grads.items():
        pen = overlay.grad_items[key].pen()
        assert pen.color().rgb() == theme.sign_color(g).rgb(), key
        assert pen.widthF() == 1.0 + 5.0 * min(abs(g) / largest, 1.0)
        shown = float(overlay.grad_items[key].toolTip().split(" = ")[-1].replace("−", "-"))
        assert math.isclose(shown, g, rel_tol=1e-5, abs_tol=1e-9), key
    # The biggest gradient is drawn widest.
    widest = max(overlay.grad_items, key=lambda k: overlay.grad_items[k].pen().widthF())
    assert abs(grads[widest]) == largest


def test_the_walk_backwards_partially_colours_only_what_is_known(qtbot, make_window):
    w = make_window("worked_example")
    panel, overlay = w.stepper_panel, w.walk_overlay
    panel.run_to_loss()
    for _ in range(3):                          # ∂E/∂E, ∂E/∂predicted, ∂E/∂s
        panel.step_forward()
    assert panel.stepper.current.phase == BACKWARD
    assert set(overlay.grad_items) == {("neuron", 1, 0)}
    panel.step_forward()                        # ∂E/∂b
    assert ("bias", 0, 0) in overlay.grad_items
    panel.restart()
    assert not overlay.items


def test_the_overlay_survives_an_edit_of_the_network(qtbot, make_window):
    w = make_window("worked_example")
    panel, overlay = w.stepper_panel, w.walk_overlay
    panel.step_forward()
    assert w.editor.set_value("layers.0.bias", (0,), 2.0)   # the canvas redraws its scene
    assert panel.stepper.position == 0                       # an edited weight keeps the place
    assert overlay.current_keys == [("neuron", 1, 0)]
    assert overlay.value_items[("neuron", 1, 0)].text() == "2.11"
    for item in overlay.items:
        assert item.scene() is w.canvas.scene()


def test_formula_panel_sets_the_step_rules_as_mathematics(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    panel.run_to_loss()
    panel.step_forward()
    panel.step_forward()
    panel.step_forward()                        # ∂E/∂s
    rule = "∂predicted/∂s = σ(s)(1 − σ(s)) = 0.874352143 × 0.125647857 = 0.109860473"
    qtbot.waitUntil(lambda: rule in panel.formula.math.lines, timeout=3000)
    assert "σ(s)(1 − σ(s))" in panel.step_text.toPlainText()
    panel.formula.math.grab()                  # paints: every line set by mathtext, none fell back
    assert panel.formula.math.failed == []
    assert panel.formula.math.height() > 0


def test_selected_weight_lists_every_factor_by_its_rule(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    v = panel.stepper.view
    panel.select_node(v.by_label["W1"])
    text = panel.formula.text.toPlainText()
    assert "Each factor by its rule:" in text
    rules = ("∂E/∂predicted = predicted − desired = 0.874352143 − 0.03 = 0.844352143",
             "∂predicted/∂s = σ(s)(1 − σ(s)) = 0.874352143 × 0.125647857 = 0.109860473",
             "∂s/∂W1 = X1 = 0.1")
    for rule in rules:
        assert rule in text
    qtbot.waitUntil(lambda: all(rule in panel.formula.math.lines for rule in rules), timeout=3000)


def test_mathtext_handles_every_rule_shape():
    from backprop_viz.app.mathtext_render import pieces, render, segments
    assert pieces("∂a/∂s = σ(s)(1 − σ(s)) = 0.5 × 0.5 = 0.25 because s = 0 > -1") == [
        ("math", "∂a/∂s = σ(s)(1 − σ(s))"), ("plain", "= 0.5 × 0.5"), ("plain", "= 0.25"),
        ("plain", "because s = 0 > -1")]
    for line in ["∂a1[1]/∂s1[1] = relu′(s1[1]) = 0 because s1[1] = -0.3 ≤ 0",
                 "∂E/∂s2[1] = softmax(s2)[1] − T[1] = 0.2 − 1 = -0.8 because softmax and cross-entropy together",
                 "∂L2/∂W1[1,1] = 2λ·W1[1,1] = 2 × 0.01 × 0.5 = 0.01",
                 "∂(h₍ₜ₋₁₎·U)/∂h₍ₜ₋₁₎ = Uᵀ: the gradient goes one step back in time",
                 "∂y/∂x = γ/σ·(1 − 1/m − x̂²/m) on the diagonal",
                 "E = ½(desired − predicted)² = ½(0.03 − 0.874352143)² = 0.356465271"]:
        for seg in segments(line):
            assert render(seg) is not None, seg


def test_find_by_name_goes_to_the_node(qtbot, make_window):
    w = make_window("mlp")
    panel = w.stepper_panel
    assert panel.stepper.level == "neuron"
    qtbot.keyClicks(panel.find, "W2[3,1]")
    qtbot.keyClick(panel.find, Qt.Key.Key_Return)
    v = panel.stepper.view
    nid = v.by_label["W2[3,1]"]
    assert panel.graph.selected == nid
    assert panel.formula.title.text() == "Chain rule for W2[3,1]"
    assert panel.graph.viewport().rect().contains(panel.graph.mapFromScene(panel.graph.items[nid].sceneBoundingRect().center()))
    panel.find.setText("nothing[9]")
    qtbot.keyClick(panel.find, Qt.Key.Key_Return)
    assert "No node named 'nothing[9]'" in panel.sample_error.text()


def test_hover_shows_value_gradient_and_formula(qtbot, make_window):
    w = make_window("worked_example")
    panel = w.stepper_panel
    v = panel.stepper.view
    s = v.by_label["s"]
    assert "value: not computed yet" in panel.graph.tooltip_for(s)
    panel.run_to_end()
    tip = panel.graph.tooltip_for(s)
    assert "value: 1.94" in tip
    assert "∂E/∂s: 0.092760926" in tip
    assert "s = X1·W1 + X2·W2 + b = 0.1·0.5 + 0.3·0.2 + 1.83 = 1.94" in tip
    assert "∂predicted/∂s = σ(s)(1 − σ(s)) = 0.874352143 × 0.125647857 = 0.109860473" in tip


def test_plain_wheel_zooms_the_graph(qtbot, make_window):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    w = make_window("worked_example")
    g = w.stepper_panel.graph
    before = g.transform().m11()
    pos = QPointF(g.viewport().rect().center())
    ev = QWheelEvent(pos, g.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    g.wheelEvent(ev)
    assert g.transform().m11() > before


def test_layer_level_says_why(qtbot, make_window):
    w = make_window("deep_sigmoid")
    panel = w.stepper_panel
    assert panel.stepper.level == "layer"
    assert not panel.level_note.isHidden()
    n = len(panel.stepper.view.nodes)
    assert f"the neuron-level graph has {n} scalar nodes" in panel.level_note.text()
    qtbot.mouseClick(panel.level_neuron, Qt.MouseButton.LeftButton)
    assert panel.stepper.level == "neuron" and not panel.level_note.isVisible()
    qtbot.mouseClick(panel.level_layer, Qt.MouseButton.LeftButton)
    assert panel.stepper.level == "layer" and not panel.level_note.isVisible()   # chosen, not imposed


def test_neuron_graph_keeps_each_neurons_weights_beside_it(qtbot, make_window):
    from backprop_viz.app.graph_view import CHIP_TO_SUM, NODE_W
    w = make_window("mlp")
    g = w.stepper_panel.graph
    v = w.stepper_panel.stepper.view
    rects = {nid: item.sceneBoundingRect() for nid, item in g.items.items()}
    for n in v.nodes:
        if n.kind != "sum":
            continue
        s = rects[n.id]
        chips = [i for i in n.inputs if v.nodes[i].kind in ("weight", "bias")]
        top = min(rects[c].top() for c in chips)
        bottom = max(rects[c].bottom() for c in chips)
        for c in chips:
            assert abs(rects[c].right() + CHIP_TO_SUM - s.left()) < 2, v.nodes[c].label
        assert top - 1 <= s.center().y() <= bottom + 1     # the sum sits beside its own chips
        assert g.items[c].rect().width() == NODE_W
    ids = list(rects)
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            inter = rects[ids[a]].intersected(rects[ids[b]])
            assert inter.width() < 3 or inter.height() < 3, (v.nodes[ids[a]].label, v.nodes[ids[b]].label)


def test_folding_weights_draws_each_neuron_as_one_node(qtbot, make_window):
    from backprop_viz.app import theme as th
    w = make_window("mlp")
    panel = w.stepper_panel
    v = panel.stepper.view
    unfolded = len(panel.graph.items)
    qtbot.mouseClick(panel.fold_weights, Qt.MouseButton.LeftButton)
    chips = [n for n in v.nodes if n.kind in ("weight", "bias")]
    assert len(panel.graph.items) == unfolded - len(chips)
    # A step on a weight lights up the neuron that uses it.
    panel.run_to_end()
    while v.nodes[panel.stepper.current.node].kind != "weight":
        panel.step_back()
    weight = v.nodes[panel.stepper.current.node]
    s = next(n for n in v.nodes if n.kind == "sum" and weight.id in n.inputs)
    assert panel.graph.items[s.id].pen().color() == th.HIGHLIGHT
    from backprop_viz.engine.formatting import fmt
    assert panel.graph.items[s.id].value.text() == f"= {fmt(s.value, panel.graph.digits)}"   # its own sum
    assert panel.graph.items[s.id].grad.text() == f"∂E: {fmt(s.grad, panel.graph.digits)}"
    assert panel.graph.find("W2[3,1]") == next(n.id for n in v.nodes if n.kind == "sum" and
                                              v.by_label["W2[3,1]"] in n.inputs)


def test_hovering_a_gradient_mark_names_its_number(qtbot, make_window):
    w = make_window("worked_example")
    panel, overlay = w.stepper_panel, w.walk_overlay
    panel.run_to_end()
    layer = overlay.layer
    line = w.canvas.edges[("edge", 0, 0, 0)].line()
    mark = layer.mark_at((line.p1() + line.p2()) / 2)
    assert mark.key == ("edge", 0, 0, 0)
    assert mark.toolTip() == "∂E/∂W1[1,1] = 0.009276093"
    far = w.canvas.neurons[("neuron", 0, 0)].pos() + QPointF(-80, -80)
    assert layer.mark_at(far) is None
    assert not layer.shape().contains(far)        # empty canvas stays the canvas's


def test_a_step_touches_only_the_canvas_items_it_changes(qtbot, make_window):
    w = make_window("mlp")
    panel, overlay = w.stepper_panel, w.walk_overlay
    st = panel.stepper
    assert st.level == "neuron"
    # Forward: a new value in one neuron and the ring moved; the other values stay the same items.
    panel.run_to_loss()
    panel.step_back()
    kept = dict(overlay.value_items)
    panel.step_back()
    assert overlay.touched <= 3
    assert all(overlay.value_items[k] is item for k, item in kept.items() if k in overlay.value_items)
    # Backward: each step on a weight adds its one mark (the largest gradient is already known).
    panel.run_to_end()
    while st.view.nodes[st.current.node].kind != "weight":
        panel.step_back()
    marks = dict(overlay.grad_items)
    assert len(marks) > 40
    layer = overlay.layer
    panel.step_back()
    assert max(abs(g) for g in overlay.grads.values()) == max(abs(m.grad) for m in marks.values())
    assert overlay.touched <= 3, overlay.touched            # one mark gone, the ring moved
    assert sum(overlay.grad_items.get(k) is m for k, m in marks.items()) == len(marks) - 1
    assert overlay.layer is layer                           # one item for every mark, kept
    panel.step_forward()
    assert set(overlay.grad_items) == set(marks)
    assert overlay.touched <= 3
    for key, mark in overlay.grad_items.items():
        assert mark.toolTip() == marks[key].toolTip()
