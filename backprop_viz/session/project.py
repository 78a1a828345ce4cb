"""The project: a network, the data it learns from, and the training settings.

A project file is JSON ``{"format": "backprop-viz/project", "version": 1,
"network": {…}, "data": {…}, "training": {…}}``; a network-only file opens
as a project with default data and settings. Every problem raises
``SpecError`` with the field path (``network.layers[1].activation: …``).
"""

from __future__ import annotations

import copy
import json
import math
import os

import numpy as np

from ..engine import Network, SpecError
from ..engine.datasets import GENERATORS, generate
from ..engine.files import read_json, write_text_atomic
from ..engine.optimizers import parse_optimizer
from ..engine.schedules import parse_schedule
from ..engine.spec import FORMAT as NETWORK_FORMAT
from ..engine.trainer import parse_early_stopping

FORMAT = "backprop-viz/project"
VERSION = 1

DEFAULT_TRAINING = {
    "optimizer": {"name": "sgd", "lr": 0.1},
    "batch_size": None,
    "clip_grad_norm": None,
    "clip_grad_value": None,
    "schedule": None,
    "early_stopping": None,
    "seed": 0,
}
DEFAULT_DATA = {"kind": "builtin", "name": "xor", "samples": 200, "noise": 0.1, "seed": 0,
                "validation": 0.2}
TRAINING_KEYS = tuple(DEFAULT_TRAINING)


def _prefixed(prefix: str, exc: SpecError) -> SpecError:
    return SpecError(f"{prefix}.{exc.path}" if exc.path else prefix, exc.detail)


