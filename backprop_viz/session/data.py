"""What a network learns from: built-in data sets, the digits, samples typed,
clicked or imported from CSV. Pure functions on JSON-like dicts.

Kinds of data choice (the ``data`` section of a project file):
- ``{"kind": "builtin", "name": "xor", "samples": 200, "noise": 0.1, "seed": 0,
  "validation": 0.2, "features": ["x1*x2"]}``
- ``{"kind": "digits", "samples": 1797, "seed": 0, "validation": 0.2}``
- ``{"kind": "samples", "X": [[…]], "T": [[…]], "validation": 0.0, "seed": 0,
  "source": "my.csv", "task": "classification"}``
"""

from __future__ import annotations

import copy
import csv
import gzip
import io

import numpy as np

from ..engine import Network, SpecError
from ..engine import budget
from ..engine.fields import SETTINGS, _show, choice, is_number, is_whole, whole
from ..engine.csvdata import read_csv_text
from ..engine.datasets import (CLASSIFICATION, FEATURES, GENERATORS, SEQUENCE_GENERATORS, add_features, generate,
                               generate_sequence)
from ..engine.layers import kind_of
from .assets import assets_dir

DIGITS_FILE = "digits/optdigits.csv.gz"
DIGITS_COUNT = 1797
MAX_SAMPLES = budget.MAX_SAMPLES
MAX_IMPORT_ROWS = budget.MAX_SAMPLES

SEED_SAMPLES = {
    "seed_worked_example": {"X": [[0.1, 0.3]], "T": [[0.03]], "title": "Worked example (0.1, 0.3 → 0.03)"},
    "seed_code_example": {"X": [[0.1, 0.4]], "T": [[0.7]], "title": "Code example (0.1, 0.4 → 0.7)"},
    "seed_mlp": {"X": [[0.1, 0.4, 4.1]], "T": [[0.2]], "title": "MLP example (0.1, 0.4, 4.1 → 0.2)"},
}


_int = whole


def _fraction(v, path):
    if not is_number(v) or not 0 <= v < 1:
        raise SpecError(path, f"expected a fraction in [0, 1), got {_show(v)}")
    return float(v)


def _check_keys(d, allowed, path="data"):
    for key in d:
        if key not in allowed:
            raise SpecError(f"{path}.{key}", f"unknown key (expected one of {', '.join(allowed)})")


def normalise(d) -> dict:
    """Validated data choice with defaults filled in (independent of any network)."""
    if not isinstance(d, dict):
        raise SpecError("data", f"expected an object, got {type(d).__name__}")
    kind = d.get("kind")
    if kind == "builtin":
        _check_keys(d, ("kind", "name", "samples", "noise", "seed", "validation", "features", "steps"))
        out = {"kind": "builtin", "name": "xor", "samples": 200, "noise": 0.1, "seed": 0,
               "validation": 0.2, "features": [], **copy.deepcopy(d)}
        choice(out["name"], list(GENERATORS) + list(SEQUENCE_GENERATORS), "data.name")
        if out["name"] in SEQUENCE_GENERATORS:
            if "steps" in out:
                SETTINGS["data.steps"].check(out["steps"], "data.steps")
        elif "steps" in out:
            raise SpecError("data.steps", f"{out['name']} is not a sequence task")
        SETTINGS["data.samples"].check(out["samples"], "data.samples")
        SETTINGS["data.noise"].check(out["noise"], "data.noise")
        _fraction(out["validation"], "data.validation")
        SETTINGS["seed"].check(out["seed"], "data.seed")
        feats = out["features"]
        if (not isinstance(feats, list) or any(not isinstance(f, str) or f not in FEATURES for f in feats)
                or len(set(feats)) != len(feats)):
            raise SpecError("data.features", f"expected a list of distinct names from {', '.join(FEATURES)}, "
                                             f"got {feats!r}")
        if feats and generate(out["name"], 4, 0.0, 0)[0].shape[1] != 2:
            raise SpecError("data.features", "derived features are for two-input data only")
        if not out["features"]:
            out.pop("features")
        return out
    if kind == "digits":
        _check_keys(d, ("kind", "samples", "seed", "validation"))
        out = {"kind": "digits", "samples": DIGITS_COUNT, "seed": 0, "validation": 0.2, **d}
        _int(out["samples"], "data.samples", 10, DIGITS_COUNT)
        SETTINGS["seed"].check(out["seed"], "data.seed")
        _fraction(out["validation"], "data.validation")
        return out
    if kind == "samples":
        _check_keys(d, ("kind", "X", "T", "validation", "validation_indices", "seed", "source", "task"))
        X = _matrix(d.get("X"), "data.X")
        T = _matrix(d.get("T"), "data.T")
        if len(X) != len(T):
            raise SpecError("data.T", f"has {len(T)} rows; data.X has {len(X)}")
        budget.check_data_values(len(X), len(X[0]) + len(T[0]), "data.X")
        out = {"kind": "samples", "X": X, "T": T, "validation": _fraction(d.get("validation", 0.0), "data.validation"),
               "seed": SETTINGS["seed"].check(d.get("seed", 0), "data.seed")}
        if "validation_indices" in d:
            idx = d["validation_indices"]
            if (not isinstance(idx, list) or any(not is_whole(i) or not 0 <= i < len(X)
                                                 for i in idx) or len(set(idx)) != len(idx) or len(idx) >= len(X)):
                raise SpecError("data.validation_indices",
                                f"expected distinct sample numbers below {len(X)}, leaving training samples")
            out["validation_indices"] = sorted(idx)
        for key in ("source", "task"):
            if key in d:
                if not isinstance(d[key], str):
                    raise SpecError(f"data.{key}", f"expected text, got {d[key]!r}")
                out[key] = d[key]
        if out.get("task") not in (None, "classification", "regression"):
            raise SpecError("data.task", f"expected classification or regression, got {out['task']!r}")
        return out
    raise SpecError("data.kind", f"expected 'builtin', 'digits' or 'samples', got {kind!r}")


