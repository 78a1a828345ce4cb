"""Every plot exports to a valid SVG whose curves are <path> elements carrying the data.

Drawn through Qt's own SVG generator, so it holds on every supported PySide6
(pyqtgraph's SVGExporter raises on PySide6 ≥ 6.11)."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from backprop_viz.app.export_actions import plots_of

SVG = "{http://www.w3.org/2000/svg}"


def polylines(path):
    """Each <path>'s points (as an (n, 2) array), from a file that must parse as SVG."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    out = []
    for e in root.iter(f"{SVG}path"):
        pts = re.findall(r"[ML]\s*(-?[\d.e+-]+),(-?[\d.e+-]+)", e.get("d", ""))
        out.append(np.array(pts, dtype=float).reshape(-1, 2))
    return root, out


def trained_window(make_window, key, epochs=3):
    w = make_window(key)
    for _ in range(epochs):
        w.act_step_epoch.trigger()
    w.plots._dirty = True
    w.plots._slow_update()
    return w


def test_every_plot_exports_as_svg_with_its_curves(qtbot, make_window, tmp_path):
    w = trained_window(make_window, "xor")
    steps, losses = w.training.history.loss()
    assert len(steps) >= 10
    for name in plots_of(w):
        path = tmp_path / f"{name}.svg"
        assert w.exports.plot(name, str(path)), name
        root, paths = polylines(path)
        longest = max(len(p) for p in paths)
        if name == "loss":
            # The training curve is one path through every recorded (update, loss).
            curve = next(p for p in paths if len(p) == len(steps))
            np.testing.assert_allclose(curve[:, 0], steps)
            np.testing.assert_allclose(curve[:, 1], losses, rtol=1e-5)
        elif name == "gradient_heatmap":
            assert root.findall(f".//{SVG}image"), "the heatmap is an image"
        elif name == "decision_boundary":
            # One shape per sample (symbols drawn as paths, not crops of a cached image).
            X, _, Xv, _ = w.doc.project.arrays()
            assert len(paths) >= len(X) + len(Xv)
            assert not [e for e in root.iter(f"{SVG}image") if int(float(e.get("width", 0))) < 50]
        elif name == "gradient_through_time":
            continue            # a feed-forward network has no time axis (checked below)
        elif name == "accuracy":
            assert longest >= 3, name          # one point per epoch
        else:
            assert longest >= 10, f"{name}: no curve in the SVG"


def test_recurrent_gradient_through_time_exports_as_svg(qtbot, make_window, tmp_path):
    w = trained_window(make_window, "remember_5", epochs=1)
    path = tmp_path / "time.svg"
    assert w.exports.plot("gradient_through_time", str(path))
    _, paths = polylines(path)
    assert max(len(p) for p in paths) >= 5        # ‖∂E/∂h_t‖ over the 5 steps


def test_a_plot_that_cannot_be_drawn_leaves_no_file(qtbot, make_window, answers, tmp_path, monkeypatch):
    from PySide6.QtGui import QPainter
    w = trained_window(make_window, "xor", epochs=1)
    monkeypatch.setattr(QPainter, "begin", lambda self, device: False)
    target = tmp_path / "loss.svg"
    assert not w.exports.plot("loss", str(target))
    assert answers.kinds() == ["error"] and not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".svg"]
