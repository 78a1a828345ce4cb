"""A training run replayed for an animation: the loss so far and the decision boundary at evenly
spaced moments of the run.

The run is the one *Train* makes from the project as it is (same seed, settings and batches), so
an animation can be made after the fact without recording every boundary while training live.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .project import Project
from .training import GRID, TrainingSession, _plane_data


@dataclass(frozen=True)
class RunFrame:
    step: int                     # updates made so far
    steps: np.ndarray             # the loss curve so far: update numbers …
    loss: np.ndarray              # … and the loss at each
    boundary: tuple | None        # (xs, ys, values) on a grid, for data in a plane


def replay(project: Project, updates: int, frames: int = 30, grid: int = GRID) -> list[RunFrame]:
    """``frames`` moments of a run of ``updates`` updates from ``project`` (the first before any
    update, the last after all of them); a run that goes non-finite ends at that update."""
    if updates < 1 or frames < 2:
        raise ValueError("a run animation needs at least one update and two frames")
    session = TrainingSession(project)
    plane = _plane_data(project.data, session.net)
    marks = sorted({int(m) for m in np.linspace(0, updates, frames).round()})
    out: list[RunFrame] = []
    done = 0
    for mark in marks:
        stopped = False
        while done < mark:
            rec = session.step()
            done += 1
            if rec.get("nonfinite"):
                stopped = True
                break
        assert session.history is not None      # a session made here keeps its history
        steps, loss = session.history.loss()
        out.append(RunFrame(done, np.array(steps), np.array(loss), session.boundary(grid) if plane else None))
        if stopped:
            break
    return out
