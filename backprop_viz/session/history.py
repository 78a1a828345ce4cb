"""Bounded metric history: a million updates fit in the same memory as a thousand.

Each series keeps at most ``capacity`` points. When full it keeps every
other point and from then on records every ``stride``-th value, so memory
stays fixed while the curve still spans the whole run. Points flagged as
important (a divergence) are always kept, and so is the latest point: a curve
always ends at the run's last update.
"""

from __future__ import annotations

from operator import itemgetter

import numpy as np


class Series:
    def __init__(self, width: int, capacity: int = 4096):
        self.capacity = capacity
        self.x = np.empty(capacity)
        self.y = np.empty((capacity, width))
        self.n = 0
        self.stride = 1
        self._skipped = 0
        self._tail_x = 0.0
        self._tail_y = np.empty(width)    # the latest value when it fell between kept points

    def append(self, x: float, values, keep: bool = False) -> None:
        if not keep and self.stride > 1:
            self._skipped += 1
            if self._skipped < self.stride:
                self._tail_x = x
                self._tail_y[...] = values
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
        if self._skipped:
            return (np.append(self.x[:self.n], self._tail_x),
                    np.concatenate([self.y[:self.n], self._tail_y[None, :]]))
        return self.x[:self.n], self.y[:self.n]

    def clear(self) -> None:
        self.n, self.stride, self._skipped = 0, 1, 0

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + self.y.nbytes + self._tail_y.nbytes


# The columns of a packed record row (then grad norms, weight norms and update ratios per layer):
# a snapshot carries its records as one float array, not a list of dicts.
ROW_HEAD = ("step", "epoch", "loss", "val_loss", "lr", "accuracy", "val_accuracy", "epoch_end", "nonfinite")
_H = len(ROW_HEAD)


_MAIN = itemgetter(*ROW_HEAD[:5])
_NORMS = itemgetter("grad_norms", "weight_norms", "update_ratios")


def pack(records, layers: int) -> np.ndarray:
    """Records as rows of floats (NaN where a value is absent)."""
    # A snapshot of a fast run packs hundreds of records: one flat list of Python numbers and
    # one conversion (None becomes NaN there) cost least. Records of another shape take the
    # careful path.
    flat: list = []
    add = flat.extend
    try:
        for rec in records:
            add(_MAIN(rec))
            get = rec.get
            add((get("accuracy"), get("val_accuracy"), 1.0 if rec["epoch_end"] else 0.0,
                 1.0 if rec["nonfinite"] else 0.0))
            g, w, u = _NORMS(rec)
            if not (len(g) == len(w) == len(u) == layers):
                return _pack_each(records, layers)
            add(g)
            add(w)
            add(u)
    except (KeyError, TypeError):
        return _pack_each(records, layers)
    return np.array(flat, dtype=float).reshape(len(records), _H + 3 * layers)


def _pack_each(records, layers: int) -> np.ndarray:
    absent = [None] * layers
    head = ROW_HEAD[:-2]
    rows = []
    for rec in records:
        get = rec.get
        row = [get(key) for key in head]
        row.append(1.0 if get("epoch_end") else 0.0)
        row.append(1.0 if get("nonfinite") else 0.0)
        for key in ("grad_norms", "weight_norms", "update_ratios"):
            v = get(key)
            row.extend(v if v is not None and len(v) == layers else absent)
        rows.append(row)
    return np.array(rows, dtype=float).reshape(len(records), _H + 3 * layers)


def unpack(rows: np.ndarray, layers: int, nonfinite: dict | None = None) -> list[dict]:
    """Packed rows back as record dicts (the non-finite report goes on the flagged row)."""
    out = []
    for row in rows:
        rec: dict = {}
        for j, key in enumerate(ROW_HEAD[:-2]):
            v = float(row[j])
            rec[key] = None if v != v else (int(v) if key in ("step", "epoch") else v)
        rec["epoch_end"] = bool(row[_H - 2])
        rec["nonfinite"] = nonfinite if row[_H - 1] else None
        for k, key in enumerate(("grad_norms", "weight_norms", "update_ratios")):
            rec[key] = row[_H + k * layers:_H + (k + 1) * layers].tolist()
        out.append(rec)
    return out


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
        if rec.get("epoch_end") and any(rec.get(k) is not None for k in ("val_loss", "accuracy", "val_accuracy")):
            # Live training measures validation on a time budget: epochs without it add no row.
            nan = float("nan")
            self.epochs.append(rec["step"], [rec["epoch"], _f(rec.get("val_loss"), nan),
                                             _f(rec.get("accuracy"), nan), _f(rec.get("val_accuracy"), nan)])

    def add_rows(self, rows: np.ndarray, nonfinite: dict | None = None) -> None:
        """Packed records (see :func:`pack`), as :meth:`add` would take them one by one."""
        if rows.size == 0:
            return
        L = self.layers
        values = np.empty((len(rows), 2 + 3 * L))
        values[:, 0] = rows[:, 2]
        values[:, 1] = rows[:, 4]
        values[:, 2:] = rows[:, _H:_H + 3 * L]
        for i, row in enumerate(rows):
            bad = bool(row[_H - 1])
            self.updates.append(row[0], values[i], keep=bad)
            if bad:
                self.divergences.append((int(row[0]), (nonfinite or {}).get("node", "?")))
            if row[_H - 2] and np.isfinite(row[[3, 5, 6]]).any():
                self.epochs.append(row[0], row[[1, 3, 5, 6]])

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
