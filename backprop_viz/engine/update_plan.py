"""The next update of a run, worked out before it happens.

``preview(trainer)`` makes the very update ``trainer.step()`` would make next
on a twin of the trainer (same weights, optimizer state, batch order, dropout
stream, schedule and clipping), so what the walk shows is what training does,
to the bit. The trainer itself does not move.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np


@dataclass
class ParamUpdate:
    """One parameter tensor's update, with the optimizer state around it."""

    name: str
    old: np.ndarray
    grad: np.ndarray          # the gradient of the loss (before clipping)
    used: np.ndarray          # what the optimizer received (after clipping)
    before: dict              # optimizer state before the update, shaped like the parameter
    after: dict               # optimizer state after it
    new: np.ndarray

    def element(self, idx) -> "ParamUpdate":
        """The same update for one element."""
        def pick(d):
            return {k: (float(v[idx]) if isinstance(v, np.ndarray) else v) for k, v in d.items()}
        return ParamUpdate(self.name, self.old[idx], self.grad[idx], self.used[idx],
                           pick(self.before), pick(self.after), self.new[idx])


@dataclass
class UpdatePlan:
    step: int                      # this update's number in the run (1 = the first)
    epoch: int                     # epochs completed before it
    X: np.ndarray
    T: np.ndarray
    rows: np.ndarray | None        # rows of the training set in the batch (None: all, in order)
    n_train: int
    source: str                    # "run": the run's next update; "sample": the given samples
    optimizer: dict                # the optimizer's settings, lr as used in this update
    base_lr: float
    schedule: dict | None
    clip_grad_norm: float | None
    clip_grad_value: float | None
    grad_norm: float | None
    clip_coef: float | None        # the factor clipping by norm applied (None: did not act)
    loss: float
    nonfinite: dict | None
    params: list[ParamUpdate] = field(default_factory=list)
    dropout_rng: np.random.Generator | None = None   # the stream as it was before the update

    @property
    def lr(self) -> float:
        return self.optimizer["lr"]

    def param(self, name: str) -> ParamUpdate:
        return next(p for p in self.params if p.name == name)

    @property
    def new_parameters(self) -> dict[str, np.ndarray]:
        return {p.name: p.new.copy() for p in self.params}

    @property
    def clipped_values(self) -> int:
        """How many gradient elements clipping by value changed."""
        if self.clip_grad_value is None:
            return 0
        return int(sum(np.count_nonzero(np.abs(p.grad * (self.clip_coef or 1.0)) > self.clip_grad_value)
                       for p in self.params))


def _twin(trainer):
    # The data is read, never written: share it. The last step's graph and
    # buffers are left behind (Trainer.__getstate__).
    memo = {id(a): a for a in (trainer.X, trainer.T, trainer.X_val, trainer.T_val) if a is not None}
    return copy.deepcopy(trainer, memo)


def state_by_param(net, state: dict) -> dict[str, dict]:
    """The optimizer's flat state cut into per-parameter views."""
    flat = state.get("*", {})
    out: dict[str, dict] = {name: {} for name in net.params}
    offset = 0
    for name, p in net.params.items():
        for key, v in flat.items():
            if isinstance(v, np.ndarray):
                out[name][key] = v[offset:offset + p.size].reshape(p.shape).copy()
            else:
                out[name][key] = v
        offset += p.size
    return out


def preview(trainer, X=None, T=None) -> UpdatePlan:
    """The update ``trainer.step()`` would make next; with ``X, T``, the update the
    optimizer (in its current state) would make from those samples instead."""
    twin = _twin(trainer)
    source = "run" if X is None else "sample"
    if X is not None:
        X = twin.net.check_inputs(X, "X")
        T = twin.net.check_targets(T, X.shape[0], "T")
        fixed = (X, T)

        def given_batch():
            twin.last_rows = None
            return fixed[0], fixed[1], False
        twin._next_batch = given_batch
        rows = None
    else:
        rows = twin.peek_rows()
        rows = None if rows is None else rows.copy()
        X, T = twin.peek_batch()
    rng = copy.deepcopy(twin.dropout_rng)
    old = {n: p.copy() for n, p in twin.net.params.items()}
    before = state_by_param(twin.net, twin.optimizer.state)
    settings = dict(twin.optimizer.settings)
    step, epoch = twin.steps + 1, twin.epoch
    rec = twin.step()
    info = twin.last_update if rec["nonfinite"] is None else None
    after = state_by_param(twin.net, twin.optimizer.state)
    params = []
    if info is not None:
        # The gradient the step computed (before clipping), not its graph built again: on a
        # long recurrent walk that graph is most of the preview's time.
        grads = info["raw"]
    else:
        grads = {n: node.grad if node.grad is not None else np.zeros_like(node.value)
                 for n, node in twin.last_pass.params.items()}
    for name, p in twin.net.params.items():
        g = grads[name]
        used = info["used"][name] if info else g
        params.append(ParamUpdate(name, old[name], g.copy(), np.array(used, copy=True), before[name],
                                  after[name], p.copy()))
    return UpdatePlan(step=step, epoch=epoch, X=np.array(X, copy=True), T=np.array(T, copy=True),
                      rows=rows, n_train=trainer.n_train, source=source,
                      optimizer=settings, base_lr=trainer.base_lr, schedule=trainer.schedule,
                      clip_grad_norm=trainer.clip_grad_norm, clip_grad_value=trainer.clip_grad_value,
                      grad_norm=info["grad_norm"] if info else None,
                      clip_coef=info["clip_coef"] if info and info["clip_coef"] is not None
                      and info["clip_coef"] < 1.0 else None,
                      loss=rec["loss"], nonfinite=rec["nonfinite"], params=params, dropout_rng=rng)
