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
from ..engine.evaluation import CLASSIFICATION, evaluate
from ..engine.health import Health, diagnose, time_gradient_norms
from .history import ROW_HEAD, History, pack, unpack
from .project import Project

MAX_RATE_HZ = 60.0
LIVE_RATE_HZ = 30.0              # the window redraws at most this often: more snapshots would be waste
OPTIMIZER_STATE_RATE_HZ = 4.0
# While training runs live, the extras each take at most a share of the time and come at most
# so many times a second: validation (on small data an epoch ends every few updates), the
# decision boundary and the gradient histograms.
VALIDATION_RATE_HZ, VALIDATION_SHARE = 10.0, 0.03
BOUNDARY_RATE_HZ, BOUNDARY_SHARE = 5.0, 0.03
DISTRIBUTION_RATE_HZ, DISTRIBUTION_SHARE = 5.0, 0.02
# What a snapshot computes only while the window shows it (see Control.visible).
BOUNDARY, DISTRIBUTIONS = "boundary", "distributions"
EVERYTHING = frozenset({BOUNDARY, DISTRIBUTIONS})
GRID = 60
LIVE_SETTINGS = ("lr", "clip_grad_norm", "clip_grad_value", "l1", "l2", "data")


@dataclass(frozen=True)
class Snapshot:
    step: int
    epoch: int
    loss: float
    val_loss: float | None
    rows: np.ndarray                     # the records since the previous snapshot, packed (history.pack)
    params: dict                         # copies of every parameter
    health: Health
    histograms: tuple | None             # per layer: (bin edges of log10|g|, counts); None: not measured
    preacts: tuple | None                # per layer: a sample of pre-activations z; None: not measured
    boundary: tuple | None               # (xs, ys, values on a GRID×GRID grid) for 2-input data
    nonfinite: dict | None
    stopped: str | None
    steps_per_second: float | None       # while training runs; None for single steps
    time_grads: tuple = ()               # per recurrent layer: ‖∂E/∂h_t‖ for t = 1…T
    extra: dict = field(default_factory=dict)

    @property
    def records(self) -> list[dict]:
        """The packed records as dicts (for reading; the window adds the rows as they are)."""
        return unpack(self.rows, _layers(self.rows), self.nonfinite)


class Budget:
    """When a recurring extra may run again: at most ``rate_hz`` times a second, and at most
    ``share`` of the time (an extra that took c seconds waits c / share before the next)."""

    def __init__(self, rate_hz: float, share: float):
        self.period, self.share = 1.0 / rate_hz, share
        self.at = -math.inf

    def due(self, now: float) -> bool:
        return now >= self.at

    def spent(self, start: float, end: float) -> None:
        self.at = start + max(self.period, (end - start) / self.share)

    def reset(self) -> None:
        self.at = -math.inf


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
        # The window says which costly views it shows (BOUNDARY, DISTRIBUTIONS).
        self.visible: frozenset = EVERYTHING

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
        # Read at every update: a bool's read is atomic, the lock would cost more than the check.
        return self._stop

    def update(self, **settings) -> None:
        for key in settings:
            if key not in LIVE_SETTINGS:
                raise SpecError(key, f"cannot change while training (live settings: {', '.join(LIVE_SETTINGS)})")
        with self._lock:
            self._changes.update(settings)

    def take_changes(self) -> dict:
        if not self._changes:     # the common case, at every update: nothing new (no lock needed to see it)
            return {}
        with self._lock:
            changes, self._changes = self._changes, {}
            return changes


