"""A comparison kept in the window: runs trained in turns, bounded histories, and their file form.

The runs are made by :func:`compare.make_runs`, so each starts as the
headless command's would and each update is that variant's own
``TrainingSession.step``: interleaving changes nothing in any run's numbers.
The training loop is a plain generator (no Qt) that steps every run once in
turn, checks a stop flag between updates and hands over the new records at a
bounded rate; the window's worker thread drives it.

In the project file a comparison is ``"runs": {"vary": [[KEY, VALUE], …] per
axis…, "base": {"network", "training"}, "runs": [{"name", "network", "steps",
"epoch", "seconds", "history": [records]}]}``. ``base`` is the project the
runs started from (Reset starts them again from it); each run's network holds
its weights as last trained. The optimizer's running averages are not kept,
so a reopened Adam or momentum run continues with fresh ones.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass, field

from ..engine import SpecError
from ..engine.fields import _show, is_number, is_whole
from . import compare
from .project import Project
from .training import TrainingSession

HISTORY_CAPACITY = 2000        # records kept per run; older ones thinned to every other
YIELD_HZ = 20.0                # new records reach the window at most this often
MAX_RUNS = 8
BOUNDARY_HZ = 4.0              # decision boundaries while training, at most this often
BOUNDARY_GRID = 48
RECORD_KEYS = ("step", "epoch", "loss", "val_loss", "accuracy", "val_accuracy", "grad_norms", "epoch_end",
               "nonfinite", "seconds")


class RunHistory:
    """At most ``capacity`` records: when full, every other one goes and from then on every
    ``stride``-th is kept, so the curve still spans the whole run. A divergence is always kept.
    The plotted numbers are also kept as NumPy columns, so drawing never walks the records."""

    def __init__(self, capacity: int = HISTORY_CAPACITY, records=None, stride: int = 1):
        self.capacity = capacity
        self.records: list[dict] = []
        self._cols: dict = {}
        self.n = 0
        self._skipped = 0
        self.clear()
        self.stride = stride
        for rec in records or []:
            self._append(rec)

    def add(self, rec: dict) -> None:
        if self.stride > 1 and not rec.get("nonfinite"):
            self._skipped += 1
            if self._skipped < self.stride:
                return
        self._skipped = 0
        if len(self.records) >= self.capacity:
            self.records = self.records[0::2]
            half = len(self.records)
            for key, arr in self._cols.items():
                arr[:half] = arr[:self.n:2][:half]
            self.n = half
            self.stride *= 2
        self._append(rec)

    def _append(self, rec: dict) -> None:
        import numpy as np
        self.records.append(rec)
        g = rec["grad_norms"]
        if self.n == 0:      # one column per layer: the run's network keeps its layers
            self._cols["grad_norms"] = np.full((self.capacity + 1, len(g)), np.nan)
        c, i = self._cols, self.n
        c["step"][i] = rec["step"]
        c["seconds"][i] = rec["seconds"]
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            v = rec.get(key)
            c[key][i] = math.nan if v is None else v
        c["grad_norms"][i] = g
        self.n += 1

    def column(self, key: str):
        """A view of one column (rows: the records kept)."""
        return self._cols[key][:self.n]

    def clear(self) -> None:
        import numpy as np
        self.records, self.stride, self._skipped, self.n = [], 1, 0, 0
        self._cols = {k: np.full(self.capacity + 1, np.nan) for k in COLUMNS}


COLUMNS = ("step", "seconds", "loss", "val_loss", "accuracy", "val_accuracy")


def compact(rec: dict, seconds: float) -> dict:
    """What the window plots and the file keeps of one update."""
    bad = rec.get("nonfinite")
    return {"step": int(rec["step"]), "epoch": int(rec["epoch"]), "loss": float(rec["loss"]),
            "val_loss": None if rec.get("val_loss") is None else float(rec["val_loss"]),
            "accuracy": rec.get("accuracy"), "val_accuracy": rec.get("val_accuracy"),
            "grad_norms": [float(g) for g in rec.get("grad_norms") or []],
            "epoch_end": bool(rec.get("epoch_end")),
            "nonfinite": (bad.get("node") or "a value") if isinstance(bad, dict) else (bad or None),
            "seconds": seconds}


@dataclass
class LiveRun:
    name: str
    changes: tuple
    start: Project                 # the variant as it started (Reset goes back to it)
    session: TrainingSession
    history: RunHistory = field(default_factory=RunHistory)
    seconds: float = 0.0           # time spent in this run's own updates

    @property
    def steps(self) -> int:
        return self.session.trainer.steps

    @property
    def epoch(self) -> int:
        return self.session.trainer.epoch

    @property
    def finished(self) -> str | None:
        """"diverged", the trainer's stop reason, or None while the run can go on."""
        last = self.history.records[-1] if self.history.records else None
        if last is not None and last["nonfinite"]:
            return "diverged"
        return str(self.session.trainer.stopped) if self.session.trainer.stopped else None

    def step(self) -> dict:
        """One update of this run; the record is not added to the history (the caller does,
        on the thread that owns the history)."""
        t0 = time.perf_counter()
        rec = self.session.step()
        self.seconds += time.perf_counter() - t0
        return compact(rec, self.seconds)

    def project_now(self) -> Project:
        """The variant with the weights this run has reached."""
        return Project(self.session.net.to_dict(), self.start.data, self.start.training, self.start.view)

    def as_compare_run(self) -> compare.Run:
        """For the headless summary and overlay helpers."""
        return compare.Run(self.name, self.changes, self.start, records=self.history.records, net=self.session.net)