def _matrix(v, path) -> list:
    if not isinstance(v, list) or not v:
        raise SpecError(path, f"expected a non-empty list of rows, got {_show(v)}")
    budget.check_samples(len(v), path)
    width = None
    out = []
    for i, row in enumerate(v):
        row = row if isinstance(row, list) else [row]
        if width is None:
            width = len(row)
        if len(row) != width or width == 0:
            raise SpecError(f"{path}[{i}]", f"has {len(row)} values; the first row has {width}")
        for j, x in enumerate(row):
            if not is_number(x):
                raise SpecError(f"{path}[{i}][{j}]", f"expected a finite number, got {_show(x)}")
        out.append([float(x) for x in row])
    return out


# -- arrays ---------------------------------------------------------------------------------

_digits_cache = None


def load_digits():
    global _digits_cache
    if _digits_cache is None:
        path = assets_dir() / DIGITS_FILE
        with gzip.open(path, "rt") as fh:
            data = np.loadtxt(fh, delimiter=",")
        X = data[:, :64] / 16.0
        labels = data[:, 64].astype(int)
        _digits_cache = (X, np.eye(10)[labels])
    return _digits_cache


def full_arrays(d: dict):
    """(X, T) of the whole data set, before the validation split."""
    kind = d["kind"]
    if kind == "builtin" and d["name"] in SEQUENCE_GENERATORS:
        return generate_sequence(d["name"], d["samples"], float(d["noise"]), d["seed"], d.get("steps"))
    if kind == "builtin":
        X, T = generate(d["name"], d["samples"], float(d["noise"]), d["seed"])
        return add_features(X, d.get("features")), T
    if kind == "digits":
        X, T = load_digits()
        if d["samples"] < len(X):
            idx = np.random.default_rng(d["seed"]).permutation(len(X))[:d["samples"]]
            return X[np.sort(idx)], T[np.sort(idx)]
        return X, T
    return np.array(d["X"], dtype=float), np.array(d["T"], dtype=float)


def split_order(n: int, d: dict):
    """(training indices, validation indices) of a data set of n samples."""
    if "validation_indices" in d:
        val = np.array(d["validation_indices"], dtype=int)
        return np.setdiff1d(np.arange(n), val), val
    n_val = int(round(n * d.get("validation", 0.0)))
    if n_val == 0 or n_val >= n:
        return np.arange(n), np.arange(0)
    order = np.random.default_rng(d.get("seed", 0) + 1).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def arrays(d: dict):
    """(X, T, X_val, T_val); the validation part is None when there is none."""
    X, T = full_arrays(d)
    train, val = split_order(len(X), d)
    if len(val) == 0:
        return X, T, None, None
    return X[train], T[train], X[val], T[val]


def generate_inputs(name: str) -> int:
    """How many raw inputs a built-in generator makes (per time step for sequences)."""
    if name in SEQUENCE_GENERATORS:
        return generate_sequence(name, 4, 0.0, 0)[0].shape[-1]
    return generate(name, 4, 0.0, 0)[0].shape[1]