class TrainingSession:
    """A network, its trainer and the history of the run, built from a project."""

    def __init__(self, project: Project, capacity: int = 4096, keep_history: bool = True):
        self.project = project
        self.net: Network = project.network()
        X, T, Xv, Tv = project.arrays()
        t = project.training
        self.trainer = Trainer(self.net, X, T, optimizer=t["optimizer"], batch_size=t["batch_size"],
                               seed=t["seed"], clip_grad_norm=t["clip_grad_norm"],
                               clip_grad_value=t["clip_grad_value"], schedule=t["schedule"],
                               X_val=Xv, T_val=Tv, early_stopping=t["early_stopping"])
        # The training process sends its records to the window, which keeps the history.
        self.history = History(len(self.net.spec.layers), capacity) if keep_history else None
        self.last_record: dict | None = None
        self.clock = time.perf_counter
        self._boundary_budget = Budget(BOUNDARY_RATE_HZ, BOUNDARY_SHARE)
        self._dist_budget = Budget(DISTRIBUTION_RATE_HZ, DISTRIBUTION_SHARE)
        self._val_budget = Budget(VALIDATION_RATE_HZ, VALIDATION_SHARE)
        self._state_at = -math.inf
        self._val_hidden: tuple | None = None   # (X_val, T_val) the trainer does not see while running live
        self._live = False
        self._rate: float | None = None
        self._busy = 0.0                 # seconds spent training in run(), for the rate
        self._rate_mark = (0.0, 0)
        self._hists = self._preacts = None

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
            Xv = self.net.check_inputs(Xv, "X_val")
            Tv = self.net.check_targets(Tv, len(Xv), "T_val")
        if self._val_hidden is not None:
            self._val_hidden = (Xv, Tv)
        else:
            tr.X_val, tr.T_val = Xv, Tv
        tr._cursor, tr._perm, tr._perm_ready = 0, None, False
        self.project = self.project.with_data(data)

    # -- steps ---------------------------------------------------------------------------
    def step(self) -> dict:
        rec = self.trainer.step()
        if rec["epoch_end"] and not rec["nonfinite"]:
            if not self._live:
                self._validate(rec)
            else:
                now = self.clock()
                if self._val_budget.due(now):
                    self._validate(rec)
                    self._val_budget.spent(now, self.clock())
        if self.history is not None:
            self.history.add(rec)
        self.last_record = rec
        return rec

    def validation_set(self):
        """(X_val, T_val) or (None, None)."""
        if self._val_hidden is not None:
            return self._val_hidden
        return self.trainer.X_val, self.trainer.T_val

    def _validate(self, rec: dict) -> None:
        """Validation loss and accuracies for an epoch-end record, from one plain forward pass each."""
        tr, net = self.trainer, self.net
        classify = net.spec.loss in CLASSIFICATION
        if classify:
            rec["accuracy"] = evaluate(net, tr.X, tr.T, with_loss=False)[1]
        Xv, Tv = self.validation_set()
        if Xv is None:
            return
        if rec.get("val_loss") is None or self._val_hidden is not None:
            loss, acc = evaluate(net, Xv, Tv)
            rec["val_loss"] = loss
        else:    # the trainer measured it (early stopping watches every epoch)
            acc = evaluate(net, Xv, Tv, with_loss=False)[1] if classify else None
        if classify:
            rec["val_accuracy"] = acc

    def _hide_validation(self) -> None:
        # While training runs live the session measures validation on its time budget; the
        # trainer measures it at every epoch end only when early stopping needs it.
        tr = self.trainer
        if tr.early_stopping is None and tr.X_val is not None:
            self._val_hidden = (tr.X_val, tr.T_val)
            tr.X_val = tr.T_val = None
            tr.val_loss = None

    def _show_validation(self) -> None:
        if self._val_hidden is not None:
            self.trainer.X_val, self.trainer.T_val = self._val_hidden
            self._val_hidden = None

    def run(self, control: Control, max_steps: int | None = None, max_rate: float = MAX_RATE_HZ):
        """Train until stopped, diverged or done; yield a Snapshot at most ``max_rate`` times a second.

        The time between the yields (the consumer's) does not count toward the rate."""
        period = 1.0 / max_rate
        pending: list[dict] = []
        clock = self.clock
        last = clock()
        done = 0
        self._busy = 0.0
        self._rate, self._rate_mark = None, (0.0, self.trainer.steps)
        self._live = True
        self._val_budget.reset()
        self._hide_validation()
        started = clock()
        try:
            while True:
                control.poll()
                changes = control.take_changes()
                if changes:
                    self.apply_settings(changes)
                if control.stop_requested:
                    if pending:
                        control._taken()
                        self._busy += clock() - started
                        yield self.snapshot(pending, visible=control.visible, live=True)
                    return "stopped"
                rec = self.step()
                pending.append(rec)
                done += 1
                finished = rec["nonfinite"] or self.trainer.stopped or (max_steps is not None and done >= max_steps)
                now = clock()
                if finished or (now - last >= period and control.ready):
                    control._taken()
                    self._busy += now - started
                    snap = self.snapshot(pending, stopped=self.trainer.stopped, boundary=True if finished else None,
                                         visible=control.visible, live=True)
                    yield snap
                    pending = []
                    started = last = clock()
                if finished:
                    return "diverged" if rec["nonfinite"] else (self.trainer.stopped or "done")
        finally:
            self._live = False
            self._show_validation()

    # -- snapshots ---------------------------------------------------------------------------
    def snapshot(self, records: list, stopped=None, boundary: bool | None = None,
                 visible: frozenset = EVERYTHING, live: bool = False) -> Snapshot:
        """What the window shows of the run now. ``boundary`` True: everything, now (a single step,
        the end of a run); otherwise the costly parts only when ``visible`` and a few times a second."""
        rec = records[-1] if records else self.last_record
        tr = self.trainer
        now = self.clock()
        rate = None
        if live:
            # Updates per second of training time: the run's own, neither idle nor paused time.
            b0, s0 = self._rate_mark
            if self._busy - b0 > 0.25 or self._rate is None:
                if self._busy > b0:
                    self._rate = (tr.steps - s0) / (self._busy - b0)
                    self._rate_mark = (self._busy, tr.steps)
            rate = self._rate
        # Read from the step's own buffers when a tape made it: no graph is rebuilt per snapshot.
        stats = tr.last_stats()
        health = diagnose(self.net, rec, stats) if rec else Health("not measured")
        hists = preacts = None
        if boundary or (DISTRIBUTIONS in visible and self._dist_budget.due(now)):
            hists, preacts = self._distributions(stats)
            self._dist_budget.spent(now, self.clock())
        want_boundary = boundary if boundary is not None else (
            BOUNDARY in visible and self._boundary_budget.due(now))
        grid = None
        if want_boundary and _plane_data(self.project.data, self.net):
            start = self.clock()
            grid = self.boundary()
            self._boundary_budget.spent(start, self.clock())
        extra = {}
        if boundary or now - self._state_at >= 1 / OPTIMIZER_STATE_RATE_HZ:
            # A few times a second is enough to read, and keeps large networks' snapshots small.
            from ..engine.update_plan import state_by_param
            extra["optimizer"] = {"settings": dict(tr.optimizer.settings),
                                  "state": state_by_param(self.net, tr.optimizer.state)}
            self._state_at = now
        return Snapshot(step=tr.steps, epoch=tr.epoch, loss=rec["loss"] if rec else math.nan,
                        val_loss=rec.get("val_loss") if rec else None,
                        rows=pack(records, len(self.net.spec.layers)),
                        params={k: v.copy() for k, v in self.net.params.items()},
                        health=health, histograms=hists, preacts=preacts, boundary=grid,
                        nonfinite=rec.get("nonfinite") if rec else None, stopped=stopped,
                        steps_per_second=rate,
                        time_grads=tuple(tuple(v) for v in time_gradient_norms(stats)),
                        extra=extra)

    @staticmethod
    def _distributions(stats):
        if stats is None:
            return (), ()
        hists, preacts = [], []
        for g, z in zip(stats.weight_grads, stats.preacts):
            if g is None:
                hists.append((np.array([0.0, 1.0]), np.array([0])))
            else:
                mag = np.abs(g[np.isfinite(g)].ravel())
                logs = np.log10(mag[mag > 0]) if mag.size else np.array([])
                if logs.size == 0:
                    logs = np.array([-12.0])
                counts, edges = np.histogram(logs, bins=24)
                hists.append((edges, counts))
            z = z.ravel()
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


def _layers(rows: np.ndarray) -> int:
    return (rows.shape[1] - len(ROW_HEAD)) // 3


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