def _session(project: Project, steps: int = 0, epoch: int = 0) -> TrainingSession:
    s = TrainingSession(project)
    if steps:
        s.trainer.resume_at(steps, epoch)
    return s


class Comparison:
    """Runs that differ in the chosen settings, from the same start."""

    def __init__(self, base: Project, axes: list, runs: list[LiveRun]):
        self.base = base
        self.axes = axes               # [(key, [Change, …]), …]
        self.runs = runs
        self.boundaries: list | None = None       # the last grids drawn (see boundary_grids)
        self.want_boundaries = threading.Event()  # set while the boundaries are in view

    @classmethod
    def create(cls, base: Project, axes: list) -> "Comparison":
        made = compare.make_runs(base, axes)
        if len(made) > MAX_RUNS:
            raise SpecError("compare", f"{len(made)} runs: at most {MAX_RUNS} can train side by side; "
                                       "choose fewer values")
        return cls(base, axes, [LiveRun(r.name, r.changes, r.project, _session(r.project)) for r in made])

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.runs]

    @property
    def steps(self) -> int:
        return max((r.steps for r in self.runs), default=0)

    @property
    def all_finished(self) -> bool:
        return all(r.finished for r in self.runs)

    def reset(self) -> None:
        """Every run back to its start: the same weights, batches and settings."""
        for r in self.runs:
            r.session = _session(r.start)
            r.history.clear()
            r.seconds = 0.0
        self.boundaries = self.boundary_grids() if self.want_boundaries.is_set() else None

    def step_all(self, n: int = 1) -> None:
        """``n`` updates of every run that can go on (on the thread that owns the runs)."""
        for _ in range(n):
            for r in self.runs:
                if not r.finished:
                    r.history.add(r.step())
        if self.want_boundaries.is_set():
            self.boundaries = self.boundary_grids()

    def train(self, stop: threading.Event, out: "queue.Queue", ready: threading.Event, max_rate: float = YIELD_HZ,
              breathe_s: float = 0.0):
        """Train every run in turn until stopped or all are finished.

        New records go into ``out`` as ``("records", [(run index, record), …])`` (and, while
        ``want_boundaries`` is set, ``("boundaries", grids)`` a few times a second) at most ``max_rate`` times a
        second, and only once the window has taken the last lot (``ready``), so a busy window
        never builds a queue. Yields after each hand-over (the worker's signal); returns the reason.
        ``breathe_s``: a sleep after each round of updates, for a thread that shares the interpreter."""
        period = 1.0 / max_rate
        pending: list = []
        last = drawn = time.perf_counter()
        finished = {i for i, r in enumerate(self.runs) if r.finished}
        while True:
            if stop.is_set():
                break
            for i, r in enumerate(self.runs):
                if i in finished:
                    continue
                rec = r.step()
                pending.append((i, rec))
                if rec["nonfinite"] or r.session.trainer.stopped:
                    finished.add(i)
            if len(finished) == len(self.runs):
                break
            if breathe_s:
                # Sleeping lets go of the interpreter lock: a thread waiting for it (the window's)
                # takes it now instead of after the interpreter's switch interval.
                time.sleep(breathe_s)
            now = time.perf_counter()
            if pending and now - last >= period and ready.is_set():
                ready.clear()
                out.put(("records", pending))
                if self.want_boundaries.is_set() and now - drawn >= 1 / BOUNDARY_HZ:
                    out.put(("boundaries", self.boundary_grids()))
                    drawn = now
                pending = []
                last = now
                yield True
        if pending:
            out.put(("records", pending))
        if self.want_boundaries.is_set():
            out.put(("boundaries", self.boundary_grids()))
        yield True
        return "stopped" if stop.is_set() else "done"

    def add(self, item) -> None:
        """What ``train`` handed over, into the runs' histories (on the window's thread)."""
        kind, payload = item
        if kind == "boundaries":
            self.boundaries = payload
            return
        for i, rec in payload:
            self.runs[i].history.add(rec)

    # -- decision boundaries --------------------------------------------------------------
    @property
    def plane(self) -> bool:
        """The data lies in a plane the boundaries can be drawn in."""
        from .training import _plane_data
        return bool(self.runs) and _plane_data(self.base.data, self.runs[0].session.net)

    def boundary_grids(self) -> list | None:
        """Each run's predictions over the data's plane, (xs, ys, values), or None if not a plane."""
        if not self.plane:
            return None
        return [r.session.boundary(BOUNDARY_GRID) for r in self.runs]

    # -- the project file -----------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"vary": [[k, *[c.text for c in choices]] for k, choices in self.axes],
                "base": {"network": self.base.network_spec, "training": self.base.training},
                "runs": [{"name": r.name, "network": r.session.net.to_dict(), "steps": r.steps, "epoch": r.epoch,
                          "seconds": r.seconds, "stride": r.history.stride,
                          "history": [_file_record(rec) for rec in r.history.records]} for r in self.runs]}

    @classmethod
    def from_dict(cls, d, project: Project, where: str = "runs") -> "Comparison":
        """The comparison a project file holds, on the project's data; SpecError names the field."""
        d = validate(d, where)
        try:
            base = Project(d["base"]["network"], project.data, d["base"]["training"], project.view)
        except SpecError as exc:
            raise SpecError(f"{where}.base.{exc.path}", exc.detail) from None
        axes = [(row[0], [compare.parse_value(row[0], v) for v in row[1:]]) for row in d["vary"]]
        try:
            made = cls.create(base, axes)
        except SpecError as exc:
            raise SpecError(f"{where}.vary", f"{exc.path}: {exc.detail}" if exc.path else exc.detail) from None
        if len(made.runs) != len(d["runs"]):
            raise SpecError(f"{where}.runs", f"expected {len(made.runs)} runs for these settings, "
                                             f"got {len(d['runs'])}")
        for i, (run, saved) in enumerate(zip(made.runs, d["runs"])):
            at = f"{where}.runs[{i}]"
            if saved["name"] != run.name:
                raise SpecError(f"{at}.name", f"expected {run.name!r} for these settings, got {_show(saved['name'])}")
            try:
                now = Project(saved["network"], run.start.data, run.start.training, run.start.view)
            except SpecError as exc:
                raise SpecError(f"{at}.{exc.path}", exc.detail) from None
            if _shape(now.network_spec) != _shape(run.start.network_spec):
                raise SpecError(f"{at}.network", "its layers do not match the comparison's base network")
            run.session = _session(now, saved["steps"], saved["epoch"])
            run.seconds = saved["seconds"]
            run.history = RunHistory(records=[_memory_record(r) for r in saved["history"]],
                                     stride=saved["stride"])
        return made


