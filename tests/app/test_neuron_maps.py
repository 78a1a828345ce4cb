"""Each neuron's activation over the input plane, drawn in its circle and kept live while training."""

import numpy as np
from PySide6.QtCore import Qt

from backprop_viz.app import theme
from backprop_viz.app.canvas_neuron_maps import GRID
from backprop_viz.engine.neuron_maps import layer_activations
from backprop_viz.session.data import boundary_grid


def test_maps_show_each_neurons_activation(qtbot, make_window):
    w = make_window("xor")
    overlay = w.neuron_maps
    assert not overlay.items
    w.act_neuron_maps.setChecked(True)
    spec = w.doc.project.network_spec
    expected = {("neuron", i + 1, j) for i, layer in enumerate(spec["layers"]) for j in range(layer["units"])}
    assert set(overlay.items) == expected
    for key, item in overlay.items.items():
        assert item.pos() == w.canvas.neurons[key].pos()
    # The map is the neuron's activation at each grid point, by an independent forward pass.
    X, _, _, _ = w.doc.project.arrays()
    _, _, pts = boundary_grid(X, w.doc.project.data, GRID)
    acts = layer_activations(w.doc.project.network(), pts)
    np.testing.assert_allclose(overlay.maps[("neuron", 1, 0)].ravel(), acts[0][:, 0])
    # Colour by sign around the neutral value: a strongly positive corner is blue, a negative one orange.
    values = overlay.maps[("neuron", 1, 0)]
    img = overlay.items[("neuron", 1, 0)].image.pixmap().toImage()
    for (r, c) in [np.unravel_index(np.argmax(values), values.shape), np.unravel_index(np.argmin(values), values.shape)]:
        colour = img.pixelColor(int(c), GRID - 1 - int(r))
        want = theme.sign_color(values[r, c] - 0.0)
        assert abs(colour.hue() - want.hue()) <= 3 or values[r, c] == 0
    w.act_neuron_maps.setChecked(False)
    assert not overlay.items


def test_maps_follow_training_at_a_bounded_rate(qtbot, make_window):
    w = make_window("xor")
    w.act_neuron_maps.setChecked(True)
    before = w.neuron_maps.maps[("neuron", 1, 0)].copy()
    redraws = []
    w.neuron_maps._timer.timeout.connect(lambda: redraws.append(w.neuron_maps.params is not None))
    with qtbot.waitSignal(w.training.snapshot, timeout=20000):
        qtbot.mouseClick(w.training_panel.train_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(redraws) >= 2, timeout=20000)
    w.training.pause()
    assert all(redraws)                                     # drawn from the live snapshots' weights
    assert not np.allclose(w.neuron_maps.maps[("neuron", 1, 0)], before)
    assert w.neuron_maps._timer.interval() >= 200          # at most a few redraws a second


def test_maps_need_two_inputs(qtbot, make_window):
    w = make_window("mlp")
    w.act_neuron_maps.setChecked(True)
    assert not w.neuron_maps.items
    assert "two inputs" in w.neuron_maps.problem
