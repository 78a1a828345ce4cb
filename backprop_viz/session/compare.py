"""Runs that differ in chosen settings, trained from the same start, and their summary.

A variant is the project with a few settings changed. Changes that leave the
network's shape and initialiser alone (optimizer, learning rate, batch size,
clipping, regularisation) keep the project's weights, and the trainer's seed
keeps the data order, so the runs differ only in what was changed. Changing
the initialiser, the hidden activation or the seed draws the weights afresh
from the network's seed, as a new network with that setting would start.
Each run is trained by the same ``TrainingSession`` the app uses, so its
numbers are those of training that variant alone.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from ..engine import SpecError
from ..engine import activations, initializers, optimizers
from .project import Project
from .training import TrainingSession

# Spelled as people say them; momentum and Nesterov are SGD with those settings.
OPTIMIZER_ALIASES = {
    "momentum": {"name": "sgd", "momentum": 0.9},
    "nesterov": {"name": "sgd", "momentum": 0.9, "nesterov": True},
}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "rmsprop": "RMSprop",
                    "adam": "Adam", "adamw": "AdamW", "adagrad": "Adagrad", "adadelta": "Adadelta"}
KEYS = ("optimizer", "lr", "momentum", "init", "activation", "batch_size", "seed", "clip_grad_norm",
        "clip_grad_value", "l1", "l2")
# Keys whose change draws new initial weights.
REINITIALISE = ("init", "activation", "seed")
PRESETS = {
    "optimizers": [("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])],
    "init": [("init", ["zeros", "small_normal", "xavier_uniform", "he_normal"])],
    "batch": [("batch_size", ["1", "32", "full"])],
}
# "small normal": the classic N(0, 0.01²) start that makes deep sigmoid nets stall.
INIT_ALIASES = {"small_normal": {"name": "normal", "mean": 0.0, "std": 0.01}}
_WEIGHT_KEYS = ("weight", "bias", "gamma", "beta", "running_mean", "running_var", "weight_input",
                "weight_hidden")


@dataclass(frozen=True)
class Change:
    key: str
    text: str        # as the user wrote it, for the legend
    value: object    # parsed


def parse_value(key: str, text: str) -> Change:
    """One ``KEY=value`` choice, checked; SpecError names the key and the value."""
    where = f"--vary {key}"
    t = text.strip()
    low = t.lower()
    if key not in KEYS:
        raise SpecError("--vary", f"unknown key {key!r} (keys: {', '.join(KEYS)})")
    if not t:
        raise SpecError(where, "an empty value")
    if key == "optimizer":
        if low in OPTIMIZER_ALIASES:
            return Change(key, low, dict(OPTIMIZER_ALIASES[low]))
        if low not in optimizers.NAMES:
            names = ", ".join(list(optimizers.NAMES) + list(OPTIMIZER_ALIASES))
            raise SpecError(where, f"unknown optimizer {t!r} (expected one of {names})")
        return Change(key, low, {"name": low})
    if key == "init":
        if low in INIT_ALIASES:
            return Change(key, low, dict(INIT_ALIASES[low]))
        if low not in initializers.NAMES:
            names = ", ".join(list(initializers.NAMES) + list(INIT_ALIASES))
            raise SpecError(where, f"unknown initialiser {t!r} (expected one of {names})")
        return Change(key, low, {"name": low})
    if key == "activation":
        name = activations.ALIASES.get(low, low)
        if name not in activations.NAMES or name == "softmax":
            names = ", ".join(n for n in activations.NAMES if n != "softmax")
            raise SpecError(where, f"unknown hidden activation {t!r} (expected one of {names})")
        return Change(key, low, name)
    if key in ("batch_size", "seed"):
        if key == "batch_size" and low in ("full", "none"):
            return Change(key, "full", None)
        try:
            n = int(t)
        except ValueError:
            raise SpecError(where, f"expected a whole number, got {t!r}") from None
        if n < (1 if key == "batch_size" else 0):
            raise SpecError(where, f"must be ≥ {1 if key == 'batch_size' else 0}, got {n}")
        return Change(key, t, n)
    # Numbers: lr, momentum, clipping, l1, l2.
    if key in ("clip_grad_norm", "clip_grad_value") and low in ("none", "off"):
        return Change(key, "none", None)
    try:
        x = float(t)
    except ValueError:
        raise SpecError(where, f"expected a number, got {t!r}") from None
    if not math.isfinite(x) or x < 0 or (x == 0 and key in ("lr", "clip_grad_norm", "clip_grad_value")):
        bound = "≥ 0" if key in ("momentum", "l1", "l2") else "> 0"
        raise SpecError(where, f"must be a finite number {bound}, got {t!r}")
    return Change(key, t, x)


def parse_vary(text: str) -> tuple[str, list[Change]]:
    """``KEY=V1,V2`` → (key, choices)."""
    if "=" not in text:
        raise SpecError("--vary", f"expected KEY=V1,V2,…, got {text!r}")
    key, _, values = text.partition("=")
    key = key.strip().lower().replace("-", "_")
    parts = [v for v in values.split(",")]
    if not any(p.strip() for p in parts):
        raise SpecError(f"--vary {key}", "no values given")
    return key, [parse_value(key, v) for v in parts]


def grid(axes: list[tuple[str, list[Change]]]) -> list[tuple[Change, ...]]:
    """Every combination of the axes (the cartesian product), in order."""
    keys = [k for k, _ in axes]
    for k in keys:
        if keys.count(k) > 1:
            raise SpecError(f"--vary {k}", "given twice; list all its values in one --vary")
    return [tuple(combo) for combo in itertools.product(*[choices for _, choices in axes])]


def variant(project: Project, changes: tuple[Change, ...]) -> Project:
    """The project with these settings changed (see the module note on weights)."""
    spec = project.to_dict()["network"]
    training = dict(project.training)
    by_key = {c.key: c for c in changes}
    if "optimizer" in by_key:
        old = training["optimizer"]
        chosen = by_key["optimizer"].value
        assert isinstance(chosen, dict)       # an optimizer change holds its settings
        training["optimizer"] = {**chosen, "lr": old["lr"]}
    opt = dict(training["optimizer"])
    if "lr" in by_key:
        opt["lr"] = by_key["lr"].value
    if "momentum" in by_key:
        if "momentum" not in optimizers.DEFAULTS[opt["name"]]:
            raise SpecError("--vary momentum", f"{opt['name']} has no momentum setting")
        opt["momentum"] = by_key["momentum"].value
    # Only what was set, so another optimizer's defaults do not leak in.
    training["optimizer"] = {k: v for k, v in opt.items() if k in ("name", "lr")
                             or k in optimizers.DEFAULTS[opt["name"]]}
    for key in ("batch_size", "clip_grad_norm", "clip_grad_value"):
        if key in by_key:
            training[key] = by_key[key].value
    for key in ("l1", "l2"):
        if key in by_key:
            spec[key] = by_key[key].value
    if any(k in by_key for k in REINITIALISE):
        for layer in spec["layers"]:
            for k in _WEIGHT_KEYS:
                layer.pop(k, None)
    if "seed" in by_key:
        spec["seed"] = training["seed"] = by_key["seed"].value
    if "init" in by_key:
        for layer in spec["layers"]:
            layer["init"] = by_key["init"].value
    if "activation" in by_key:
        for layer in spec["layers"][:-1]:
            layer["activation"] = by_key["activation"].value
    try:
        return Project(spec, project.data, training, project.view)
    except SpecError as exc:
        what = ", ".join(f"{c.key}={c.text}" for c in changes)
        raise SpecError(f"--vary ({what})", f"{exc.path}: {exc.detail}" if exc.path else exc.detail) from None


def label(changes: tuple[Change, ...]) -> str:
    """The legend name: the run's differences, as people say them ("Adam lr 0.01")."""
    words = []
    for c in changes:
        if c.key == "optimizer":
            words.append(OPTIMIZER_LABELS.get(c.text, c.text))
        elif c.key == "batch_size":
            words.append("full batch" if c.value is None else f"batch {c.value}")
        elif c.key == "init":
            words.append(c.text.replace("_", " "))
        elif c.key == "activation":
            words.append(c.text)
        elif c.key in ("clip_grad_norm", "clip_grad_value"):
            what = "clip norm" if c.key == "clip_grad_norm" else "clip value"
            words.append(f"no {what.split()[1]} clipping" if c.value is None else f"{what} {c.text}")
        else:
            words.append(f"{c.key} {c.text}")
    return " ".join(words)