def _shape(spec: dict) -> list:
    return [(layer.get("type"), layer.get("units"), str(layer.get("activation"))) for layer in spec["layers"]]


def _file_record(rec: dict) -> dict:
    # JSON has no NaN or infinity: a non-finite loss is written as null.
    out = dict(rec)
    for key in ("loss", "val_loss"):
        v = out.get(key)
        if v is not None and not math.isfinite(v):
            out[key] = None
    out["grad_norms"] = [g if math.isfinite(g) else None for g in rec["grad_norms"]]
    return out


def _memory_record(rec: dict) -> dict:
    out = {k: rec.get(k) for k in RECORD_KEYS}
    out["loss"] = math.nan if rec["loss"] is None else float(rec["loss"])
    out["grad_norms"] = [math.nan if g is None else float(g) for g in rec["grad_norms"]]
    out["epoch_end"] = bool(rec.get("epoch_end"))
    return out


def validate(d, where: str = "runs") -> dict:
    """The shape of a saved comparison, checked field by field (the networks are checked when built)."""
    def need(obj, key, at):
        if key not in obj:
            raise SpecError(f"{at}.{key}", "missing")
        return obj[key]

    if not isinstance(d, dict):
        raise SpecError(where, f"expected an object, got {type(d).__name__}")
    for key in d:
        if key not in ("vary", "base", "runs"):
            raise SpecError(f"{where}.{key}", "unknown key (expected one of vary, base, runs)")
    vary = need(d, "vary", where)
    if not isinstance(vary, list) or not vary:
        raise SpecError(f"{where}.vary", "expected a non-empty list of [KEY, VALUE, …]")
    for i, row in enumerate(vary):
        at = f"{where}.vary[{i}]"
        if not isinstance(row, list) or len(row) < 2 or not all(isinstance(v, str) for v in row):
            raise SpecError(at, f"expected [KEY, VALUE, …] as strings, got {_show(row)}")
        try:
            for v in row[1:]:
                compare.parse_value(row[0], v)
        except SpecError as exc:
            raise SpecError(at, exc.detail) from None
    base = need(d, "base", where)
    if not isinstance(base, dict):
        raise SpecError(f"{where}.base", "expected an object with network and training")
    need(base, "network", f"{where}.base")
    need(base, "training", f"{where}.base")
    runs = need(d, "runs", where)
    if not isinstance(runs, list):
        raise SpecError(f"{where}.runs", f"expected a list, got {type(runs).__name__}")
    for i, run in enumerate(runs):
        _check_run(run, f"{where}.runs[{i}]")
    return d


