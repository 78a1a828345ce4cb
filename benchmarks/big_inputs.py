"""The big-input cases of the size budget: what the largest allowed inputs cost,
and how quickly inputs over a limit are refused (before allocating).

Run: python benchmarks/big_inputs.py
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


def open_long_walk(project) -> None:
    """Opening that project in the window: everything on the GUI thread until it is drawn,
    and the part of it that builds the graph scene (one node per op and time step)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from backprop_viz.app.application import make_app, wait_until_drawn
    from backprop_viz.app.main_window import MainWindow
    app = make_app()
    started = time.perf_counter()
    w = MainWindow(project)
    w.resize(1400, 900)
    w.show()
    wait_until_drawn(w, app)
    opened = time.perf_counter() - started
    graph = w.stepper_panel.graph
    started = time.perf_counter()
    graph.set_stepper(w.stepper_panel.stepper)
    built = time.perf_counter() - started
    row("  open it in the window, until drawn", f"{len(graph.items):,} graph nodes", opened, 0)
    row("  of which: the graph scene", "", built, 0)
    w.doc.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
