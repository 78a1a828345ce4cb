"""Bounded metric history: a million updates fit in the same memory as a thousand.

Each series keeps at most ``capacity`` points. When full it keeps every
other point and from then on records every ``stride``-th value, so memory
stays fixed while the curve still spans the whole run. Points flagged as
important (a divergence) are always kept.
"""

from __future__ import annotations

import numpy as np


class Series:
    def __init__(self, width: int, capacity: int = 4096):
        self.capacity = capacity
        self.x = np.empty(capacity)
        self.y = np.empty((capacity, width))
        self.n = 0
        self.stride = 1
        self._skipped = 0

    def append(self, x: float, values, keep: bool = False) -> None:
        if not keep and self.stride > 1:
            self._skipped += 1
            if self._skipped < self.stride:
                return
        self._skipped = 0
        if self.n == self.capacity:
            half = self.capacity // 2
            self.x[:half] = self.x[0::2][:half]
            self.y[:half] = self.y[0::2][:half]
            self.n = half
            self.stride *= 2
        self.x[self.n] = x
        self.y[self.n] = values
        self.n += 1

    def data(self):
        return self.x[:self.n], self.y[:self.n]

    def clear(self) -> None:
        self.n, self.stride, self._skipped = 0, 1, 0

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + self.y.nbytes


class History:
    """Per-update loss, learning rate and per-layer norms; per-epoch validation."""

    def __init__(self, layers: int, capacity: int = 4096):
        self.layers = layers
        self.capacity = capacity
        # columns: loss, lr, grad norms (layers), weight norms (layers), update ratios (layers)
        self.updates = Series(2 + 3 * layers, capacity)
        # columns: epoch, val loss, train accuracy, val accuracy (NaN where absent)
        self.epochs = Series(4, capacity)
        self.divergences: list[tuple[int, str]] = []

    def add(self, rec: dict) -> None:
        row = np.concatenate([[rec["loss"], rec["lr"]], rec["grad_norms"], rec["weight_norms"],
                              rec["update_ratios"]])
        bad = rec.get("nonfinite") is not None
        self.updates.append(rec["step"], row, keep=bad)
        if bad:
            self.divergences.append((rec["step"], rec["nonfinite"]["node"]))
        if rec.get("epoch_end"):
            nan = float("nan")
            self.epochs.append(rec["step"], [rec["epoch"], _f(rec.get("val_loss"), nan),
                                             _f(rec.get("accuracy"), nan), _f(rec.get("val_accuracy"), nan)])

    def loss(self):
        x, y = self.updates.data()
        return x, y[:, 0]

    def lr(self):
        x, y = self.updates.data()
        return x, y[:, 1]

    def grad_norms(self):
        x, y = self.updates.data()
        return x, y[:, 2:2 + self.layers]

    def weight_norms(self):
        x, y = self.updates.data()
        return x, y[:, 2 + self.layers:2 + 2 * self.layers]

    def update_ratios(self):
        x, y = self.updates.data()
        return x, y[:, 2 + 2 * self.layers:]

    def val_loss(self):
        x, y = self.epochs.data()
        keep = np.isfinite(y[:, 1])
        return x[keep], y[keep, 1]

    def accuracy(self):
        x, y = self.epochs.data()
        return x, y[:, 2], y[:, 3]

    def clear(self) -> None:
        self.updates.clear()
        self.epochs.clear()
        self.divergences.clear()

    @property
    def nbytes(self) -> int:
        return self.updates.nbytes + self.epochs.nbytes


def _f(v, default):
    return default if v is None else float(v)
