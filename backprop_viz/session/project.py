"""The project: a network, the data it learns from, and the training settings.

A project file is JSON ``{"format": "backprop-viz/project", "version": 1,
"network": {…}, "data": {…}, "training": {…}}``; a network-only file opens
as a project with default data and settings. Every problem raises
``SpecError`` with the field path (``network.layers[1].activation: …``).
"""

from __future__ import annotations

import copy
import os

import numpy as np

from ..engine import Network, SpecError
from ..engine.fields import SETTINGS, _show, is_number, is_whole
from ..engine.files import dumps, read_json, write_text_atomic
from ..engine.optimizers import parse_optimizer
from ..engine.schedules import parse_schedule
from ..engine.spec import FORMAT as NETWORK_FORMAT
from ..engine.trainer import parse_early_stopping
from . import data as data_mod

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
        # Completed with their defaults, so the file and the form show every setting.
        out["schedule"] = parse_schedule(out["schedule"], "schedule")
        out["early_stopping"] = parse_early_stopping(out["early_stopping"], "early_stopping")
    except SpecError as exc:
        raise _prefixed("training", exc) from None
    # Keep what the user set, completed with the optimizer's defaults for display.
    out["optimizer"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.items()}
    for key in ("batch_size",):
        v = out[key]
        if v is not None and (not is_whole(v) or v < 1):
            raise SpecError(f"training.{key}", f"expected a whole number ≥ 1 or null, got {_show(v)}")
    for key in ("clip_grad_norm", "clip_grad_value"):
        v = out[key]
        if v is not None and (not is_number(v) or v <= 0):
            raise SpecError(f"training.{key}", f"expected a number > 0 or null, got {_show(v)}")
    SETTINGS["seed"].check(out["seed"], "training.seed")
    return out


def validate_data(d, net: Network) -> dict:
    """The data choice, normalised, and checked to fit the network."""
    out = data_mod.normalise(d)
    problem = data_mod.fits(net, out)
    if problem:
        raise SpecError("data", problem)
    return out


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
        self._arrays = None
        self.title: str | None = None     # a template's name, for a project not yet saved
        # A comparison of runs (session.compare_runs), as the file holds it; checked by its reader.
        self.runs: dict | None = None
        SETTINGS["view.digits"].check(self.view["digits"], "view.digits")

    @staticmethod
    def _default_data(net: Network) -> dict:
        """Something every network can train on: random samples of the right shape."""
        if net.recurrent:
            if net.n_inputs != 1 or net.n_outputs != 1:
                raise SpecError("data", f"no built-in sequence task has {net.n_inputs} input(s) and "
                                        f"{net.n_outputs} output(s) per step; keep 1 of each")
            name = "sine_next" if net.sequence_output else "remember_first"
            return {"kind": "builtin", "name": name, "samples": 200, "noise": 0.1, "seed": 0,
                    "validation": 0.2, "steps": 10}
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
        """(X, T, X_val, T_val); the validation part may be None.

        Made once per project (panels ask for them many times a second while
        training runs) and read-only, since every caller shares them."""
        if self._arrays is None:
            arrays = data_mod.arrays(self.data)
            for a in arrays:
                if a is not None:
                    a.setflags(write=False)
            self._arrays = arrays
        return self._arrays

    # -- files -------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {"format": FORMAT, "version": VERSION, "network": copy.deepcopy(self.network_spec),
             "data": copy.deepcopy(self.data), "training": copy.deepcopy(self.training),
             "view": dict(self.view)}
        if self.runs:
            d["runs"] = copy.deepcopy(self.runs)
        return d

    def to_json(self) -> str:
        return dumps(self.to_dict()) + "\n"

    @classmethod
    def from_dict(cls, d) -> "Project":
        if not isinstance(d, dict):
            raise SpecError("", f"a project must be a JSON object, got {type(d).__name__}")
        fmt = d.get("format")
        if fmt == NETWORK_FORMAT:
            return cls(d)
        if fmt != FORMAT:
            raise SpecError("format", f"expected {FORMAT!r} or {NETWORK_FORMAT!r}, got {_show(fmt)}")
        version = d.get("version")
        if version != VERSION:
            raise SpecError("version", f"unsupported version {_show(version)}; this build reads {VERSION}")
        allowed = ("format", "version", "network", "data", "training", "view", "runs")
        for key in d:
            if key not in allowed:
                raise SpecError(key, f"unknown key (expected one of {', '.join(allowed)})")
        if "network" not in d:
            raise SpecError("network", "missing")
        view = d.get("view")
        if view is not None and not isinstance(view, dict):
            raise SpecError("view", "expected an object")
        project = cls(d["network"], d.get("data"), d.get("training"), view)
        if d.get("runs") is not None:
            from .compare_runs import Comparison
            # Built once here so a bad comparison is refused with its field path, like any other part.
            Comparison.from_dict(d["runs"], project)
            project.runs = copy.deepcopy(d["runs"])
        return project

    @classmethod
    def load(cls, path) -> "Project":
        return load_located(path, "project file", cls.from_dict)

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

    def with_view(self, **view) -> "Project":
        return Project(self.network_spec, self.data, self.training, {**self.view, **view})

    def with_runs(self, runs: dict | None) -> "Project":
        """A copy that carries a comparison (or none) into the file."""
        p = Project(self.network_spec, self.data, self.training, self.view)
        p.title = self.title
        p.runs = runs
        return p

    def with_training(self, training: dict) -> "Project":
        return Project(self.network_spec, self.data, training, self.view)

    def __eq__(self, other):
        return isinstance(other, Project) and self.to_dict() == other.to_dict()


def load_located(path, what: str, build):
    """``build(json of path)``; any SpecError names the file before its field path."""
    data = read_json(path, what)
    try:
        return build(data)
    except SpecError as exc:
        where = os.fspath(path)
        raise SpecError(f"{where}: {exc.path}" if exc.path else where, exc.detail) from None
    except RecursionError:
        raise SpecError(os.fspath(path), "is nested too deeply") from None
