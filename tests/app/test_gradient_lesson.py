"""The vanishing-gradient lesson stays on screen, with this network's numbers."""

import numpy as np

from backprop_viz.engine import gradient_lesson as lesson


def settle(w):
    w.plots._dirty = True
    w.plots._slow_update()


def test_deep_sigmoid_lesson_after_training(qtbot, make_window):
    w = make_window("deep_sigmoid")
    for _ in range(3):
        w.act_step.trigger()
    w.act_step_epoch.trigger()
    settle(w)
    plots = w.plots
    x, ratio = plots.ratio_curve.xData, plots.ratio_curve.yData
    gx, g = plots.history.grad_norms()
    assert len(x) == len(gx) >= 4
    np.testing.assert_allclose(ratio, g[:, 0] / g[:, -1])
    assert np.nanmax(ratio) < 1e-3            # the first layer gets a tiny share, all run long
    alert = plots.alert.lesson.text()
    assert not plots.alert.lesson.isHidden()
    assert alert.startswith("σ′ ≤ 0.25, so 9 sigmoid layers shrink the backward signal to at most 0.25⁹ ≈ 3.8·10⁻⁶ "
                            "before any weights.")
    assert f"This run: layer 1 got {lesson.sci(ratio[0])} → {lesson.sci(ratio[-1])} × layer 10's gradient" in alert
    text = plots.lesson_text.text()
    assert "σ′ = σ(1 − σ) ≤ 0.25, so 9 sigmoid layers" in text
    assert "‖∂E/∂W₁‖ / ‖∂E/∂W₁₀‖ = " + lesson.sci(ratio[0]) in text
    assert "Measured now: mean σ′ per hidden layer" in text
    assert plots.bound_line.isVisible() and np.isclose(plots.bound_line.value(), np.log10(0.25 ** 9))


def test_lesson_shows_before_and_after_a_fix(qtbot, make_window):
    w = make_window("deep_sigmoid")
    w.act_step.trigger()
    w.act_step.trigger()
    settle(w)
    before = np.nanmedian(w.plots.ratio)
    assert w.editor.set_layer_option(0, "activation", "relu")   # the first change already counts
    assert w.plots.fix_step == 2
    for i in range(1, 9):
        assert w.editor.set_layer_option(i, "activation", "relu")
    w.editor.reinitialise()
    w.act_step.trigger()
    w.act_step.trigger()
    settle(w)
    text = w.plots.lesson_text.text()
    assert "Before the change (9 sigmoid hidden): layer 1 got " + lesson.sci(before) in w.plots.alert.lesson.text()
    assert "Before the change (9 sigmoid hidden): layer 1 got " + lesson.sci(before) in text
    now = np.nanmedian(w.plots.ratio[w.plots.ratio_x > w.plots.fix_step])
    assert f"now {lesson.sci(now)} ×" in text
    assert now > before * 100
    bx = w.plots.before_curve.xData
    assert len(bx) == 2
    assert "relu′ is 1 for active units" in text


def test_sci_and_mechanism_words():
    from backprop_viz.engine.activations import Activation
    assert lesson.sci(0.25 ** 9) == "3.8·10⁻⁶"
    assert lesson.sci(1e-8) == "10⁻⁸"
    acts = [Activation("sigmoid")] * 3 + [Activation("identity")]
    assert "3 sigmoid layers" in lesson.mechanism(acts) and "0.25³ ≈ 0.016" in lesson.mechanism(acts)


def test_one_hidden_layer_is_told_in_the_singular():
    from backprop_viz.engine.activations import Activation as get
    one_tanh = [get("tanh"), get("identity")]
    assert "1 tanh layer shrinks the backward signal" in lesson.mechanism(one_tanh)
    assert "unsaturated units pass it on" in lesson.mechanism(one_tanh)
    one_sigmoid = [get("sigmoid"), get("sigmoid")]
    assert "1 sigmoid layer between layer 1 and the output shrinks" in lesson.mechanism(one_sigmoid)
    assert lesson.short_mechanism(one_sigmoid).startswith("σ′ ≤ 0.25, so 1 sigmoid layer shrinks the backward")
    mixed = [get("sigmoid"), get("tanh"), get("identity")]
    assert "(and 1 other hidden layer) between layer 1 and the output shrink " in lesson.mechanism(mixed)