def is_sequence(d: dict) -> bool:
    return d["kind"] == "builtin" and d["name"] in SEQUENCE_GENERATORS


def task_of(d: dict) -> str:
    if d["kind"] == "builtin":
        return "classification" if d["name"] in CLASSIFICATION or d["name"] == "bit_parity" else "regression"
    if d["kind"] == "digits":
        return "classification"
    if d.get("task"):
        return d["task"]
    return "regression"


def shape_of(d: dict) -> tuple[int, int]:
    X, T = full_arrays(d) if d["kind"] != "digits" else (np.zeros((1, 64)), np.zeros((1, 10)))
    return X.shape[-1], T.shape[-1]


def fits(net: Network, d: dict) -> str | None:
    """Why the data does not fit the network, or None."""
    n_in, n_out = shape_of(d)
    if n_in != net.n_inputs:
        return f"the data has {n_in} inputs; the network has {net.n_inputs}"
    X, T = full_arrays(d)
    if (X.ndim == 3) != net.recurrent:
        return ("the data are sequences; the network needs a recurrent layer first" if X.ndim == 3 else
                "the network reads sequences; this data is not a sequence task")
    try:
        net.check_targets(T, len(X), "data", steps=X.shape[1] if X.ndim == 3 else None)
    except SpecError as exc:
        return f"the targets do not fit the network's outputs or loss ({exc.detail})"
    return None


def adapt_network(spec: dict, d: dict) -> dict:
    """The network with its input and output layers (and loss) made to fit the data."""
    from . import edits
    n_in, n_out = shape_of(d)
    task = task_of(d)
    recurrent = kind_of(spec["layers"][0]).takes_sequences
    if is_sequence(d) != recurrent:
        # Sequences need a recurrent layer first (and plain data none): start from a small network of the right kind.
        _, T = full_arrays(d)
        if is_sequence(d):
            first = {"type": "recurrent", "units": 16, "activation": "tanh",
                     "readout": "sequence" if T.ndim == 3 else "last"}
        else:
            first = {"units": 8, "activation": "tanh"}
        spec = {"format": spec.get("format", "backprop-viz/network"), "version": 1, "inputs": n_in,
                "layers": [first, {"units": n_out, "activation": "identity"}], "loss": "mse", "seed": spec.get("seed", 0)}
    s = edits.set_units(spec, -1, n_in) if spec["inputs"] != n_in else spec
    last = len(s["layers"]) - 1
    if s["layers"][last]["units"] != n_out:
        s = edits.set_units(s, last, n_out)
    s = copy.deepcopy(s)
    out = s["layers"][last]
    if task == "classification":
        if n_out > 1:
            out["activation"], s["loss"] = "softmax", "cross_entropy"
        else:
            out["activation"], s["loss"] = "sigmoid", "binary_cross_entropy"
    else:
        if s["loss"] in ("cross_entropy", "binary_cross_entropy", "hinge"):
            s["loss"] = "mse"
        if out.get("activation") in ("softmax",) or s["loss"] == "mse":
            out["activation"] = "identity"
        out.pop("residual", None)
    return Network.from_dict(s).to_dict()


# -- editing points -------------------------------------------------------------------------


def as_samples(d: dict) -> dict:
    """The same data, and the same split, as inline samples (so points can be
    added and removed without reshuffling which samples are for validation)."""
    X, T = full_arrays(d)
    _, val = split_order(len(X), d)
    out = {"kind": "samples", "X": X.tolist(), "T": T.tolist(), "validation_indices": val.tolist(),
           "seed": d.get("seed", 0), "task": task_of(d)}
    if d["kind"] == "samples":
        out["source"] = d.get("source", "samples")
        if "task" not in d:
            out.pop("task")
    else:
        out["source"] = f"{d['name'] if d['kind'] == 'builtin' else 'digits'} (edited)"
    return out


def with_point(d: dict, x, t) -> dict:
    s = as_samples(d)
    s["X"].append([float(v) for v in x])
    s["T"].append([float(v) for v in t])
    return s


def without_points(d: dict, indices) -> dict:
    s = as_samples(d)
    drop = set(int(i) for i in indices)
    keep = [i for i in range(len(s["X"])) if i not in drop]
    val = set(s["validation_indices"])
    if not [i for i in keep if i not in val]:
        raise SpecError("data", "at least one training sample must remain")
    new_index = {old: new for new, old in enumerate(keep)}
    s["X"] = [s["X"][i] for i in keep]
    s["T"] = [s["T"][i] for i in keep]
    s["validation_indices"] = sorted(new_index[i] for i in val if i in new_index)
    return s


