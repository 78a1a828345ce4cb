"""The big-input cases of the size budget: what the largest allowed inputs cost,
and how quickly inputs over a limit are refused (before allocating).

Run: python benchmarks/big_inputs.py   (--walk-only: only the 500-step recurrent walk, in the
window too: the longest block on the GUI thread while opening, re-tracing and stepping it)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from backprop_viz.engine import Network, SpecError, budget, trace  # noqa: E402
from backprop_viz.engine.csvdata import read_csv_text  # noqa: E402
from backprop_viz.engine.neuron_view import NeuronViewUnavailable, neuron_view  # noqa: E402
from backprop_viz.session import data as data_mod  # noqa: E402
from backprop_viz.session.project import Project  # noqa: E402


def measured(fn):
    """(result or the SpecError, seconds, peak MB allocated by Python and NumPy).
    Timed on its own: tracing allocations slows Python several times over."""
    def call():
        try:
            return fn()
        except (SpecError, NeuronViewUnavailable) as exc:
            return exc
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    call()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return result, seconds, peak


def row(case, result, seconds, peak):
    what = f"refused: {str(result)[:70]}" if isinstance(result, Exception) else str(result)
    print(f"| {case} | {seconds * 1000:,.0f} ms | {peak:,.0f} MB | {what} |")


def main() -> None:
    if "--walk-only" in sys.argv:
        print("| case | time | peak memory | result |\n| --- | --- | --- | --- |")
        long_walk()
        return
    print("| case | time | peak memory | result |\n| --- | --- | --- | --- |")
    big_net = {"format": "backprop-viz/network", "inputs": 2, "loss": "mse",
               "layers": [{"units": 20000}, {"units": 20000}, {"units": 1}]}
    row("network 2-20000-20000-1", *measured(lambda: Network.from_dict(big_net)))
    wide = {**big_net, "layers": [{"units": 3000}, {"units": 3000}, {"units": 1}]}
    row("network 2-3000-3000-1 (9 M parameters)", *measured(lambda: Network.from_dict(wide)))
    row("xor with 10^8 samples (train --samples)", *measured(lambda: data_mod.full_arrays(
        {"kind": "builtin", "name": "xor", "samples": 10 ** 8, "noise": 0.1, "seed": 0})))
    header = ",".join(f"c{i}" for i in range(10_000)) + "\n"
    text = header + ",".join("1" for _ in range(10_000)) + "\n"
    row("CSV with 10,000 columns", *measured(lambda: read_csv_text(text, "wide.csv")))
    deep = Network.from_dict({"inputs": 8, "loss": "mse", "layers": [{"units": 64, "activation": "tanh"}] * 20
                              + [{"units": 1}]})
    tr = trace(deep, np.zeros((1, 8)), [[0.0]])
    row("neuron-level view of a 20-layer 64-wide net", *measured(lambda: neuron_view(tr)))

    rng = np.random.default_rng(0)
    rows = budget.MAX_SAMPLES
    n_in = budget.MAX_DATA_VALUES // rows - 2
    lines = [",".join(f"{v:.17g}" for v in r) for r in rng.normal(size=(rows, 30))]
    csv_text = "\n".join(lines) + "\n"
    row(f"parse a {len(csv_text) / 1e6:.0f} MB CSV ({rows:,} × 30)",
        *measured(lambda: read_csv_text(csv_text, "big.csv")[1].shape))
    X = -rng.uniform(1e-5, 9e-5, (rows, n_in))
    T = -rng.uniform(1e-5, 9e-5, (rows, 2))
    net = {"format": "backprop-viz/network", "inputs": n_in, "loss": "mse",
           "layers": [{"units": 8, "activation": "tanh"}, {"units": 2}]}
    project, seconds, peak = measured(lambda: Project(net, {"kind": "samples", "X": X.tolist(), "T": T.tolist()}))
    row(f"validate the largest project ({rows:,} × {n_in + 2})", "ok", seconds, peak)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.json")
        _, seconds, peak = measured(lambda: project.save(path))
        size = os.path.getsize(path)
        row("save it (compact arrays)", f"{size / 1e6:.0f} MB of {budget.MAX_FILE_BYTES / 1e6:.0f} MB allowed",
            seconds, peak)
        row("open it again", *measured(lambda: f"{len(Project.load(path).data['X']):,} samples"))
    long_walk()


def long_walk() -> None:
    """The stepper on a recurrent network unrolled over the most time steps allowed."""
    from backprop_viz.session.stepper import Stepper
    from backprop_viz.session.templates import open_template
    p = open_template("remember_20")
    p = p.with_data({**p.data, "steps": budget.MAX_TIME_STEPS})
    X, T, _, _ = p.arrays()
    st, seconds, peak = measured(lambda: Stepper(p.network(), X[:1], T[:1], level="layer"))
    row(f"layer-level walk of a recurrent net over {budget.MAX_TIME_STEPS} steps", f"{len(st.steps):,} steps",
        seconds, peak)
    st.run_to_end_of_backward()
    started = time.perf_counter()
    states = [st.node_state(n) for n in range(len(st.trace.nodes))]
    row("  what every node shows at the end of its backward pass", f"{len(states):,} nodes",
        time.perf_counter() - started, 0)
    open_long_walk(p)


def open_long_walk(project, rounds: int = 5) -> None:
    """Opening that project in the window, re-tracing and stepping it: the longest time the GUI
    thread went without looking at its event loop (a 10 ms heartbeat timer's largest gap), how
    much of that block was the graph scene, and the time until the graph was complete.
    ``rounds`` turns of each, medians (the machine may be shared)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from statistics import median
    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.graph_view import GraphView
    from backprop_viz.app.main_window import MainWindow
    app = make_app()
    started = time.perf_counter()
    w = MainWindow(project)
    w.resize(1400, 900)
    w.show()
    wait_until_drawn(w, app)
    opened = time.perf_counter() - started
    row("  a new window with it, until drawn", f"{len(w.stepper_panel.stepper.trace.nodes):,} graph nodes",
        opened, 0)
    graph_blocks: list[float] = []     # the graph's slices: laying out, making and updating items
    original_slice = GraphView._next_slice

    def timed_slice(self):
        t0 = time.perf_counter()
        original_slice(self)
        graph_blocks.append(time.perf_counter() - t0)
    GraphView._next_slice = timed_slice
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "long_walk.json")
    project.save(path)

    def graph_done():
        return w.stepper_panel.graph.up_to_date
    panel = lambda: w.stepper_panel     # noqa: E731  (File › Open makes a new panel)
    cases = [("File › Open of it", lambda: w.open_path(path)),
             ("re-trace the walk (a weight edited, another sample)", lambda: panel().rebuild()),
             ("walk: to the loss", lambda: panel().run_to_loss()),
             ("walk: to the end of the backward pass", lambda: panel().run_to_end()),
             ("walk: one step back", lambda: panel().step_back()),
             ("walk: restart", lambda: panel().restart()),
             ("fold time, then unfold", lambda: (panel().fold.setChecked(True), panel().fold.setChecked(False)))]
    results = {name: [] for name, _ in cases}
    for _ in range(rounds):
        for name, action in cases:
            w.doc.undo_stack.setClean()
            graph_blocks.clear()
            results[name].append(heartbeat(app, action, graph_done))
            results[name][-1] += (max(graph_blocks, default=0.0),)
    print(f"\nIn the window ({rounds} rounds, medians; worst longest block in brackets):\n\n"
          "| action | longest block on the GUI thread | the graph's longest slice | graph complete after |\n"
          "| --- | --- | --- | --- |")
    for name, runs in results.items():
        gap, done, own = (median(r[i] for r in runs) for i in range(3))
        worst = max(r[0] for r in runs)
        print(f"| {name} | {gap * 1000:,.0f} ms ({worst * 1000:,.0f}) | {own * 1000:,.0f} ms | {done * 1000:,.0f} ms |")
    GraphView._next_slice = original_slice
    w.doc.undo_stack.setClean()
    w.close()


def heartbeat(app, action, done, limit: float = 120.0) -> tuple[float, float]:
    """(the longest gap between two looks at the event loop, seconds until ``done()``) for
    ``action`` started from the event loop."""
    from PySide6.QtCore import QEventLoop, QTimer
    ticks: list[float] = []
    loop = QEventLoop()
    state = {"started": None}

    def beat():
        ticks.append(time.perf_counter())
        if state["started"] is not None and done() or ticks[-1] - (state["started"] or ticks[-1]) > limit:
            loop.quit()

    def start():
        state["started"] = time.perf_counter()
        ticks.append(state["started"])
        action()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()
    QTimer.singleShot(20, start)
    loop.exec()
    timer.stop()
    finished = ticks[-1] - state["started"]
    after = [t for t in ticks if t >= state["started"]]
    gaps = [b - a for a, b in zip(after, after[1:])]
    return max(gaps, default=0.0), finished


if __name__ == "__main__":
    main()