@dataclass
class Run:
    name: str
    changes: tuple
    project: Project
    records: list = field(default_factory=list)
    net: object = None     # the trained network, once trained

    @property
    def settings(self) -> dict:
        return {c.key: c.text for c in self.changes}


def make_runs(project: Project, axes: list[tuple[str, list[Change]]]) -> list[Run]:
    runs = []
    for combo in grid(axes):
        runs.append(Run(label(combo), combo, variant(project, combo)))
    names = [r.name for r in runs]
    for r in runs:
        if names.count(r.name) > 1:
            raise SpecError("--vary", f"two runs would both be {r.name!r}; list each value once")
    return runs


def train(run: Run, steps: int, on_step=None) -> str:
    """Train ``run`` for ``steps`` updates as the app would; "done", "diverged" or the stop reason."""
    session = TrainingSession(run.project)
    run.net = session.net
    for _ in range(steps):
        rec = session.step()
        run.records.append(rec)
        if on_step is not None:
            on_step(run, rec)
        if rec["nonfinite"]:
            return "diverged"
        if session.trainer.stopped:
            return str(session.trainer.stopped)
    return "done"


def _finite(values):
    return [v for v in values if v is not None and math.isfinite(v)]


def summary(run: Run, target_loss: float | None = None) -> dict:
    """Final and best losses, accuracy, and the update at which the loss first reached the target."""
    recs = run.records
    losses = _finite(r["loss"] for r in recs)
    vals = _finite(r.get("val_loss") for r in recs)
    acc = [r["accuracy"] for r in recs if r.get("accuracy") is not None]
    vacc = [r["val_accuracy"] for r in recs if r.get("val_accuracy") is not None]
    diverged = bool(recs and recs[-1]["nonfinite"])
    reached = None
    if target_loss is not None:
        reached = next((r["step"] for r in recs if math.isfinite(r["loss"]) and r["loss"] <= target_loss), None)
    return {"run": run.name, **{k: run.settings.get(k, "") for k in KEYS if k in run.settings},
            # A non-finite update is recorded but never applied.
            "updates": len(recs) - diverged, "diverged": diverged,
            "final_loss": losses[-1] if losses else None, "best_loss": min(losses) if losses else None,
            "final_val_loss": vals[-1] if vals else None, "best_val_loss": min(vals) if vals else None,
            "accuracy": acc[-1] if acc else None, "val_accuracy": vacc[-1] if vacc else None,
            "reached_target_at": reached}


def gradient_ratio(rec: dict) -> float | None:
    """‖∂E/∂W first layer‖ / ‖∂E/∂W last layer‖: far below 1 means the early layers barely learn."""
    g = rec.get("grad_norms") or []
    if len(g) < 2 or not g[-1] or not all(math.isfinite(v) for v in (g[0], g[-1])):
        return None
    return g[0] / g[-1]
