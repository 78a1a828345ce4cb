"""GUI responsiveness with four compared runs training, and what interleaving costs each run.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/compare_lag.py [--seconds 6]

- Event-loop lag: a 10 ms QTimer's drift with the runs paused (what the
  machine adds), then while four runs (SGD, momentum,
  RMSprop, Adam on the 2-8-8-1 tanh network, batch 32) train in the Compare
  panel's worker thread, once with each overlay plot in front.
- Throughput: updates/s of each run against one run trained headless.
- Pause: how long Pause takes to stop the worker and hand the runs back.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

SPEC = {"format": "backprop-viz/network", "version": 1, "inputs": 2,
        "layers": [{"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"},
                   {"units": 1, "activation": "sigmoid"}], "loss": "binary_cross_entropy", "seed": 0}
DATA = {"kind": "builtin", "name": "circle", "samples": 1024, "noise": 0.1, "seed": 0, "validation": 0.2}
TRAINING = {"optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 32}
VARY = "optimizer=sgd,momentum,rmsprop,adam"


def project():
    from backprop_viz.session.project import Project
    return Project(SPEC, DATA, TRAINING)


def headless_rate(seconds: float) -> float:
    from backprop_viz.session.training import TrainingSession
    s = TrainingSession(project())
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        s.step()
    return s.trainer.steps / (time.perf_counter() - start)


def _wait(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def live(seconds: float):
    from PySide6.QtCore import QTimer

    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.main_window import MainWindow
    from backprop_viz.session import compare
    app = make_app()
    w = MainWindow(project(), welcome=False)
    w.persist_layout = False
    w.resize(1400, 900)
    w.show()
    wait_until_drawn(w, app)
    w.compare.compare([compare.parse_vary(VARY)])
    panel = w.compare_panel
    ctl = panel.controller
    results = []
    # First with the runs paused: what the machine itself adds (other programs, the timer).
    for tab in [None] + list(range(panel.tabs.count())):
        if tab == 0:
            ctl.run()
        if tab is not None:
            panel.tabs.setCurrentIndex(tab)
        lags = []
        last = [time.perf_counter()]

        def tick():
            now = time.perf_counter()
            lags.append(now - last[0] - 0.010)
            last[0] = now
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        steps0, t0 = [r.steps for r in panel.comparison.runs], time.perf_counter()
        timer.start()
        _wait(int(seconds * 1000))
        timer.stop()
        elapsed = time.perf_counter() - t0
        rate = np.mean([(r.steps - s) / elapsed for r, s in zip(panel.comparison.runs, steps0)])
        lag = np.maximum(np.array(lags[1:]), 0) * 1000
        results.append(("(paused)" if tab is None else panel.tabs.tabText(tab), float(np.percentile(lag, 50)), float(np.percentile(lag, 99)),
                        float(lag.max()), float(rate)))
    pauses = []
    for _ in range(5):
        t = time.perf_counter()
        ctl.pause()
        pauses.append((time.perf_counter() - t) * 1000)
        ctl.run()
        _wait(300)
    ctl.pause()
    w.doc.undo_stack.setClean()
    w.doc.mark_modified = lambda: None
    w.close()
    return results, pauses


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=6.0)
    args = ap.parse_args()
    base = headless_rate(args.seconds)
    print(f"headless, one run: {base:,.0f} updates/s (2-8-8-1 tanh, batch 32, Adam)")
    print(f"four runs ({VARY}) in one worker thread")
    print(f"{'plot in front':<16} {'lag p50':>8} {'lag p99':>8} {'lag max':>8} {'updates/s per run':>18} "
          f"{'× 4 vs headless':>16}")
    results, pauses = live(args.seconds)
    for name, p50, p99, mx, rate in results:
        print(f"{name:<16} {p50:>6.1f}ms {p99:>6.1f}ms {mx:>6.1f}ms {rate:>18,.0f} {4 * rate / base:>15.0%}")
    print(f"pause with four runs training: {max(pauses):.0f} ms at worst of {len(pauses)} "
          "(worker stopped and joined, last records drawn)")


if __name__ == "__main__":
    main()
