"""The graph path's speed: building a batch's graph with its backward pass, the graph-free
evaluation (validation loss and accuracy) and prediction, per second.

Training runs on the compiled tape (engine_speed.py); the graph is what the walk steps
through, what networks the tape does not cover train on, and what the tape is checked
against. ``--against DIR`` loads another checkout's engine beside this one and
alternates the two in one process, turn by turn: on a shared machine, runs made
one after the other differ by more than any change being measured.

Run: python benchmarks/graph_speed.py [--repeats N] [--seconds S] [--against DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import backprop_viz.engine  # noqa: E402

CASES = {
    "recurrent 1-16-1, 20 steps, batch 32": (
        {"inputs": 1, "loss": "mse",
         "layers": [{"type": "recurrent", "units": 16, "activation": "tanh"}, {"units": 1}]},
        (32, 20, 1), (32, 20, 1)),
    "recurrent 1-16-1 read-out of the last step, 20 steps, batch 32": (
        {"inputs": 1, "loss": "mse",
         "layers": [{"type": "recurrent", "units": 16, "activation": "tanh", "readout": "last"}, {"units": 1}]},
        (32, 20, 1), (32, 1)),
    "2-8-8-1 tanh, batch 32": (
        {"inputs": 2, "loss": "binary_cross_entropy",
         "layers": [{"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"},
                    {"units": 1, "activation": "sigmoid"}]},
        (32, 2), (32, 1)),
}


def other_engine(root: str):
    """The engine package of the checkout at ``root``, under another name (its imports are relative)."""
    folder = os.path.join(root, "backprop_viz", "engine")
    spec = importlib.util.spec_from_file_location("other_engine", os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    if spec is None or spec.loader is None:
        raise SystemExit(f"--against: no engine package in {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["other_engine"] = module
    spec.loader.exec_module(module)
    return module


def contenders(engine, d, x_shape, t_shape):
    evaluate = importlib.import_module(engine.__name__ + ".evaluation").evaluate
    backward = importlib.import_module(engine.__name__ + ".graph").backward
    net = engine.Network.from_dict(d)
    rng = np.random.default_rng(0)
    X = net.check_inputs(rng.normal(size=x_shape))
    T = net.check_targets(rng.uniform(size=t_shape), X.shape[0], steps=X.shape[1] if net.recurrent else None)
    return {
        "graph + backward": lambda: backward(net.build(X, T, checked=True, topo=False).order),
        "evaluate": lambda: evaluate(net, X, T),
        "predict": lambda: net.predict(X),
    }


def rate(fn, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="turns per measurement (medians are reported)")
    ap.add_argument("--seconds", type=float, default=0.3, help="length of one turn")
    ap.add_argument("--against", metavar="DIR", help="another checkout to compare with, turn by turn")
    args = ap.parse_args(argv)
    engines = {"this": backprop_viz.engine}
    if args.against:
        engines["other"] = other_engine(args.against)
    print(f"numpy {np.__version__}; float64, one thread; medians of {args.repeats} alternating turns "
          f"of {args.seconds} s" + (f"; other: {args.against}" if args.against else ""))
    kinds = ("graph + backward", "evaluate", "predict")
    head = [f"{k} /s" if not args.against else f"{k} /s this (other)" for k in kinds]
    print("| " + " | ".join([f"{'config':<62}", *head]) + " |")
    print("|" + "|".join("-" * (len(h) + 2) for h in [f"{'config':<62}", *head]) + "|")
    for label, case in CASES.items():
        fns = {name: contenders(engine, *case) for name, engine in engines.items()}
        rates: dict[tuple, list[float]] = {(name, k): [] for name in engines for k in kinds}
        for _ in range(args.repeats):
            for k in kinds:
                for name in engines:
                    rates[name, k].append(rate(fns[name][k], args.seconds))
        cells = []
        for k, h in zip(kinds, head):
            text = f"{statistics.median(rates['this', k]):,.0f}"
            if args.against:
                text += f" ({statistics.median(rates['other', k]):,.0f})"
            cells.append(f"{text:>{len(h)}}")
        print("| " + " | ".join([f"{label:<62}", *cells]) + " |")


if __name__ == "__main__":
    main()