def validate_training(d) -> dict:
    if not isinstance(d, dict):
        raise SpecError("training", f"expected an object, got {type(d).__name__}")
    for key in d:
        if key not in TRAINING_KEYS:
            raise SpecError(f"training.{key}", f"unknown key (expected one of {', '.join(TRAINING_KEYS)})")
    out = {**DEFAULT_TRAINING, **copy.deepcopy(d)}
    try:
        opt = parse_optimizer(out["optimizer"], "optimizer")
        parse_schedule(out["schedule"], "schedule")
        parse_early_stopping(out["early_stopping"], "early_stopping")
    except SpecError as exc:
        raise _prefixed("training", exc) from None
    # Keep what the user set, completed with the optimizer's defaults for display.
    out["optimizer"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.items()}
    for key in ("batch_size",):
        v = out[key]
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise SpecError(f"training.{key}", f"expected a whole number ≥ 1 or null, got {v!r}")
    for key in ("clip_grad_norm", "clip_grad_value"):
        v = out[key]
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v) or v <= 0):
            raise SpecError(f"training.{key}", f"expected a number > 0 or null, got {v!r}")
    seed = out["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SpecError("training.seed", f"expected a whole number ≥ 0, got {seed!r}")
    return out


def validate_data(d, net: Network) -> dict:
    if not isinstance(d, dict):
        raise SpecError("data", f"expected an object, got {type(d).__name__}")
    kind = d.get("kind")
    if kind == "builtin":
        allowed = ("kind", "name", "samples", "noise", "seed", "validation")
        for key in d:
            if key not in allowed:
                raise SpecError(f"data.{key}", f"unknown key (expected one of {', '.join(allowed)})")
        out = {**DEFAULT_DATA, **d}
        if out["name"] not in GENERATORS:
            raise SpecError("data.name", f"unknown {out['name']!r} (expected one of {', '.join(GENERATORS)})")
        n = out["samples"]
        if isinstance(n, bool) or not isinstance(n, int) or not 4 <= n <= 100_000:
            raise SpecError("data.samples", f"expected a whole number from 4 to 100000, got {n!r}")
        noise = out["noise"]
        if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 10:
            raise SpecError("data.noise", f"expected a number from 0 to 10, got {noise!r}")
        v = out["validation"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
            raise SpecError("data.validation", f"expected a fraction in [0, 1), got {v!r}")
        seed = out["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise SpecError("data.seed", f"expected a whole number ≥ 0, got {seed!r}")
        X, T = generate(out["name"], n, float(noise), seed)
        _check_fits(net, X, T, f"data set {out['name']}")
        return out
    if kind == "samples":
        for key in d:
            if key not in ("kind", "X", "T"):
                raise SpecError(f"data.{key}", "unknown key (expected kind, X, T)")
        try:
            X = net.check_inputs(_numbers(d.get("X"), "data.X"), "data.X")
            T = net.check_targets(_numbers(d.get("T"), "data.T"), X.shape[0], "data.T")
        except SpecError:
            raise
        return {"kind": "samples", "X": X.tolist(), "T": T.tolist()}
    raise SpecError("data.kind", f"expected 'builtin' or 'samples', got {kind!r}")


def _numbers(v, path):
    if not isinstance(v, list):
        raise SpecError(path, f"expected a list of rows, got {type(v).__name__}")
    for i, row in enumerate(v):
        items = row if isinstance(row, list) else [row]
        for j, x in enumerate(items):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise SpecError(f"{path}[{i}]" + (f"[{j}]" if isinstance(row, list) else ""),
                                f"expected a number, got {x!r}")
    return v


def _check_fits(net: Network, X, T, what: str):
    if X.shape[1] != net.n_inputs:
        raise SpecError("data", f"{what} has {X.shape[1]} inputs; the network has {net.n_inputs}")
    try:
        net.check_targets(T, X.shape[0], "data")
    except SpecError as exc:
        raise SpecError("data", f"{what} does not fit the network's outputs or loss ({exc.detail})") from None


class Project:
    """Network spec (with weights), data choice and training settings."""

    def __init__(self, network: dict, data: dict | None = None, training: dict | None = None,
                 view: dict | None = None):
        try:
            net = Network.from_dict(network)
        except SpecError as exc:
            raise _prefixed("network", exc) from None
        self.network_spec = net.to_dict()
        self.training = validate_training(training if training is not None else {})
        self.data = validate_data(data if data is not None else self._default_data(net), net)
        self.view = {"digits": 9, **(view or {})}
        digits = self.view["digits"]
        if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
            raise SpecError("view.digits", f"expected a whole number from 1 to 17, got {digits!r}")

    @staticmethod
    def _default_data(net: Network) -> dict:
        """Something every network can train on: random samples of the right shape."""
        if net.n_inputs == 2 and net.n_outputs == 1 and net.spec.loss in (
                "binary_cross_entropy", "half_squared_error", "squared_error", "mse"):
            return dict(DEFAULT_DATA)
        rng = np.random.default_rng(0)
        X = rng.uniform(-1, 1, (1, net.n_inputs))
        k = net.n_outputs
        loss = net.spec.loss
        if loss == "cross_entropy":
            T = np.eye(k)[[0]]
        elif loss == "hinge":
            T = np.ones((1, k))
        else:
            T = np.full((1, k), 0.5)
        return {"kind": "samples", "X": X.tolist(), "T": T.tolist()}

    # -- derived objects -------------------------------------------------------
    def network(self) -> Network:
        return Network.from_dict(self.network_spec)

    def arrays(self):
        """(X, T, X_val, T_val); the validation part may be None."""
        d = self.data
        net = self.network()
        if d["kind"] == "samples":
            X = net.check_inputs(d["X"])
            return X, net.check_targets(d["T"], X.shape[0]), None, None
        X, T = generate(d["name"], d["samples"], float(d["noise"]), d["seed"])
        n_val = int(round(len(X) * d["validation"]))
        if n_val == 0 or n_val >= len(X):
            return X, T, None, None
        order = np.random.default_rng(d["seed"] + 1).permutation(len(X))
        val, train = order[:n_val], order[n_val:]
        return X[train], T[train], X[val], T[val]

    # -- files -------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "network": copy.deepcopy(self.network_spec),
                "data": copy.deepcopy(self.data), "training": copy.deepcopy(self.training),
                "view": dict(self.view)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + "\n"

    @classmethod
    def from_dict(cls, d) -> "Project":
        if not isinstance(d, dict):
            raise SpecError("", f"a project must be a JSON object, got {type(d).__name__}")
        fmt = d.get("format")
        if fmt == NETWORK_FORMAT:
            return cls(d)
        if fmt != FORMAT:
            raise SpecError("format", f"expected {FORMAT!r} or {NETWORK_FORMAT!r}, got {fmt!r}")
        version = d.get("version")
        if version != VERSION:
            raise SpecError("version", f"unsupported version {version!r}; this build reads {VERSION}")
        allowed = ("format", "version", "network", "data", "training", "view")
        for key in d:
            if key not in allowed:
                raise SpecError(key, f"unknown key (expected one of {', '.join(allowed)})")
        if "network" not in d:
            raise SpecError("network", "missing")
        view = d.get("view")
        if view is not None and not isinstance(view, dict):
            raise SpecError("view", "expected an object")
        return cls(d["network"], d.get("data"), d.get("training"), view)

    @classmethod
    def load(cls, path) -> "Project":
        data = read_json(path, "project file")
        try:
            return cls.from_dict(data)
        except SpecError as exc:
            where = os.fspath(path)
            raise SpecError(f"{where}: {exc.path}" if exc.path else where, exc.detail) from None
        except RecursionError:
            raise SpecError(os.fspath(path), "is nested too deeply") from None

    def save(self, path) -> None:
        write_text_atomic(path, self.to_json())

    # -- edits (each returns a new project; the old one is kept for undo) --------
    def with_network(self, spec: dict) -> "Project":
        """A copy with another network; data that no longer fits is replaced."""
        net = Network.from_dict(spec)
        try:
            data = validate_data(self.data, net)
        except SpecError:
            data = self._default_data(net)
        return Project(net.to_dict(), data, self.training, self.view)

    def with_data(self, data: dict) -> "Project":
        return Project(self.network_spec, data, self.training, self.view)

    def with_training(self, training: dict) -> "Project":
        return Project(self.network_spec, self.data, training, self.view)

    def __eq__(self, other):
        return isinstance(other, Project) and self.to_dict() == other.to_dict()