def nearest_point(d: dict, x: float, y: float, radius: float) -> int | None:
    """Index of the sample (by its first two inputs) nearest to (x, y) within radius."""
    X, _ = full_arrays(d)
    if X.shape[1] < 2 or not len(X):
        return None
    dist = np.hypot(X[:, 0] - x, X[:, 1] - y)
    i = int(np.argmin(dist))
    return i if dist[i] <= radius else None


# -- CSV in and out -------------------------------------------------------------------------


def parse_csv(text: str, source: str = "CSV"):
    """(header or None, float matrix) with line/column errors; large files are sampled."""
    header, data = read_csv_text(text, source)
    note = None
    if len(data) > MAX_IMPORT_ROWS:
        idx = np.sort(np.random.default_rng(0).choice(len(data), MAX_IMPORT_ROWS, replace=False))
        note = f"{len(data)} rows: a random sample of {MAX_IMPORT_ROWS} is used"
        data = data[idx]
    if len(data) < 2:
        raise SpecError(source, f"has {len(data)} data row; at least 2 are needed")
    return header, data, note


def import_samples(data: np.ndarray, inputs: list[int], targets: list[int], task: str,
                   standardise: bool = False, validation: float = 0.2, source: str = "CSV",
                   header=None) -> dict:
    """A samples data choice from chosen CSV columns."""
    ncol = data.shape[1]
    def name(c: int) -> str:
        return header[c] if header else f"column {c + 1}"
    if not inputs:
        raise SpecError(source, "choose at least one input column")
    if not targets:
        raise SpecError(source, "choose at least one target column")
    for c in inputs + targets:
        if not 0 <= c < ncol:
            raise SpecError(source, f"there is no column {c + 1}")
    if set(inputs) & set(targets):
        raise SpecError(source, f"{name(sorted(set(inputs) & set(targets))[0])} cannot be input and target")
    X = data[:, inputs].copy()
    if task == "classification":
        if len(targets) != 1:
            raise SpecError(source, "classification takes one class column")
        col = data[:, targets[0]]
        if np.any(col != np.round(col)):
            raise SpecError(f"{source}, {name(targets[0])}", "class labels must be whole numbers for classification")
        classes = np.unique(col)
        if len(classes) < 2:
            raise SpecError(f"{source}, {name(targets[0])}", "needs at least two classes")
        if len(classes) > 100:
            raise SpecError(f"{source}, {name(targets[0])}",
                            f"has {len(classes)} distinct values: too many classes (regression?)")
        index = {c: i for i, c in enumerate(classes)}
        labels = np.array([index[c] for c in col])
        T = labels.reshape(-1, 1).astype(float) if len(classes) == 2 else np.eye(len(classes))[labels]
    elif task == "regression":
        T = data[:, targets].copy()
    else:
        raise SpecError("task", f"expected classification or regression, got {task!r}")
    if standardise:
        sd = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return normalise({"kind": "samples", "X": X.tolist(), "T": T.tolist(), "validation": validation,
                      "seed": 0, "source": source, "task": task})


def export_csv(d: dict) -> str:
    """The data set with its split, as CSV text: x1…, t1…, split."""
    X, T = full_arrays(d)
    X, T = X.reshape(len(X), -1), T.reshape(len(T), -1)   # sequences: one row per sample, steps in order
    train, val = split_order(len(X), d)
    part = np.array(["train"] * len(X), dtype=object)
    part[val] = "validation"
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([f"x{i + 1}" for i in range(X.shape[1])] + [f"t{j + 1}" for j in range(T.shape[1])] + ["split"])
    for i in range(len(X)):
        w.writerow([repr(float(v)) for v in X[i]] + [repr(float(v)) for v in T[i]] + [part[i]])
    return buf.getvalue()


def boundary_grid(X: np.ndarray, d: dict, size: int):
    """(xs, ys, network inputs) for a size × size grid over the first two inputs'
    range (padded by 10 %), derived features added as the data has them."""
    lo, hi = X[:, :2].min(axis=0), X[:, :2].max(axis=0)
    pad = (hi - lo) * 0.1 + 1e-9
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], size)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], size)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    if d["kind"] == "builtin" and d.get("features"):
        pts = add_features(pts, d["features"])
    return xs, ys, pts
