"""Live training in the window against the bare engine, and how late the window's event loop runs.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/gui_lag.py [--seconds 2] [--rounds 3]
     [--templates xor,deep_sigmoid,sine_prediction] [--tabs Loss,Gradients] [--million [--updates N]]

For each template (the real ones the app opens) and each live-plot tab in front, in turn and
ALTERNATELY in the same run, ``--rounds`` times:

- bare engine: ``Trainer.step()`` in a loop in this process for ``--seconds`` (no validation,
  no snapshots, no window work: the engine's pace), with the window's training paused;
- live: the window trains the same run for ``--seconds`` in its training process, with the
  data view, network canvas and that tab on screen (Train workspace), and a 10 ms timer in
  the window's event loop.

Lag is time-weighted: between two timer ticks ``g`` apart the loop was busy for
``b = g − 10 ms``, and an input arriving during that time waits on average b/2, at worst b.
"p99 = x" means the loop would have kept an input waiting longer than x during 1 % of the
time (Σ max(0, b − x) / total time = 0.01); one 300 ms stall counts as 300 ms of lateness, not
as one late tick. "window CPU" and "training CPU" are the shares of a core each process got;
"per CPU s" compares updates per CPU second of the training process with those of the bare
loop, which is the live path's own overhead whatever share of a core the machine gave each.
The figures are medians over the rounds; "live/bare" is the median of each live turn divided by
the bare turn just before it (paired, so the machine's drift over seconds mostly cancels). With
other work on the machine they are noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

TEMPLATES = ("xor", "deep_sigmoid", "sine_prediction")
TICK_S = 0.010
WARM_S = 0.3


def lag_percentile(gaps, q: float) -> float:
    """The lag x (s) the loop exceeded during a share 1 − q of the time (see the module text)."""
    gaps = np.asarray(gaps, dtype=float)
    total = gaps.sum()
    busy = np.maximum(gaps - TICK_S, 0.0)
    if total <= 0 or busy.max() <= 0:
        return 0.0
    share = 1.0 - q

    def late(x):        # share of the time an input would have waited longer than x
        return np.maximum(busy - x, 0.0).sum() / total
    if late(0.0) <= share:
        return 0.0
    lo, hi = 0.0, float(busy.max())
    for _ in range(60):
        mid = (lo + hi) / 2
        if late(mid) > share:
            lo = mid
        else:
            hi = mid
    return hi


def bare_rate(project, seconds: float, state=None) -> tuple[float, object]:
    """(updates per second, per CPU second) of Trainer.step() alone on ``project``, carrying on from ``state``."""
    from backprop_viz.session.training import TrainingSession
    s = state or TrainingSession(project)
    tr = s.trainer
    saved = tr.X_val, tr.T_val
    tr.X_val = tr.T_val = None        # the engine's pace: no validation
    n0, t0, c0 = tr.steps, time.perf_counter(), time.process_time()
    try:
        while True:
            for _ in range(20):
                tr.step()
            now = time.perf_counter()
            if now - t0 >= seconds:
                break
    finally:
        tr.X_val, tr.T_val = saved
    cpu = time.process_time() - c0
    return (tr.steps - n0) / (now - t0), (tr.steps - n0) / cpu, s


def run_loop(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def live_window(w, seconds: float):
    """(updates/s, tick gaps) while the window trains for ``seconds``."""
    from PySide6.QtCore import QTimer
    marks = []

    def mark(snap):
        marks.append((time.perf_counter(), snap.step))
    w.training.snapshot.connect(mark)
    w.training.train()
    run_loop(WARM_S)
    gaps = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    timer = QTimer()
    timer.setInterval(int(TICK_S * 1000))
    timer.timeout.connect(tick)
    t0, c0, p0 = time.perf_counter(), time.process_time(), _cpu_seconds(w.training.proc.pid)
    timer.start()
    run_loop(seconds)
    timer.stop()
    t1, c1, p1 = time.perf_counter(), time.process_time(), _cpu_seconds(w.training.proc.pid)
    # Pause: the process stops and answers, then the window puts the weights into the document
    # (an undo entry; the canvas, the walk and the data view follow them). Timed apart.
    synced = []
    sync = w.training._sync_document

    def timed_sync():
        t = time.perf_counter()
        sync()
        synced.append(time.perf_counter() - t)
    w.training._sync_document = timed_sync
    pause_t = time.perf_counter()
    w.training.pause()
    total = time.perf_counter() - pause_t
    w.training._sync_document = sync
    pause_ms = ((total - sum(synced)) * 1000, total * 1000)
    w.training.snapshot.disconnect(mark)
    inside = [(t, s) for t, s in marks if t0 <= t <= t1]
    rate = (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]) if len(inside) > 1 else float("nan")
    return rate, gaps, pause_ms, (c1 - c0) / (t1 - t0), (p1 - p0) / (t1 - t0)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def measure(templates, tabs, seconds: float, rounds: int):
    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.main_window import MainWindow
    from backprop_viz.session.templates import open_template
    app = make_app()
    rows = []
    pauses = []
    for key in templates:
        w = MainWindow(open_template(key), welcome=False)
        w.persist_layout = False
        w.resize(1400, 900)
        w.show()
        wait_until_drawn(w, app)
        w.set_workspace("train")
        wait_until_drawn(w, app)
        names = [w.plots.tabs.tabText(i) for i in range(w.plots.tabs.count())]
        state = None
        for name in names:
            if tabs and name not in tabs:
                continue
            w.plots.tabs.setCurrentIndex(names.index(name))
            wait_until_drawn(w, app)
            bare, live, p50, p99, mx, cpu, tcpu, eff, ratio = [], [], [], [], [], [], [], [], []
            for _ in range(rounds):
                rate, per_cpu, state = bare_rate(open_template(key), seconds, state)
                bare.append(rate)
                lrate, gaps, pause_ms, busy, tbusy = live_window(w, seconds)
                live.append(lrate)
                # Each live turn against the bare turn just before it: the machine's pace drifts
                # by ±15 % over seconds, and a pair taken together shares most of that drift.
                ratio.append(lrate / rate)
                cpu.append(busy)
                tcpu.append(tbusy)
                # Per CPU second of the training process against per CPU second of the bare
                # loop: the live overhead, whatever share of a core the machine gave each.
                eff.append(lrate / tbusy / per_cpu if tbusy > 0 else float("nan"))
                pauses.append(pause_ms)
                p50.append(lag_percentile(gaps, 0.50) * 1000)
                p99.append(lag_percentile(gaps, 0.99) * 1000)
                mx.append(max(0.0, max(gaps) - TICK_S) * 1000 if gaps else 0.0)
            med = statistics.median
            row = (key, name, med(bare), med(live), med(ratio), med(p50), med(p99), med(mx), med(cpu), med(tcpu),
                   med(eff))
            rows.append(row)
            print(_row(row), flush=True)
        w.training.pause()
        w.doc.undo_stack.setClean()
        w.close()
        wait_until_drawn(w, app)
    return rows, pauses


HEADER = (f"{'template':<16} {'tab in front':<14} {'bare engine':>12} {'live':>10} {'live/bare':>9} "
          f"{'lag p50':>8} {'lag p99':>8} {'lag max':>8} {'window CPU':>10} {'training CPU':>12} {'per CPU s':>9}")


def _row(r) -> str:
    key, name, bare, live, ratio, p50, p99, mx, cpu, tcpu, eff = r
    return (f"{key:<16} {name:<14} {bare:>10,.0f}/s {live:>8,.0f}/s {ratio:>8.0%} "
            f"{p50:>6.1f}ms {p99:>6.1f}ms {mx:>6.1f}ms {cpu:>9.0%} {tcpu:>11.0%} {eff:>8.0%}")


def million(updates: int = 1_000_000) -> str:
    """RSS of a training process before and after ``updates`` live updates (Linux)."""
    import resource

    from backprop_viz.session.history import History
    from backprop_viz.session.templates import open_template
    from backprop_viz.session.training import LIVE_RATE_HZ, Control, TrainingSession
    # As in the app: the training process keeps no history, the window keeps a bounded one.
    s = TrainingSession(open_template("xor"), keep_history=False)
    history = History(len(s.net.spec.layers))
    start_rss = _rss_mb()
    t0 = time.perf_counter()
    marks, next_mark = [], updates // 10
    for snap in s.run(Control(), max_steps=updates, max_rate=LIVE_RATE_HZ):
        history.add_rows(snap.rows, snap.nonfinite)
        if snap.step >= next_mark:
            marks.append(f"{_rss_mb():.0f}")
            next_mark += updates // 10
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"{updates:,} updates (xor) in {elapsed:.0f} s; RSS {start_rss:.0f} MB before, {_rss_mb():.0f} MB after "
            f"(peak {peak:.0f} MB; at every tenth of the run: {', '.join(marks)} MB); "
            f"the window's history {history.nbytes / 1024:.0f} KiB")


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0, help="each bare and each live measurement")
    ap.add_argument("--rounds", type=int, default=3, help="alternations per template and tab (medians)")
    ap.add_argument("--templates", default=",".join(TEMPLATES))
    ap.add_argument("--tabs", default="", help="comma-separated tab names (default: every tab)")
    ap.add_argument("--million", action="store_true",
                    help="only memory over 1,000,000 live updates (no lag table)")
    ap.add_argument("--updates", type=int, default=1_000_000, help="with --million: how many updates")
    args = ap.parse_args()
    if args.million:
        # Memory alone: the lag table is a separate run (it needs a quiet machine, this does not).
        print(million(args.updates))
        return
    templates = [t for t in args.templates.split(",") if t]
    tabs = [t for t in args.tabs.split(",") if t]
    print(f"{args.rounds} rounds of {args.seconds:g} s bare then {args.seconds:g} s live; medians")
    print(HEADER, flush=True)
    rows, pauses = measure(templates, tabs, args.seconds, args.rounds)
    if pauses:
        stop = [p[0] for p in pauses]
        whole = [p[1] for p in pauses]
        print(f"pause while training at full speed, {len(pauses)} times: training stopped and answered in "
              f"{statistics.median(stop):.0f} ms median ({max(stop):.0f} ms worst); with the weights back in "
              f"the document and its views {statistics.median(whole):.0f} ms median ({max(whole):.0f} ms worst)")


if __name__ == "__main__":
    main()
