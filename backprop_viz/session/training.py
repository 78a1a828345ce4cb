"""Training as a plain generator that yields snapshots (copies) at a bounded rate.

The generator never touches the GUI: the app's worker runs it in a thread,
receives each :class:`Snapshot` on the GUI thread, and stops it through a
:class:`Control`. Settings changed while it runs take effect at the next
update.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..engine import Network, SpecError, Trainer
from ..engine.health import Health, diagnose, time_gradient_norms
from .history import History
from .project import Project

MAX_RATE_HZ = 60.0
BOUNDARY_RATE_HZ = 10.0
OPTIMIZER_STATE_RATE_HZ = 4.0
GRID = 60
LIVE_SETTINGS = ("lr", "clip_grad_norm", "clip_grad_value", "l1", "l2", "data")


@dataclass(frozen=True)
class Snapshot:
    step: int
    epoch: int
    loss: float
    val_loss: float | None
    records: tuple                       # the records since the previous snapshot
    params: dict                         # copies of every parameter
    health: Health
    histograms: tuple                    # per layer: (bin edges of log10|g|, counts)
    preacts: tuple                       # per layer: a sample of pre-activations z
    boundary: tuple | None               # (xs, ys, values on a GRID×GRID grid) for 2-input data
    nonfinite: dict | None
    stopped: str | None
    steps_per_second: float
    time_grads: tuple = ()               # per recurrent layer: ‖∂E/∂h_t‖ for t = 1…T
    extra: dict = field(default_factory=dict)


class Control:
    """Thread-safe requests from the GUI: stop, and settings for the next update."""

    def __init__(self, backpressure: bool = False, hook=None, hook_every_s: float = 0.002):
        self.backpressure = backpressure
        # Called every ``hook_every_s`` from the training loop: the training
        # process reads its pipe there, so stop and settings arrive mid-run.
        self.hook = hook
        self.hook_every_s = hook_every_s
        self._next_hook = 0.0
        self._lock = threading.Lock()
        self._stop = False
        self._changes: dict = {}
        # Back-pressure: a new snapshot only once the GUI has taken the last one,
        # so a slow GUI never builds a queue (records are batched meanwhile).
        self._consumed = threading.Event()
        self._consumed.set()

    def poll(self) -> None:
        if self.hook is None:
            return
        now = time.perf_counter()
        if now >= self._next_hook:
            self._next_hook = now + self.hook_every_s
            self.hook()

    def consumed(self) -> None:
        """The GUI has drawn the last snapshot."""
        self._consumed.set()

    @property
    def ready(self) -> bool:
        return self._consumed.is_set()

    def _taken(self) -> None:
        if self.backpressure:
            self._consumed.clear()

    def request_stop(self) -> None:
        with self._lock:
            self._stop = True

    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop

    def update(self, **settings) -> None:
        for key in settings:
            if key not in LIVE_SETTINGS:
                raise SpecError(key, f"cannot change while training (live settings: {', '.join(LIVE_SETTINGS)})")
        with self._lock:
            self._changes.update(settings)

    def take_changes(self) -> dict:
        with self._lock:
            changes, self._changes = self._changes, {}
            return changes


class TrainingSession:
    """A network, its trainer and the history of the run, built from a project."""

    def __init__(self, project: Project, capacity: int = 4096):
        self.project = project
        self.net: Network = project.network()
        X, T, Xv, Tv = project.arrays()
        t = project.training
        self.trainer = Trainer(self.net, X, T, optimizer=t["optimizer"], batch_size=t["batch_size"],
                               seed=t["seed"], clip_grad_norm=t["clip_grad_norm"],
                               clip_grad_value=t["clip_grad_value"], schedule=t["schedule"],
                               X_val=Xv, T_val=Tv, early_stopping=t["early_stopping"])
        self.history = History(len(self.net.spec.layers), capacity)
        self.last_record: dict | None = None
        self._boundary_at = 0.0
        self._state_at = 0.0
        self._rate = 0.0
        self._rate_mark = (time.perf_counter(), 0)

    # -- settings ------------------------------------------------------------------------
    def apply_settings(self, changes: dict) -> None:
        tr = self.trainer
        for key, value in changes.items():
            if key == "lr":
                tr.set_lr(value)
            elif key == "clip_grad_norm":
                tr.clip_grad_norm = value
            elif key == "clip_grad_value":
                tr.clip_grad_value = value
            elif key == "data":
                self.set_data(value)
            elif key in ("l1", "l2"):
                if value is None or value < 0 or not math.isfinite(value):
                    raise SpecError(key, f"expected a number ≥ 0, got {value!r}")
                setattr(self.net.spec, key, float(value))

    def set_data(self, data: dict) -> None:
        """Points added or removed: training goes on with the edited set."""
        from . import data as data_mod
        X, T, Xv, Tv = data_mod.arrays(data_mod.normalise(data))
        tr = self.trainer
        tr.X = self.net.check_inputs(X, "X")
        tr.T = self.net.check_targets(T, len(tr.X), "T")
        if Xv is not None:
            tr.X_val = self.net.check_inputs(Xv, "X_val")
            tr.T_val = self.net.check_targets(Tv, len(tr.X_val), "T_val")
        else:
            tr.X_val = tr.T_val = None
        tr._cursor, tr._perm, tr._perm_ready = 0, None, False
        self.project = self.project.with_data(data)

    # -- steps ---------------------------------------------------------------------------
    def step(self) -> dict:
        rec = self.trainer.step()
        if rec["epoch_end"] and self.net.spec.loss in ("cross_entropy", "binary_cross_entropy", "hinge"):
            rec["accuracy"] = self.trainer.accuracy(self.trainer.X, self.trainer.T)
            if self.trainer.X_val is not None:
                rec["val_accuracy"] = self.trainer.accuracy(self.trainer.X_val, self.trainer.T_val)
        self.history.add(rec)
        self.last_record = rec
        return rec

    def run(self, control: Control, max_steps: int | None = None, max_rate: float = MAX_RATE_HZ):
        """Train until stopped, diverged or done; yield a Snapshot at most ``max_rate`` times a second."""
        period = 1.0 / max_rate
        pending: list[dict] = []
        last = time.perf_counter()
        done = 0
        self._rate_mark = (last, self.trainer.steps)
        while True:
            control.poll()
            changes = control.take_changes()
            if changes:
                self.apply_settings(changes)
            if control.stop_requested:
                if pending:
                    control._taken()
                    yield self.snapshot(pending)
                return "stopped"
            rec = self.step()
            pending.append(rec)
            done += 1
            finished = rec["nonfinite"] or self.trainer.stopped or (max_steps is not None and done >= max_steps)
            now = time.perf_counter()
            if finished or (now - last >= period and control.ready):
                control._taken()
                yield self.snapshot(pending, stopped=self.trainer.stopped, boundary=True if finished else None)
                pending = []
                last = now
            if finished:
                return "diverged" if rec["nonfinite"] else (self.trainer.stopped or "done")

    # -- snapshots ---------------------------------------------------------------------------
    def snapshot(self, records: list, stopped=None, boundary: bool | None = None) -> Snapshot:
        rec = records[-1] if records else self.last_record
        tr = self.trainer
        now = time.perf_counter()
        t0, s0 = self._rate_mark
        if now - t0 > 0.25:
            self._rate = (tr.steps - s0) / (now - t0)
            self._rate_mark = (now, tr.steps)
        health = diagnose(self.net, rec, tr.last_pass) if rec else Health("not measured")
        hists, preacts = self._distributions()
        want_boundary = boundary if boundary is not None else now - self._boundary_at >= 1 / BOUNDARY_RATE_HZ
        grid = None
        if want_boundary and _plane_data(self.project.data, self.net):
            grid = self.boundary()
            self._boundary_at = now
        extra = {}
        if boundary or now - self._state_at >= 1 / OPTIMIZER_STATE_RATE_HZ:
            # A few times a second is enough to read, and keeps large networks' snapshots small.
            from ..engine.update_plan import state_by_param
            extra["optimizer"] = {"settings": dict(tr.optimizer.settings),
                                  "state": state_by_param(self.net, tr.optimizer.state)}
            self._state_at = now
        return Snapshot(step=tr.steps, epoch=tr.epoch, loss=rec["loss"] if rec else math.nan,
                        val_loss=rec.get("val_loss") if rec else None,
                        records=tuple(_compact(r) for r in records),
                        params={k: v.copy() for k, v in self.net.params.items()},
                        health=health, histograms=hists, preacts=preacts, boundary=grid,
                        nonfinite=rec.get("nonfinite") if rec else None, stopped=stopped,
                        steps_per_second=self._rate,
                        time_grads=tuple(tuple(v) for v in time_gradient_norms(tr.last_pass)),
                        extra=extra)

    def _distributions(self):
        lp = self.trainer.last_pass
        if lp is None:
            return (), ()
        hists, preacts = [], []
        for i, nodes in enumerate(lp.layers):
            g = lp.params[self.net.weight_names[i]].grad
            if g is None:
                hists.append((np.array([0.0, 1.0]), np.array([0])))
            else:
                mag = np.abs(g[np.isfinite(g)].ravel())
                logs = np.log10(mag[mag > 0]) if mag.size else np.array([])
                if logs.size == 0:
                    logs = np.array([-12.0])
                counts, edges = np.histogram(logs, bins=24)
                hists.append((edges, counts))
            z_node = nodes.get("norm") or nodes.get("sum") or nodes["matmul"]
            z = z_node.value.ravel()
            if z.size > 400:
                z = z[:: max(1, z.size // 400)]
            preacts.append(z.copy())
        return tuple(hists), tuple(preacts)

    def boundary(self, size: int = GRID):
        """Predictions over the data's bounding box (first output), derived inputs included."""
        from .data import boundary_grid
        xs, ys, pts = boundary_grid(self.trainer.X, self.project.data, size)
        with np.errstate(all="ignore"):
            out = self.net.predict(pts)
        if out.shape[1] > 1:
            values = out.argmax(axis=1).astype(float)
        else:
            values = out[:, 0]
        return xs, ys, values.reshape(size, size)


