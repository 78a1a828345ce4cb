"""What a walk is of: which network state, which samples, which update.

A walk is always made from an :class:`~backprop_viz.engine.update_plan.UpdatePlan`:
the run's next update (its batch, optimizer state, clipping and scheduled
learning rate), or the optimizer's update for samples the learner typed. Its
header says so in words, and its ``version`` says which state of the project
it was made from, so that nothing shows or exports a walk of a network that
is no longer there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.update_plan import UpdatePlan, preview
from .project import Project

WHOLE = "whole"


@dataclass(frozen=True)
class WalkSource:
    plan: UpdatePlan
    weights: str            # "initial", "after update 1,308", "as edited"
    sample: int | str       # index into the plan's batch, or WHOLE
    version: int            # the document version the walk was made from
    typed: bool = False
    run: str | None = None  # a compared run's name (its update is made in the Compare panel)

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(X, T) the walk traces: one sample of the batch, or all of it."""
        p = self.plan
        if self.sample == WHOLE:
            return p.X, p.T
        i = int(self.sample)
        return p.X[i:i + 1], p.T[i:i + 1]

    @property
    def batch_size(self) -> int:
        return int(self.plan.X.shape[0])

    def header(self, level: str | None = None) -> str:
        p = self.plan
        if self.typed:
            what = (f"typed sample (not a training batch) · what {p.optimizer['name']} would do next with its "
                    "gradient")
        else:
            whose = f"the compared run “{self.run}”" if self.run else "this run"
            what = f"update {p.step:,} of {whose} (epoch {p.epoch + 1})"
        tail = f" · {level} level" if level else ""
        return f"{what} · weights {self.weights} · {self.sample_text()}{tail}"

    def sample_text(self) -> str:
        p, n = self.plan, self.batch_size
        if self.typed:
            return "1 typed sample"
        rows = p.rows if p.rows is not None else np.arange(n)
        if self.sample == WHOLE:
            if p.rows is None:
                return f"the whole batch: all {n} row{'s' if n != 1 else ''} of the data set"
            return f"the whole batch: {n} rows ({_rows_text(rows)})"
        i = int(self.sample)
        if n == 1:
            return f"its one sample (data set row {int(rows[i]) + 1})"
        return f"sample {i + 1} of its {n}-sample batch (data set row {int(rows[i]) + 1})"


def _rows_text(rows) -> str:
    shown = ", ".join(str(int(r) + 1) for r in rows[:6])
    return f"rows {shown}{', …' if len(rows) > 6 else ''}"


def local_plan(project: Project, steps: int, epoch: int, X=None, T=None) -> UpdatePlan:
    """The next update of a run freshly loaded from ``project`` at ``steps``/``epoch``,
    as the training process would make it after loading the same project."""
    from .training import TrainingSession
    session = TrainingSession(project)
    session.trainer.resume_at(steps, epoch)
    return preview(session.trainer, X, T)
