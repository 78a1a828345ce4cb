"""Training steps per second: this engine against PyTorch eager on the CPU.

Run: python benchmarks/engine_speed.py   (PyTorch is optional)
Networks: 2-8-8-1 tanh, batch 32; 64-128-64-10 relu, batch 128. Adam, one
thread for both (tiny steps are per-call overhead, threads only add cost).
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from backprop_viz.engine import Network, Trainer  # noqa: E402

CASES = [
    ("2-8-8-1 tanh, batch 32", [2, 8, 8, 1], "tanh", 32, 1024, "binary_cross_entropy"),
    ("64-128-64-10 relu, batch 128", [64, 128, 64, 10], "relu", 128, 4096, "cross_entropy"),
]


def ours(sizes, act, batch, n, loss, seconds):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, sizes[0]))
    k = sizes[-1]
    T = np.eye(k)[rng.integers(0, k, n)] if k > 1 else rng.integers(0, 2, (n, 1)).astype(float)
    out_act = "softmax" if k > 1 else "sigmoid"
    layers = [{"units": u, "activation": act} for u in sizes[1:-1]] + [{"units": k, "activation": out_act}]
    net = Network.from_dict({"inputs": sizes[0], "layers": layers, "loss": loss})
    tr = Trainer(net, X, T, optimizer={"name": "adam", "lr": 1e-3}, batch_size=batch)
    return _rate(tr.step, seconds)


def torch_rate(sizes, act, batch, n, loss, seconds):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    mods = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        mods += [torch.nn.Linear(a, b), torch.nn.Tanh() if act == "tanh" else torch.nn.ReLU()]
    mods.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    model = torch.nn.Sequential(*mods).double()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    X = torch.randn(n, sizes[0], dtype=torch.float64)
    k = sizes[-1]
    if k > 1:
        T = torch.randint(0, k, (n,))
        lossf = torch.nn.CrossEntropyLoss()
    else:
        T = torch.randint(0, 2, (n, 1)).double()
        lossf = torch.nn.BCEWithLogitsLoss()
    state = {"i": 0}

    def step():
        i = state["i"]
        idx = slice(i, i + batch)
        state["i"] = (i + batch) % n
        opt.zero_grad()
        loss = lossf(model(X[idx]), T[idx])
        loss.backward()
        opt.step()
    return _rate(step, seconds)


def _rate(step, seconds):
    for _ in range(50):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(20):
            step()
        count += 20
    return count / (time.perf_counter() - start)


def main():
    seconds = float(os.environ.get("BENCH_SECONDS", "3"))
    try:
        import torch
        version = torch.__version__
    except ImportError:
        torch = None
    print(f"numpy {np.__version__}" + (f", torch {version}" if torch else ", torch not installed"))
    print(f"{'network':<32} {'backprop-viz':>14} {'PyTorch eager':>14} {'ratio':>7}")
    for case in CASES:
        name, *args = case
        a = ours(*args, seconds)
        b = torch_rate(*args, seconds) if torch else float("nan")
        print(f"{name:<32} {a:>10,.0f} /s {b:>10,.0f} /s {a / b:>6.2f}x")


if __name__ == "__main__":
    main()