def _compact(rec: dict) -> dict:
    keys = ("step", "epoch", "loss", "val_loss", "lr", "grad_norms", "weight_norms", "update_ratios",
            "epoch_end", "nonfinite", "accuracy", "val_accuracy")
    return {k: rec.get(k) for k in keys}


def live_changes(old: Project, current_spec: dict, new: Project, ignore_weights: bool = False) -> dict | None:
    """The settings to apply to a session built from ``old`` (whose network is
    now ``current_spec``) for the edited project ``new``, or None if they differ
    in ways that need a new session (structure, weights, data, optimizer,
    batching). While training runs the document's weights lag behind the
    session's, so ``ignore_weights`` compares structure only."""
    old_t, new_t = old.training, new.training
    changes = {}
    for key in ("clip_grad_norm", "clip_grad_value"):
        if old_t[key] != new_t[key]:
            changes[key] = new_t[key]
    old_opt = {k: v for k, v in old_t["optimizer"].items() if k != "lr"}
    new_opt = {k: v for k, v in new_t["optimizer"].items() if k != "lr"}
    if old_opt != new_opt:
        return None
    if old_t["optimizer"]["lr"] != new_t["optimizer"]["lr"]:
        changes["lr"] = new_t["optimizer"]["lr"]
    rest = ("batch_size", "schedule", "early_stopping", "seed")
    if any(old_t[k] != new_t[k] for k in rest):
        return None
    if old.data != new.data:
        from . import data as data_mod
        if data_mod.shape_of(old.data) != data_mod.shape_of(new.data):
            return None
        changes["data"] = new.data
    spec = new.network_spec
    for key in ("l1", "l2"):
        if current_spec[key] != spec[key]:
            changes[key] = spec[key]
    if _without(current_spec, ignore_weights) != _without(spec, ignore_weights):
        return None
    return changes


_VALUES = ("weight", "bias", "gamma", "beta", "running_mean", "running_var")


def _without(spec: dict, weights: bool) -> dict:
    out = {k: v for k, v in spec.items() if k not in ("l1", "l2")}
    if weights:
        out["layers"] = [{k: v for k, v in layer.items() if k not in _VALUES} for layer in spec["layers"]]
    return out


def _plane_data(d: dict, net) -> bool:
    """True when the samples live in a plane the data view can draw."""
    if net.n_inputs == 2:
        return True
    return d["kind"] == "builtin" and bool(d.get("features"))
