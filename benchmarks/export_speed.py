"""What the long exports cost and how long the window waits at most between two looks at
its event loop while they run (what must stay on the GUI thread: painting a scene).

Run: QT_QPA_PLATFORM=offscreen python benchmarks/export_speed.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

BIG = {"format": "backprop-viz/network", "version": 1, "inputs": 784,
       "layers": [{"units": 128, "activation": "relu", "init": "he_normal"},
                  {"units": 10, "activation": "softmax"}], "loss": "cross_entropy", "seed": 0}


def drawing(scene, path) -> tuple[float, float, int]:
    """(seconds in all, longest stretch without a look at the event loop, parts)."""
    from backprop_viz.app.exporters import export_scene
    gaps, last = [], [time.perf_counter()]

    def progress(done, total):   # done is None while the PNG is encoded in a worker thread
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        return True
    started = time.perf_counter()
    try:
        export_scene(scene, path, progress=progress)
    except TypeError:           # an exporter without progress: one stretch
        export_scene(scene, path)
    total = time.perf_counter() - started
    gaps.append(time.perf_counter() - last[0])
    return total, max(gaps), len(gaps) - 1


def main() -> None:
    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.main_window import MainWindow
    from backprop_viz.engine.derivation import csv_rows, latex, markdown
    from backprop_viz.session.project import Project
    from backprop_viz.session.templates import open_template
    app = make_app()
    print("| export | time | longest GUI-thread stretch | parts |\n| --- | --- | --- | --- |")
    folder = tempfile.mkdtemp()
    for steps in (60, 500):
        p = open_template("remember_20")
        w = MainWindow(p.with_data({**p.data, "steps": steps}))
        w.resize(1400, 900)
        w.show()
        wait_until_drawn(w, app)
        st = w.stepper_panel.stepper
        st.run_to_end_of_backward()
        w.stepper_panel.graph.refresh()
        n = len(w.stepper_panel.graph.items)
        for ext in ("png", "svg"):
            try:
                total, gap, parts = drawing(w.stepper_panel.graph.scene(), os.path.join(folder, f"g.{ext}"))
                print(f"| graph of a {steps}-step recurrent walk ({n:,} nodes) as {ext.upper()} | {total * 1000:,.0f} ms "
                      f"| {gap * 1000:,.0f} ms | {parts} |")
            except ValueError as exc:
                print(f"| graph of a {steps}-step recurrent walk ({n:,} nodes) as {ext.upper()} | refused: "
                      f"{str(exc)[:60]}… | | |")
        if steps == 500:
            for fn in (markdown, latex, csv_rows):
                started = time.perf_counter()
                text = fn(st.trace, 9, about="benchmark")
                print(f"| derivation of the {steps}-step walk, {fn.__name__} ({len(text) / 1e6:.1f} MB) | "
                      f"{(time.perf_counter() - started) * 1000:,.0f} ms | 0 ms (worker thread) | |")
        w.doc.undo_stack.setClean()
        w.close()
    w = MainWindow(Project(BIG))
    w.resize(1400, 900)
    w.show()
    wait_until_drawn(w, app)
    for ext in ("png", "svg"):
        total, gap, parts = drawing(w.canvas.scene(), os.path.join(folder, f"net.{ext}"))
        print(f"| network drawing 784-128-10 ({len(w.canvas.edges):,} edges) as {ext.upper()} | {total * 1000:,.0f} ms "
              f"| {gap * 1000:,.0f} ms | {parts} |")
    w.doc.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
