"""Training: batches, clipping, optimizer updates, schedules, early stopping.

``Trainer.step()`` does one parameter update and returns a plain record of
what happened; it never raises for a diverging run: the record says which
node first went non-finite and the update is not applied.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import compiled, step_stats
from .errors import SpecError
from .fields import SEED_MAX, _show, is_number, is_whole, whole
from .graph import backward
from .network import Network, Pass
from .optimizers import make_optimizer
from .schedules import parse_schedule, scheduled_lr
from .step_stats import StepStats


def _optional_positive(v, path, *, integer=False):
    if v is None:
        return None
    if not is_number(v) or v <= 0:
        raise SpecError(path, f"expected a number > 0 or null, got {_show(v)}")
    if integer and int(v) != v:
        raise SpecError(path, f"expected a whole number, got {v!r}")
    return int(v) if integer else float(v)


def parse_early_stopping(cfg, path="early_stopping"):
    if cfg is None or cfg is False:
        return None
    if is_whole(cfg):
        cfg = {"patience": cfg}
    if not isinstance(cfg, dict):
        raise SpecError(path, f"expected a patience or an object, got {cfg!r}")
    for key in cfg:
        if key not in ("patience", "min_delta"):
            raise SpecError(f"{path}.{key}", "unknown key (expected patience, min_delta)")
    patience = _optional_positive(cfg.get("patience", 10), f"{path}.patience", integer=True)
    min_delta = cfg.get("min_delta", 0.0)
    if not is_number(min_delta) or min_delta < 0:
        raise SpecError(f"{path}.min_delta", f"expected a number ≥ 0, got {_show(min_delta)}")
    return {"patience": patience, "min_delta": float(min_delta)}


class Trainer:
    def __init__(self, net: Network, X, T, optimizer=None, batch_size=None, shuffle=True,
                 seed=0, clip_grad_norm=None, clip_grad_value=None, schedule=None,
                 X_val=None, T_val=None, early_stopping=None):
        self.net = net
        self.X = net.check_inputs(X, "X")
        self.T = net.check_targets(T, self.X.shape[0], "T")
        self.X_val = self.T_val = None
        if X_val is not None:
            self.X_val = net.check_inputs(X_val, "X_val")
            if T_val is None:
                raise SpecError("T_val", "validation inputs given without targets")
            self.T_val = net.check_targets(T_val, self.X_val.shape[0], "T_val")
        self.optimizer = make_optimizer(optimizer if optimizer is not None else {"name": "adam"})
        self.base_lr = self.optimizer.lr
        self.batch_size = _optional_positive(batch_size, "batch_size", integer=True)
        self.shuffle = bool(shuffle)
        self.clip_grad_norm = _optional_positive(clip_grad_norm, "clip_grad_norm")
        self.clip_grad_value = _optional_positive(clip_grad_value, "clip_grad_value")
        self.schedule = parse_schedule(schedule)
        self.early_stopping = parse_early_stopping(early_stopping)
        whole(seed, "seed", 0, SEED_MAX)
        batch_seq, drop_seq = np.random.SeedSequence(seed).spawn(2)
        self._batch_rng = np.random.default_rng(batch_seq)
        self.dropout_rng = np.random.default_rng(drop_seq)
        self.steps = 0
        self.epoch = 0
        self._cursor = 0
        self._perm = None
        self._perm_ready = False
        self._epoch_losses: list[float] = []
        self.val_loss = None
        self._best = math.inf
        self._bad_epochs = 0
        self.stopped: str | None = None          # reason training should stop, e.g. "early_stopping"
        self.diverged: dict | None = None        # first non-finite report
        self._last_pass: Pass | None = None       # see last_pass
        self._pass_source: tuple | None = None   # what rebuilds the last step's graph on demand
        self._last_update: dict | None = None
        self._update_source: tuple | None = None
        self._work: _Work | None = None          # the compiled step and its buffers
        self._works: dict = {}                   # … for the last few batch shapes
        # The compiled step (same numbers as the graph path); False trains on the graph.
        self.compile = True
        self.last_batch: tuple | None = None     # (X, T) of the last step
        self.last_rows: np.ndarray | None = None  # rows of the training set in the last step's batch
        self._layer_weights = [net.params[n] for n in net.weight_names]

    # -- settings that may change between steps ------------------------------
    @property
    def lr(self) -> float:
        return self.optimizer.lr

    def set_lr(self, lr: float) -> None:
        """Set the base learning rate; the schedule scales it from the next update."""
        lr = _optional_positive(lr, "lr")
        self.base_lr = lr
        self.optimizer.lr = scheduled_lr(self.schedule, lr, self.epoch)

    def resume_at(self, steps: int, epoch: int) -> None:
        """Carry on a run at this point (a reloaded project): counters and scheduled rate."""
        self.steps, self.epoch = int(steps), int(epoch)
        self.optimizer.lr = scheduled_lr(self.schedule, self.base_lr, self.epoch)

    @property
    def n_train(self) -> int:
        return self.X.shape[0]

    @property
    def batches_per_epoch(self) -> int:
        if self.batch_size is None:
            return 1
        return -(-self.n_train // self.batch_size)

    # -- batches -----------------------------------------------------------------
    def _next_batch(self):
        n = self.n_train
        if self.batch_size is None or self.batch_size >= n:
            self.last_rows = None
            return self.X, self.T, True
        if self._cursor == 0 and not self._perm_ready:
            self._perm = self._batch_rng.permutation(n) if self.shuffle else np.arange(n)
        self._perm_ready = False
        idx = self._perm[self._cursor:self._cursor + self.batch_size]
        self.last_rows = idx
        self._cursor += self.batch_size
        end = self._cursor >= n
        if end:
            self._cursor = 0
        return self.X[idx], self.T[idx], end

    def peek_rows(self):
        """Rows of the training set the next step will use (None: all of them, in order)."""
        n = self.n_train
        if self.batch_size is None or self.batch_size >= n:
            return None
        if self._cursor == 0 and not self._perm_ready:
            # The next permutation is not drawn yet: draw it now and keep it.
            self._perm = self._batch_rng.permutation(n) if self.shuffle else np.arange(n)
            self._perm_ready = True
        return self._perm[self._cursor:self._cursor + self.batch_size]

    def peek_batch(self):
        """(X, T) the next step will use, without advancing."""
        rows = self.peek_rows()
        if rows is None:
            return self.X, self.T
        return self.X[rows], self.T[rows]

    # -- one update -----------------------------------------------------------------
    @property
    def last_pass(self) -> Pass | None:
        """The graph of the last step (values and gradients), for inspection.

        A compiled step leaves no graph; it is built here, from the weights,
        batch and dropout stream that step used, when someone asks (a
        snapshot, a walk) rather than at every update.
        """
        if self._last_pass is None and self._pass_source is not None:
            self._last_pass = self._rebuild_pass(*self._pass_source)
        return self._last_pass

    @last_pass.setter
    def last_pass(self, value) -> None:
        self._last_pass = value
        self._pass_source = None

    def _rebuild_pass(self, flat_before, X, T, rng_state) -> Pass:
        net = self.net
        rng = None
        if rng_state is not None:
            rng = np.random.default_rng()
            rng.bit_generator.state = rng_state
        now = net.flat.copy()
        net.flat[...] = flat_before
        try:
            with np.errstate(all="ignore"):
                result = net.build(X, T, training=True, rng=rng, checked=True, topo=False)
                backward(result.order)
        finally:
            net.flat[...] = now
        return result

    def last_stats(self) -> StepStats | None:
        """What the health diagnosis and distributions read of the last step, without building its graph
        when a tape made the step (valid until the next step)."""
        if self._last_pass is None and self._pass_source is not None and self._update_source is not None:
            work = self._work
            if work is not None and work.tape is not None:
                return step_stats.from_tape(self.net, work.tape, self._update_source[0])
        return step_stats.from_pass(self.net, self.last_pass)

    @property
    def last_update(self) -> dict | None:
        """What the last applied update did: gradients by name (raw and as used), clipping, rate."""
        if self._last_update is None and self._update_source is not None:
            raw, used, info = self._update_source
            info = dict(info)
            info["raw"] = self._by_name(raw.copy())
            info["used"] = info["raw"] if used is raw else self._by_name(used.copy())
            self._last_update = info
        return self._last_update

    @last_update.setter
    def last_update(self, value) -> None:
        self._last_update = value
        self._update_source = None

    def _by_name(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        out, offset = {}, 0
        for name, p in self.net.params.items():
            out[name] = flat[offset:offset + p.size].reshape(p.shape)
            offset += p.size
        return out

    def __getstate__(self):
        # Copies (the update preview's twin) rebuild their own tape and buffers;
        # the last step's graph and gradients belong to this trainer's run.
        state = dict(self.__dict__)
        state.update(_work=None, _works={}, _last_pass=None, _pass_source=None, _last_update=None,
                     _update_source=None)
        return state

    def _compiled(self, X) -> "_Work":
        """The step's machinery for this batch shape, made when the network or the shape is new.

        An epoch whose last batch is smaller alternates between two shapes,
        so the last few are kept rather than remade each time.
        """
        work = self._work
        sig = compiled.signature(self.net, X)
        if work is not None and work.flat is self.net.flat and work.sig == sig and work.compile == self.compile:
            return work
        key = (id(self.net.flat), sig, self.compile)
        work = self._works.get(key)
        if work is None or work.flat is not self.net.flat:
            if len(self._works) >= 4:
                self._works.pop(next(iter(self._works)))
            work = self._works[key] = _Work(self.net, X, sig, self.compile)
        self._work = work
        return work

    def step(self) -> dict:
        # Overflow is expected in a diverging run and reported in the record.
        with np.errstate(all="ignore"):
            return self._step()

    def _step(self) -> dict:
        net = self.net
        X, T, epoch_end = self._next_batch()
        self.last_batch = (X, T)
        self.steps += 1
        work = self._compiled(X)
        tape = work.tape
        grad = work.grad              # the tape writes here; the record's norms read it in place
        if tape is not None:
            rng_state = self.dropout_rng.bit_generator.state if work.dropout else None
            loss = tape.run(X, T, self.dropout_rng)
            data_loss = float(tape.data_loss)
            self._last_pass = None
            self._pass_source = (work.before, X, T, rng_state)
        else:
            result = net.build(X, T, training=True, rng=self.dropout_rng, checked=True, topo=False)
            backward(result.order)
            self.last_pass = result
            loss = float(result.total.value)
            data_loss = float(result.data_term.value)
            np.copyto(grad, net.flat_gradient({name: (node.grad if node.grad is not None
                                                      else np.zeros_like(node.value))
                                               for name, node in result.params.items()}))
        np.copyto(work.before, net.flat)
        self._last_update = self._update_source = None
        record: dict[str, Any] = {"step": self.steps, "epoch": self.epoch, "loss": loss,
                  "data_loss": data_loss, "lr": self.optimizer.lr,
                  "nonfinite": None, "epoch_end": False, "val_loss": self.val_loss,
                  "clipped": False}
        clipping = self.clip_grad_norm is not None or self.clip_grad_value is not None
        sq_total = None
        if clipping or not math.isfinite(loss):
            sq_total = float(np.dot(grad, grad))
            if not (math.isfinite(loss) and math.isfinite(sq_total)) and self._report_nonfinite(record, work):
                return record
        # Without clipping, the gradient's norm comes out of the record's reduction after the
        # update; a non-finite gradient is caught there and the update undone.
        raw = grad
        coef = None
        if clipping:
            raw = work.raw
            np.copyto(raw, grad)
            assert sq_total is not None
            grad_norm = math.sqrt(sq_total)
            if self.clip_grad_norm is not None:
                # torch.nn.utils.clip_grad_norm_: scale by max_norm/(norm+1e-6), capped at 1.
                coef = self.clip_grad_norm / (grad_norm + 1e-6)
                if coef < 1.0:
                    np.multiply(grad, coef, out=grad)
                    record["clipped"] = True
            if self.clip_grad_value is not None:
                v = self.clip_grad_value
                np.clip(grad, -v, v, out=grad)
        saved = work.save_optimizer(self.optimizer)
        self.optimizer.step_flat(net.flat, grad)
        # Every layer's ‖used gradient‖², ‖w‖², ‖Δw‖² and ‖w before‖² in one or a few calls.
        g2, w2, d2, b2, g_total, w_total = work.square_sums(grad, net.flat)
        if sq_total is None:
            sq_total = g_total
            # (A finite gradient too large to square carries on, as with clipping.)
            if not math.isfinite(sq_total) and self._report_nonfinite(record, work, saved):
                return record
        grad_norm = math.sqrt(sq_total)
        record["grad_norm"] = grad_norm
        if not math.isfinite(w_total) and not np.isfinite(net.flat).all():
            # Finite gradients, non-finite weights (a huge step): never keep them.
            bad = next(n for n, p in net.params.items() if not np.isfinite(p).all())
            self._undo(work, saved)
            self.diverged = {"step": self.steps, "phase": "update", "node": bad, "op": "update",
                             "layer": None}
            record["nonfinite"] = self.diverged
            record["grad_norms"] = [math.sqrt(v) for v in g2]
            record["weight_norms"] = [_norm(w) for w in self._layer_weights]
            record["update_ratios"] = [0.0] * len(self._layer_weights)
            return record
        self._update_source = (raw, grad, {"clip_coef": coef, "grad_norm": grad_norm,
                                           "lr": self.optimizer.lr})
        record["grad_norms"] = [math.sqrt(v) for v in g2]
        record["weight_norms"] = [math.sqrt(v) for v in w2]
        # Relative to the weights before the step (the usual ~1e-3 rule of thumb).
        record["update_ratios"] = [math.sqrt(d) / math.sqrt(o) if o > 0 else 0.0 for d, o in zip(d2, b2)]
        self._epoch_losses.append(loss)
        if epoch_end:
            self._end_epoch(record)
        return record

    def _undo(self, work, saved) -> None:
        self.net.flat[...] = work.before
        work.restore_optimizer(self.optimizer, saved)
        self.optimizer.steps -= 1

    def _report_nonfinite(self, record, work, saved=None) -> bool:
        """Name the first non-finite value or gradient of the step's graph in the record
        (undoing the update made with it, given the optimizer's ``saved`` state)."""
        last_pass = self.last_pass
        assert last_pass is not None     # a step always leaves its graph or what rebuilds it
        found = last_pass.first_nonfinite()
        if found is None:
            return False
        if saved is not None:
            self._undo(work, saved)
        phase, node = found
        self.diverged = {"step": self.steps, "phase": phase, "node": node.name,
                         "op": node.op, "layer": node.layer}
        record["nonfinite"] = self.diverged
        record["grad_norms"] = [_norm(work.grad[sl]) for sl in work.weight_slices]
        record["weight_norms"] = [_norm(w) for w in self._layer_weights]
        record["update_ratios"] = [0.0] * len(self._layer_weights)
        return True

    def _end_epoch(self, record):
        self.epoch += 1
        record["epoch_end"] = True
        record["epoch"] = self.epoch
        record["epoch_loss"] = float(np.mean(self._epoch_losses))
        self._epoch_losses = []
        if self.X_val is not None:
            with np.errstate(all="ignore"):
                self.val_loss = self.net.loss(self.X_val, self.T_val)
            record["val_loss"] = self.val_loss
        self.optimizer.lr = scheduled_lr(self.schedule, self.base_lr, self.epoch)
        if self.early_stopping is not None:
            watched = self.val_loss if self.X_val is not None else record["epoch_loss"]
            if watched < self._best - self.early_stopping["min_delta"]:
                self._best = watched
                self._bad_epochs = 0
            else:
                self._bad_epochs += 1
                if self._bad_epochs >= self.early_stopping["patience"]:
                    self.stopped = "early_stopping"
                    record["stopped"] = "early_stopping"

    def accuracy(self, X, T) -> float | None:
        """Share of samples classified right, for classification losses (else None)."""
        loss = self.net.spec.loss
        if loss not in ("cross_entropy", "binary_cross_entropy", "hinge") or self.net.sequence_output:
            return None
        with np.errstate(all="ignore"):
            Y = self.net.predict(X)
        if loss == "cross_entropy":
            return float(np.mean(Y.argmax(axis=1) == T.argmax(axis=1)))
        if loss == "hinge":
            return float(np.mean(np.sign(Y) == np.sign(T)))
        return float(np.mean((Y > 0.5) == (T > 0.5)))

    def run_epoch(self) -> list[dict]:
        """Updates until the current epoch ends (or a step goes non-finite)."""
        records = []
        while True:
            rec = self.step()
            records.append(rec)
            if rec["epoch_end"] or rec["nonfinite"]:
                return records


_SMALL = 4096      # parameters up to which the record's norms come from one stacked reduction


class _Work:
    """A trainer's per-shape machinery: the tape (None: graph path) and reused buffers."""

    def __init__(self, net, X, sig, compile_=True):
        self.flat = net.flat
        self.sig = sig
        self.compile = compile_
        self.dropout = any(la.dropout for la in net.spec.layers)
        size = net.flat.size
        dtype = net.flat.dtype
        self.small = size <= _SMALL
        # Small: rows 0-3 are the gradient, the weights after, their change and before, squared
        # and summed per parameter in one reduction. Large: the gradient and the weights before.
        self.rows = np.zeros((4, size) if self.small else (3, size), dtype)
        self.squares = np.empty_like(self.rows) if self.small else None
        self.grad = self.rows[0]
        self.before = self.rows[-1]
        self.raw = np.empty(size, dtype)           # the gradient before clipping
        self.tape = compiled.compile_step(net, X, self.grad) if compile_ else None
        offsets, offset = {}, 0
        for name, p in net.params.items():
            offsets[name] = offset
            offset += p.size
        self.bounds = np.array(list(offsets.values()), dtype=np.intp)
        names = list(offsets)
        self.pick = [names.index(n) for n in net.weight_names]
        self.weight_slices = [slice(offsets[n], offsets[n] + net.params[n].size) for n in net.weight_names]
        self.saved_state: dict = {}

    def square_sums(self, grad, flat):
        """Per layer weight Σ g², Σ w², Σ (w − before)², Σ before²; Σ g² and Σ w² over all parameters."""
        rows = self.rows
        if self.small:
            # Few numbers: per-call overhead rules, so one reduction over stacked rows.
            np.copyto(rows[1], flat)
            np.subtract(flat, self.before, out=rows[2])
            np.multiply(rows, rows, out=self.squares)
            g2, w2, d2, b2 = np.add.reduceat(self.squares, self.bounds, axis=1).tolist()
            pick = self.pick
            return ([g2[j] for j in pick], [w2[j] for j in pick], [d2[j] for j in pick],
                    [b2[j] for j in pick], sum(g2), sum(w2))
        # Many numbers: memory traffic rules, so BLAS dot products on each weight's slice.
        diff = rows[1]
        np.subtract(flat, self.before, out=diff)
        out = [[], [], [], []]
        for sl in self.weight_slices:
            for i, a in enumerate((grad[sl], flat[sl], diff[sl], self.before[sl])):
                out[i].append(float(np.dot(a, a)))
        return (*out, float(np.dot(grad, grad)), float(np.dot(flat, flat)))

    def save_optimizer(self, optimizer):
        """Keep the optimizer's state, to undo an update that made weights non-finite."""
        state = optimizer.state
        saved = {}
        for key, d in state.items():
            for name, v in d.items():
                if isinstance(v, np.ndarray):
                    buf = self.saved_state.get((key, name))
                    if buf is None or buf.shape != v.shape or buf.dtype != v.dtype:
                        buf = self.saved_state[(key, name)] = np.empty_like(v)
                    np.copyto(buf, v)
                    saved[(key, name)] = buf
                else:
                    saved[(key, name)] = v
        return saved

    @staticmethod
    def restore_optimizer(optimizer, saved) -> None:
        keys = {key for key, _ in saved}
        for key in list(optimizer.state):
            if key not in keys:
                del optimizer.state[key]
        for (key, name), v in saved.items():
            d = optimizer.state.setdefault(key, {})
            if isinstance(v, np.ndarray):
                d[name] = v.copy()
            else:
                d[name] = v


def _norm(a) -> float:
    return math.sqrt(float(np.vdot(a, a)))
