"""Training updates per second: this engine, PyTorch eager and a hand-fused NumPy loop.

Run: make bench   (or: python benchmarks/engine_speed.py [--repeats N] [--seconds S])

All three do the same arithmetic on the same networks in float64, one
thread each (tiny steps are per-call overhead; threads only add cost):
shuffled mini-batches, forward, loss, backward, the optimizer update. The
engine's update also makes its per-update record (loss, per-layer norms and
update ratios). The fused loop is what a careful person writes by hand for
one fixed network: the practical limit of NumPy. The contenders take turns
in short slices, repeated, and the table shows the medians, so a busy
machine slows all three alike. PyTorch is optional; without it its columns
say "n/a".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from backprop_viz.engine import Network, Trainer  # noqa: E402


class Case:
    def __init__(self, label, sizes, act, batch, optimizer, n, recurrent_steps=0):
        self.label, self.sizes, self.act, self.batch = label, sizes, act, batch
        self.optimizer, self.n, self.steps = optimizer, n, recurrent_steps

    @property
    def recurrent(self):
        return self.steps > 0

    @property
    def loss(self):
        if self.recurrent:
            return "mse"
        return "cross_entropy" if self.sizes[-1] > 1 else "binary_cross_entropy"

    def data(self):
        rng = np.random.default_rng(0)
        k = self.sizes[-1]
        if self.recurrent:
            X = rng.normal(size=(self.n, self.steps, self.sizes[0]))
            return X, np.roll(X, -1, axis=1)[:, :, :k]
        X = rng.normal(size=(self.n, self.sizes[0]))
        T = np.eye(k)[rng.integers(0, k, self.n)] if k > 1 else rng.integers(0, 2, (self.n, 1)).astype(float)
        return X, T


LR = {"adam": 1e-3, "sgd": 0.05}
CASES = [
    Case("2-8-8-1 tanh, batch 32, Adam", [2, 8, 8, 1], "tanh", 32, "adam", 1024),
    Case("2-8-8-1 tanh, batch 32, SGD", [2, 8, 8, 1], "tanh", 32, "sgd", 1024),
    Case("2-8×6-1 sigmoid, batch 10, Adam", [2] + [8] * 6 + [1], "sigmoid", 10, "adam", 1000),
    Case("2-8×6-1 sigmoid, batch 10, SGD", [2] + [8] * 6 + [1], "sigmoid", 10, "sgd", 1000),
    Case("64-128-64-10 relu + CE, batch 128", [64, 128, 64, 10], "relu", 128, "adam", 4096),
    Case("784-128-10 relu + CE, batch 64", [784, 128, 10], "relu", 64, "adam", 2048),
    Case("recurrent 1-16-1, 20 steps, batch 32", [1, 16, 1], "tanh", 32, "adam", 512, recurrent_steps=20),
]


# -- the engine ------------------------------------------------------------------------------
def engine_step(case: Case):
    X, T = case.data()
    k = case.sizes[-1]
    if case.recurrent:
        layers = [{"type": "recurrent", "units": case.sizes[1], "activation": case.act},
                  {"units": k, "activation": "identity"}]
    else:
        out = "softmax" if k > 1 else "sigmoid"
        layers = [{"units": u, "activation": case.act} for u in case.sizes[1:-1]] + [{"units": k, "activation": out}]
    net = Network.from_dict({"inputs": case.sizes[0], "layers": layers, "loss": case.loss})
    tr = Trainer(net, X, T, optimizer={"name": case.optimizer, "lr": LR[case.optimizer]}, batch_size=case.batch)
    return tr.step


# -- PyTorch eager ---------------------------------------------------------------------------
def torch_step(case: Case):
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    X, T = case.data()
    X = torch.from_numpy(X)
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}[case.act]
    if case.recurrent:
        rnn = torch.nn.RNN(case.sizes[0], case.sizes[1], nonlinearity=case.act, batch_first=True).double()
        read = torch.nn.Linear(case.sizes[1], case.sizes[2]).double()
        params = list(rnn.parameters()) + list(read.parameters())

        def model(x):
            return read(rnn(x)[0])
        T = torch.from_numpy(T)
        lossf = torch.nn.MSELoss()
    else:
        mods = []
        for a, b in zip(case.sizes[:-2], case.sizes[1:-1]):
            mods += [torch.nn.Linear(a, b), act()]
        mods.append(torch.nn.Linear(case.sizes[-2], case.sizes[-1]))
        model = torch.nn.Sequential(*mods).double()
        params = list(model.parameters())
        if case.sizes[-1] > 1:
            T = torch.from_numpy(T.argmax(axis=1))
            lossf = torch.nn.CrossEntropyLoss()
        else:
            T = torch.from_numpy(T)
            lossf = torch.nn.BCEWithLogitsLoss()
    opt = (torch.optim.Adam if case.optimizer == "adam" else torch.optim.SGD)(params, lr=LR[case.optimizer])
    batches = _batches(case)

    def step():
        idx = torch.from_numpy(next(batches))
        opt.zero_grad()
        loss = lossf(model(X[idx]), T[idx])
        loss.backward()
        opt.step()
        return loss.item()
    return step


# -- the hand-fused NumPy loop ---------------------------------------------------------------
def _batches(case: Case):
    rng = np.random.default_rng(1)
    while True:
        perm = rng.permutation(case.n)
        for i in range(0, case.n, case.batch):
            yield perm[i:i + case.batch]


def _flat_params(shapes, rng):
    flat = np.empty(sum(int(np.prod(s)) for s in shapes))
    views, offset = [], 0
    for s in shapes:
        size = int(np.prod(s))
        v = flat[offset:offset + size].reshape(s)
        v[...] = rng.normal(size=s) / np.sqrt(s[0]) if len(s) == 2 else 0.0
        views.append(v)
        offset += size
    return flat, views


def _optimizer(kind, flat):
    """The update over one flat array: the fused form a person would write."""
    lr = LR[kind]
    if kind == "sgd":
        def sgd(g):
            flat.__isub__(lr * g)
        return sgd
    m, v, t = np.zeros_like(flat), np.zeros_like(flat), [0]

    def adam(g):
        t[0] += 1
        m.__imul__(0.9)
        m.__iadd__(0.1 * g)
        v.__imul__(0.999)
        v.__iadd__(0.001 * g * g)
        flat.__isub__((lr / (1 - 0.9 ** t[0])) * m / (np.sqrt(v) / np.sqrt(1 - 0.999 ** t[0]) + 1e-8))
    return adam


def fused_step(case: Case):
    if case.recurrent:
        return _fused_recurrent(case)
    X, T = case.data()
    sizes = case.sizes
    shapes = [(a, b) for a, b in zip(sizes[:-1], sizes[1:])] + [(b,) for b in sizes[1:]]
    flat, views = _flat_params(shapes, np.random.default_rng(0))
    L = len(sizes) - 1
    Ws, bs = views[:L], views[L:]
    grad = np.empty_like(flat)
    gviews, offset = [], 0
    for s in shapes:
        size = int(np.prod(s))
        gviews.append(grad[offset:offset + size].reshape(s))
        offset += size
    gW, gb = gviews[:L], gviews[L:]
    update = _optimizer(case.optimizer, flat)
    batches = _batches(case)
    softmax_out = sizes[-1] > 1
    f = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[case.act]

    def df(a):          # the derivative from the stored output
        if case.act == "tanh":
            return 1 - a * a
        if case.act == "sigmoid":
            return a * (1 - a)
        return a > 0

    def step():
        idx = next(batches)
        x, t = X[idx], T[idx]
        acts = [x]
        for i in range(L - 1):
            acts.append(f(acts[-1] @ Ws[i] + bs[i]))
        z = acts[-1] @ Ws[-1] + bs[-1]
        n = z.shape[0]
        # The loss fused with the output layer: the gradient w.r.t. the logits directly.
        if softmax_out:
            zm = z - z.max(axis=1, keepdims=True)
            e = np.exp(zm)
            s = e.sum(axis=1, keepdims=True)
            loss = -(t * (zm - np.log(s))).sum() / n
            d = (e / s - t) / n
        else:
            loss = (np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))).mean()
            d = (1 / (1 + np.exp(-z)) - t) / z.size
        for i in range(L - 1, -1, -1):
            np.matmul(acts[i].T, d, out=gW[i])
            d.sum(axis=0, out=gb[i])
            if i:
                d = (d @ Ws[i].T) * df(acts[i])
        update(grad)
        return float(loss)
    return step


def _fused_recurrent(case: Case):
    X, T = case.data()
    nin, H, k = case.sizes
    shapes = [(nin, H), (H, H), (H,), (H, k), (k,)]
    flat, (Wx, Wh, b, Wo, bo) = _flat_params(shapes, np.random.default_rng(0))
    grad = np.empty_like(flat)
    gviews, offset = [], 0
    for s in shapes:
        size = int(np.prod(s))
        gviews.append(grad[offset:offset + size].reshape(s))
        offset += size
    gWx, gWh, gb, gWo, gbo = gviews
    update = _optimizer(case.optimizer, flat)
    batches = _batches(case)
    steps = case.steps

    def step():
        idx = next(batches)
        x, t = X[idx], T[idx]
        n = x.shape[0]
        xw = x @ Wx + b                         # every step's input projection in one matmul
        hs = np.empty((n, steps + 1, H))
        hs[:, 0] = 0
        for s in range(steps):
            hs[:, s + 1] = np.tanh(xw[:, s] + hs[:, s] @ Wh)
        h = hs[:, 1:]
        y = h @ Wo + bo                         # every step's read-out in one matmul
        d = y - t
        loss = (d * d).mean()
        dy = 2 * d / d.size
        gWo[...] = h.reshape(-1, H).T @ dy.reshape(-1, k)
        gbo[...] = dy.sum(axis=(0, 1))
        dh_out = dy @ Wo.T
        dz = np.empty((n, steps, H))
        carry = np.zeros((n, H))
        for s in range(steps - 1, -1, -1):      # backpropagation through time
            dzs = (dh_out[:, s] + carry) * (1 - h[:, s] * h[:, s])
            dz[:, s] = dzs
            carry = dzs @ Wh.T
        gWh[...] = hs[:, :-1].reshape(-1, H).T @ dz.reshape(-1, H)
        gWx[...] = x.reshape(-1, nin).T @ dz.reshape(-1, H)
        gb[...] = dz.sum(axis=(0, 1))
        update(grad)
        return float(loss)
    return step


# -- measuring -------------------------------------------------------------------------------
def rate(step, seconds):
    count, start = 0, time.perf_counter()
    while True:
        for _ in range(10):
            step()
        count += 10
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def measure(case: Case, repeats: int, seconds: float, with_torch: bool) -> dict:
    makers = {"engine": engine_step, "fused": fused_step}
    if with_torch:
        makers["torch"] = torch_step
    steps = {name: make(case) for name, make in makers.items()}
    for step in steps.values():          # warm up: first-call costs, caches, the engine's tape
        rate(step, seconds / 4)
    rates = {name: [] for name in steps}
    names = list(steps)
    for r in range(repeats):
        # Alternate, in a rotating order, so slow spells fall on all contenders alike.
        for name in names[r % len(names):] + names[:r % len(names)]:
            rates[name].append(rate(steps[name], seconds))
    return {name: statistics.median(v) for name, v in rates.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="turns per contender (medians are reported)")
    ap.add_argument("--seconds", type=float, default=0.4, help="length of one turn")
    ap.add_argument("--only", default="", help="run only the configs whose label contains this text")
    args = ap.parse_args(argv)
    try:
        import torch
        version = f"torch {torch.__version__}"
    except ImportError:
        torch = None
        version = "torch not installed"
    print(f"numpy {np.__version__}, {version}; float64, one thread; medians of {args.repeats} alternating "
          f"turns of {args.seconds:g} s")
    head = (f"| {'config':<38} | {'engine /s':>10} | {'torch /s':>10} | {'fused /s':>10} "
            f"| {'engine / torch':>14} | {'engine / fused':>14} |")
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for case in CASES:
        if args.only and args.only not in case.label:
            continue
        r = measure(case, args.repeats, args.seconds, torch is not None)
        t = r.get("torch")
        ts = f"{t:>10,.0f}" if t else f"{'n/a':>10}"
        vs = f"{r['engine'] / t:>13.2f}×" if t else f"{'n/a':>14}"
        print(f"| {case.label:<38} | {r['engine']:>10,.0f} | {ts} | {r['fused']:>10,.0f} | {vs} "
              f"| {r['engine'] / r['fused']:>13.2f}× |", flush=True)


if __name__ == "__main__":
    main()
