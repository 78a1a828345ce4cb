"""The messages between the window and the training process, one class each.

Both ends import these, so a misspelt message is an error where it is
written, not a request the other end silently ignores. Snapshots
(:class:`~backprop_viz.session.training.Snapshot`) and update plans
(:class:`~backprop_viz.engine.update_plan.UpdatePlan`) travel as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


# -- to the training process ------------------------------------------------------------
@dataclass(frozen=True)
class Load:
    """Start a run from this project, carried on at ``steps``/``epoch``."""
    project: dict
    steps: int = 0
    epoch: int = 0


@dataclass(frozen=True)
class Train:
    """Train until stopped, diverged or done, sending snapshots."""


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Ack:
    """The window has drawn the last snapshot: the next may come."""


@dataclass(frozen=True)
class View:
    """What the window shows: snapshots compute the costly views (the decision boundary,
    the gradient histograms) only for these (names in session.training: BOUNDARY, DISTRIBUTIONS)."""
    visible: frozenset = frozenset()


@dataclass(frozen=True)
class Step:
    count: int = 1


@dataclass(frozen=True)
class Epoch:
    pass


@dataclass(frozen=True)
class Set:
    """Live settings for the next update (learning rate, clipping, L1/L2, data)."""
    changes: dict


@dataclass(frozen=True)
class AskState:
    pass


@dataclass(frozen=True)
class Peek:
    """The batch of the next (or the last) update."""
    which: str = "next"


@dataclass(frozen=True)
class Preview:
    """The next update as an UpdatePlan; with X and T, the update from those samples."""
    X: np.ndarray | None = None
    T: np.ndarray | None = None


@dataclass(frozen=True)
class Quit:
    pass


# -- from the training process ------------------------------------------------------------
@dataclass(frozen=True)
class Loaded:
    layers: int


@dataclass(frozen=True)
class State:
    network: dict
    steps: int
    epoch: int
    diverged: dict | None = None
    stopped: str | None = None


@dataclass(frozen=True)
class Batch:
    network: dict
    X: np.ndarray
    T: np.ndarray


@dataclass(frozen=True)
class Ended:
    reason: str          # "stopped", "paused", "diverged", "done", "early_stopping", "error"


@dataclass(frozen=True)
class Failure:
    text: str
    details: str = ""