def _check_run(run, at: str) -> None:
    if not isinstance(run, dict):
        raise SpecError(at, f"expected an object, got {type(run).__name__}")
    for key in ("name", "network", "steps", "epoch", "seconds", "history"):
        if key not in run:
            raise SpecError(f"{at}.{key}", "missing")
    for key in run:
        if key not in ("name", "network", "steps", "epoch", "seconds", "stride", "history"):
            raise SpecError(f"{at}.{key}", "unknown key (expected name, network, steps, epoch, seconds, stride, "
                                           "history)")
    if not isinstance(run["name"], str):
        raise SpecError(f"{at}.name", f"expected the run's name, got {_show(run['name'])}")
    for key in ("steps", "epoch"):
        if not is_whole(run[key]) or run[key] < 0:
            raise SpecError(f"{at}.{key}", f"expected a whole number ≥ 0, got {_show(run[key])}")
    stride = run.setdefault("stride", 1)
    if not is_whole(stride) or stride < 1:
        raise SpecError(f"{at}.stride", f"expected a whole number ≥ 1, got {_show(stride)}")
    if not is_number(run["seconds"]) or run["seconds"] < 0:
        raise SpecError(f"{at}.seconds", f"expected a number ≥ 0, got {_show(run['seconds'])}")
    hist = run["history"]
    if not isinstance(hist, list):
        raise SpecError(f"{at}.history", f"expected a list, got {type(hist).__name__}")
    if len(hist) > HISTORY_CAPACITY:
        raise SpecError(f"{at}.history", f"at most {HISTORY_CAPACITY} records, got {len(hist)}")
    previous = 0
    for j, rec in enumerate(hist):
        _check_record(rec, f"{at}.history[{j}]", previous, run["steps"])
        previous = rec["step"]


def _check_record(rec, at: str, previous: int, steps: int) -> None:
    if not isinstance(rec, dict):
        raise SpecError(at, f"expected an object, got {type(rec).__name__}")
    for key in rec:
        if key not in RECORD_KEYS:
            raise SpecError(f"{at}.{key}", f"unknown key (expected one of {', '.join(RECORD_KEYS)})")
    for key in ("step", "epoch", "loss", "grad_norms", "seconds"):
        if key not in rec:
            raise SpecError(f"{at}.{key}", "missing")
    if not is_whole(rec["step"]) or not previous < rec["step"] <= steps:
        raise SpecError(f"{at}.step", f"expected a whole number after {previous} and at most the run's "
                                      f"{steps} steps, got {_show(rec['step'])}")
    if not is_whole(rec["epoch"]) or rec["epoch"] < 0:
        raise SpecError(f"{at}.epoch", f"expected a whole number ≥ 0, got {_show(rec['epoch'])}")
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        v = rec.get(key)
        if v is not None and not is_number(v):
            raise SpecError(f"{at}.{key}", f"expected a number or null, got {_show(v)}")
    if not is_number(rec["seconds"]) or rec["seconds"] < 0:
        raise SpecError(f"{at}.seconds", f"expected a number ≥ 0, got {_show(rec['seconds'])}")
    g = rec["grad_norms"]
    if not isinstance(g, list) or not all(v is None or is_number(v) for v in g):
        raise SpecError(f"{at}.grad_norms", f"expected a list of numbers, got {_show(g)}")
    bad = rec.get("nonfinite")
    if bad is not None and not isinstance(bad, str):
        raise SpecError(f"{at}.nonfinite", f"expected the name of a node or null, got {_show(bad)}")


