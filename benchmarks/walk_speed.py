"""What one step of the walk costs in the window, on the deep sigmoid template (2-8×9-1,
609 weights drawn): the canvas overlay's refresh, how many canvas items it touches, and
the whole step (panel, graph, formula, overlay) with the repaint it causes.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/walk_speed.py [--template deep_sigmoid]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def ms(values) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, worst {max(values) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--template", default="deep_sigmoid")
    args = parser.parse_args()
    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.main_window import MainWindow
    from backprop_viz.session.stepper import BACKWARD, FORWARD
    from backprop_viz.session.templates import open_template
    app = make_app()
    w = MainWindow(open_template(args.template))
    w.resize(1400, 900)
    w.show()
    wait_until_drawn(w, app)
    panel, overlay = w.stepper_panel, w.walk_overlay
    refresh = overlay.refresh
    costs: list[float] = []

    def timed():
        started = time.perf_counter()
        refresh()
        costs.append(time.perf_counter() - started)
    panel.walkChanged.disconnect(refresh)
    panel.walkChanged.connect(timed)
    for phase in (FORWARD, BACKWARD):
        costs.clear()
        steps, touched = [], []
        panel.restart() if phase == FORWARD else panel.run_to_loss()
        app.processEvents()
        while not panel.stepper.at_end and panel.stepper.steps[panel.stepper.position + 1].phase == phase:
            started = time.perf_counter()
            panel.step_forward()
            app.processEvents()         # the repaint of what the step changed
            steps.append(time.perf_counter() - started)
            touched.append(getattr(overlay, "touched", None))
        print(f"{args.template}, {panel.stepper.level} level, {phase} ({len(steps)} steps):")
        print(f"  canvas overlay refresh: {ms(costs)}")
        if touched[0] is not None:
            print(f"  canvas items and marks touched per step: median {statistics.median(touched):.0f}, "
                  f"most {max(touched)}")
        print(f"  whole step with its repaint: {ms(steps)}")
    w.doc.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
