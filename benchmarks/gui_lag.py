"""GUI responsiveness while training at full speed, and live vs headless throughput.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/gui_lag.py [--seconds 8] [--million]

- Event-loop lag: a 10 ms QTimer's drift while the 2-8-8-1 tanh network
  trains at full speed, measured once with each live-plot tab in front (and
  the data view, network canvas and stepper visible all the time).
- Throughput: updates/s with the live view open against the same training
  loop run headless.
- With --million: memory of the training process after 1,000,000 updates.
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


def project():
    from backprop_viz.session.project import Project
    return Project(SPEC, DATA, TRAINING)


def headless_rate(seconds: float) -> float:
    from backprop_viz.session.training import Control, TrainingSession
    s = TrainingSession(project())
    start = time.perf_counter()
    gen = s.run(Control())
    for _ in gen:
        if time.perf_counter() - start > seconds:
            break
    return s.trainer.steps / (time.perf_counter() - start)


def live(seconds: float):
    from PySide6.QtCore import QEventLoop, QTimer

    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.main_window import MainWindow
    app = make_app()
    w = MainWindow(project())
    w.resize(1400, 900)
    w.show()
    wait_until_drawn(w, app)
    results = []
    w.training.train()
    QTimer.singleShot(0, lambda: None)
    for tab in range(w.plots.tabs.count()):
        w.plots.tabs.setCurrentIndex(tab)
        name = w.plots.tabs.tabText(tab)
        lags = []
        last = [time.perf_counter()]

        def tick():
            now = time.perf_counter()
            lags.append(now - last[0] - 0.010)
            last[0] = now
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        steps0, t0 = w.training.steps, time.perf_counter()
        timer.start()
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        timer.stop()
        rate = (w.training.steps - steps0) / (time.perf_counter() - t0)
        lag = np.maximum(np.array(lags[1:]), 0) * 1000
        results.append((name, float(np.percentile(lag, 50)), float(np.percentile(lag, 99)),
                        float(lag.max()), rate))
    pauses = []
    for _ in range(5):
        t = time.perf_counter()
        w.training.pause()
        pauses.append((time.perf_counter() - t) * 1000)
        w.training.train()
        loop = QEventLoop()
        QTimer.singleShot(300, loop.quit)
        loop.exec()
    t = time.perf_counter()
    w.training_panel.fields["lr"].setText("0.005")
    w.training_panel.fields["lr"].editingFinished.emit()
    sent = (time.perf_counter() - t) * 1000
    w.training.pause()
    w.doc.undo_stack.setClean()
    w.close()
    return results, pauses, sent


def million() -> str:
    """RSS of a training process before and after 1,000,000 updates (Linux)."""
    import resource

    from backprop_viz.session.training import Control, TrainingSession
    s = TrainingSession(project())
    snaps = 0
    start_rss = _rss_mb()
    t0 = time.perf_counter()
    for _ in s.run(Control(), max_steps=1_000_000):
        snaps += 1
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"1,000,000 updates in {elapsed:.0f} s; RSS {start_rss:.0f} MB before, {_rss_mb():.0f} MB after "
            f"(peak {peak:.0f} MB); history arrays {s.history.nbytes / 1024:.0f} KiB")


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    base = headless_rate(args.seconds)
    print(f"headless: {base:,.0f} updates/s (2-8-8-1 tanh, batch 32, Adam)")
    print(f"{'tab in front':<14} {'lag p50':>8} {'lag p99':>8} {'lag max':>8} {'updates/s':>10} {'vs headless':>12}")
    results, pauses, sent = live(args.seconds)
    for name, p50, p99, mx, rate in results:
        print(f"{name:<14} {p50:>6.1f}ms {p99:>6.1f}ms {mx:>6.1f}ms {rate:>10,.0f} {rate / base:>11.0%}")
    print(f"pause while training at full speed: {max(pauses):.0f} ms at worst of {len(pauses)} "
          f"(stop answered, worker joined, weights back in the document)")
    print(f"a learning-rate change reaches the running trainer message queue in {sent:.1f} ms "
          f"and applies at its next update")
    if args.million:
        print(million())


if __name__ == "__main__":
    main()
