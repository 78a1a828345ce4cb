"""A 784-128-10 network in the app: time to open, to pan and zoom, to trace at layer level.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/canvas_speed.py
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

SPEC = {"format": "backprop-viz/network", "version": 1, "inputs": 784,
        "layers": [{"units": 128, "activation": "relu", "init": "he_normal"},
                   {"units": 10, "activation": "softmax"}], "loss": "cross_entropy", "seed": 0}


def main():
    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.main_window import MainWindow
    from backprop_viz.session.project import Project
    app = make_app()
    t0 = time.perf_counter()
    project = Project(SPEC)
    w = MainWindow(project)
    w.resize(1400, 900)
    w.show()
    wait_until_drawn(w, app)
    opened = time.perf_counter() - t0
    view = w.canvas
    times = []
    for i in range(40):
        t = time.perf_counter()
        view.zoom(1.1 if i % 2 == 0 else 1 / 1.1)
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 15)
        view.viewport().repaint()   # the frame the user sees, painted now
        app.processEvents()
        times.append(time.perf_counter() - t)
    times.sort()
    t = time.perf_counter()
    w.stepper_panel.batch.setChecked(True)
    traced = time.perf_counter() - t
    level = w.stepper_panel.stepper.level
    n = w.stepper_panel.stepper.trace.X.shape[0]
    print(f"784-128-10: window open and drawn in {opened * 1000:.0f} ms "
          f"({len(view.neurons)} neurons and {len(view.edges)} edges drawn)")
    print(f"pan + zoom + full repaint: median {times[len(times) // 2] * 1000:.1f} ms, "
          f"worst {times[-1] * 1000:.1f} ms per frame")
    print(f"stepper: {level} level trace of a batch of {n} in {traced * 1000:.0f} ms")
    w.doc.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