def summary(run: LiveRun, target_loss: float | None = None) -> dict:
    """As :func:`compare.summary` (the same numbers), from the columns: the table asks often."""
    import numpy as np
    h = run.history

    def finite(key):
        v = h.column(key)
        return v[np.isfinite(v)]

    def last_and_best(key):
        v = finite(key)
        return (float(v[-1]), float(v.min())) if v.size else (None, None)
    loss, vloss = last_and_best("loss"), last_and_best("val_loss")
    acc, vacc = finite("accuracy"), finite("val_accuracy")
    diverged = bool(h.records and h.records[-1]["nonfinite"])
    reached = None
    if target_loss is not None:
        hit = np.flatnonzero(h.column("loss") <= target_loss)
        reached = int(h.column("step")[hit[0]]) if hit.size else None
    return {"run": run.name, "updates": run.steps - diverged, "diverged": diverged,
            "final_loss": loss[0], "best_loss": loss[1], "final_val_loss": vloss[0], "best_val_loss": vloss[1],
            "accuracy": float(acc[-1]) if acc.size else None,
            "val_accuracy": float(vacc[-1]) if vacc.size else None, "reached_target_at": reached}


# -- what the overlay plots show ---------------------------------------------------------------
X_UPDATES, X_EPOCHS, X_SECONDS = "update", "epoch", "training time (s)"


def run_series(run: LiveRun, value: str, x_kind: str = X_UPDATES, layer: int = 0):
    """(x, y) of one run as arrays, where the value exists. ``value``: loss, val_loss, accuracy,
    grad_norm (of ``layer``) or grad_ratio (first ÷ last layer)."""
    import numpy as np
    h = run.history
    if h.n == 0:
        return np.array([]), np.array([])
    if x_kind == X_EPOCHS:
        x = h.column("step") / max(run.session.trainer.batches_per_epoch, 1)
    elif x_kind == X_SECONDS:
        x = h.column("seconds")
    else:
        x = h.column("step")
    if value in ("grad_norm", "grad_ratio"):
        g = h.column("grad_norms")
        if g.shape[1] == 0:
            y = np.full(len(x), np.nan)
        elif value == "grad_norm":
            y = g[:, min(layer, g.shape[1] - 1)]
        else:
            with np.errstate(all="ignore"):
                y = g[:, 0] / g[:, -1] if g.shape[1] > 1 else np.full(len(x), np.nan)
            y[~np.isfinite(y) | (g[:, -1] == 0)] = np.nan
        keep = np.ones(len(x), dtype=bool)
    else:
        y = h.column(value)
        # A missing value (validation before the first epoch's end) is no point at all;
        # a non-finite loss stays, as a gap.
        keep = ~np.isnan(y) if value != "loss" else np.ones(len(x), dtype=bool)
    return x[keep], y[keep]


def ema(values, weight: float):
    """Exponential moving average as TensorBoard draws it (debiased, so the start is not pulled
    toward zero); non-finite values are passed through and do not enter the average."""
    import numpy as np
    v = np.asarray(values, dtype=float)
    if weight <= 0 or not v.size:
        return v
    out = v.copy()
    ok = np.isfinite(v)
    f = v[ok]
    n = np.arange(1, f.size + 1)
    # avg_n = (1-w) Σ_k w^(n-k) f_k, done in blocks so that w^-k stays well inside a float.
    avg = np.empty_like(f)
    block = max(1, int(30 / -math.log(weight)))
    carry = 0.0
    for start in range(0, f.size, block):
        part = f[start:start + block]
        k = np.arange(1, part.size + 1)
        sums = np.cumsum(part * weight ** -k)
        avg[start:start + block] = weight ** k * (carry + (1 - weight) * sums)
        carry = avg[start + part.size - 1]
    out[ok] = avg / (1 - weight ** n)
    return out


def overlay_csv(x_label: str, names: list[str], curves: list[tuple[list, list]]) -> str:
    """One column per run against the x values of any run (blank where a run has none)."""
    import csv
    import io
    by_run = [dict(zip((float(x) for x in xs), (float(y) for y in ys))) for xs, ys in curves]
    xs = sorted({x for values in by_run for x in values})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([x_label, *names])
    for x in xs:
        row = [repr(x) if not float(x).is_integer() else str(int(x))]
        for values in by_run:
            v = values.get(x)
            row.append("" if v is None or not math.isfinite(v) else repr(float(v)))
        w.writerow(row)
    return buf.getvalue()
