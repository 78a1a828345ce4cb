"""Gradient health: per-layer statistics and a diagnosis in words.

The thresholds (documented in README):
- diverged: a non-finite loss or gradient.
- exploding: a layer's weight-gradient norm above ``EXPLODING_NORM`` (1e3), or a
  layer whose update changes its weights by more than ``EXPLODING_UPDATE``
  (100 %) of their norm in one step.
- vanishing: the first layer's gradient norm below ``VANISHING_RATIO`` (1e-4)
  times the largest layer's, or more than ``SATURATED_SHARE`` (90 %) of a
  layer's sigmoid/tanh units saturated, or of its ReLU units dead, or every
  layer's gradient norm below ``STALLED_NORM`` (1e-5) while the loss is still
  above ``STALLED_LOSS`` (1e-3): learning has stalled.
- healthy: none of these.

The output layer of a cross-entropy network is not counted (its gradient is
computed from the logits and does not fade). A sigmoid unit is saturated where its output is below 0.02 or above 0.98
(its derivative under 0.02); a tanh unit where |output| > 0.97 (derivative
under 0.06). A ReLU unit is dead when it outputs 0 for every sample of the
batch. Shares are over all (sample, unit) pairs of the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .step_stats import StepStats, from_pass, l2_norm

EXPLODING_NORM = 1e3
STALLED_NORM = 1e-5
STALLED_LOSS = 1e-3
EXPLODING_UPDATE = 1.0
VANISHING_RATIO = 1e-4
SATURATED_SHARE = 0.9

HEALTHY, VANISHING, EXPLODING, DIVERGED = "healthy", "vanishing", "exploding", "diverged"


@dataclass
class LayerHealth:
    activation: str
    grad_norm: float
    weight_norm: float
    update_ratio: float
    saturated: float | None = None   # share of saturated sigmoid/tanh outputs
    dead: float | None = None        # share of ReLU units dead on the whole batch


@dataclass
class Health:
    state: str
    evidence: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    layers: list[LayerHealth] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return self.state if not self.evidence else f"{self.state}: {self.evidence[0]}"


def unit_statistics(activation: str, output: np.ndarray) -> tuple[float | None, float | None]:
    """(saturated share, dead share) of one layer's activation outputs."""
    if output is None or output.size == 0:
        return None, None
    if activation == "sigmoid":
        return float(np.mean((output < 0.02) | (output > 0.98))), None
    if activation == "tanh":
        return float(np.mean(np.abs(output) > 0.97)), None
    if activation == "relu":
        return None, float(np.mean(np.all(output <= 0, axis=0)))
    return None, None


def _stats(net, step) -> StepStats | None:
    """``step``: the last step as :class:`StepStats`, a graph (``Pass``) or None."""
    if step is None or isinstance(step, StepStats):
        return step
    return from_pass(net, step)


def layer_health(net, record: dict, step=None) -> list[LayerHealth]:
    stats = _stats(net, step)
    out = []
    for i, layer in enumerate(net.spec.layers):
        act = layer.activation.name
        sat = dead = None
        if stats is not None and i < len(stats.outputs):
            sat, dead = unit_statistics(act, stats.outputs[i])
        out.append(LayerHealth(act, record["grad_norms"][i], record["weight_norms"][i],
                               record["update_ratios"][i], sat, dead))
    return out


def time_gradient_norms(step) -> list[list[float]]:
    """For each recurrent layer, ‖∂E/∂h_t‖ for t = 1…T (empty list for other layers).

    ``step``: :class:`StepStats`, a graph (``Pass``) or None."""
    if step is None:
        return []
    if isinstance(step, StepStats):
        return step.time_grads
    out: list[list[float]] = []
    for nodes in step.layers:
        hidden = nodes.get("hidden")
        out.append([] if not hidden else [l2_norm(h.grad) if h.grad is not None else 0.0 for h in hidden])
    return out


THROUGH_TIME_RATIO = 1e-4       # ‖∂E/∂h_1‖ / ‖∂E/∂h_T‖ below this: vanishing through time
THROUGH_TIME_GROWTH = 1e2       # … above this: exploding through time


def diagnose_time(step) -> tuple[str | None, list[str]]:
    """Vanishing or exploding through time, from ‖∂E/∂h_t‖ of the recurrent layers."""
    for i, norms in enumerate(time_gradient_norms(step)):
        if len(norms) < 2:      # not a recurrent layer, or one time step
            continue
        first, last, big = norms[0], norms[-1], max(norms)
        if not all(math.isfinite(v) for v in norms) or big > EXPLODING_NORM:
            return EXPLODING, [f"‖∂E/∂h_t‖ in layer {i + 1} reaches {big:.3g} (exploding through time)"]
        if last > 0 and first / last > THROUGH_TIME_GROWTH:
            return EXPLODING, [f"‖∂E/∂h_1‖ is {first / last:.0e} × ‖∂E/∂h_{len(norms)}‖ in layer {i + 1} "
                               "(exploding through time)"]
        if last > 0 and first / last < THROUGH_TIME_RATIO:
            return VANISHING, [f"‖∂E/∂h_1‖ is {first / last:.0e} × ‖∂E/∂h_{len(norms)}‖ in layer {i + 1} "
                               "(vanishing through time)"]
    return None, []


def diagnose(net, record: dict, step=None) -> Health:
    """The diagnosis of a step from its record and, when given, the step itself
    (:class:`StepStats` or its graph) for saturation, dead units and the gradient through time."""
    step = _stats(net, step)
    health = _diagnose_layers(net, record, step)
    if health.state != DIVERGED and getattr(net, "recurrent", False):
        state, evidence = diagnose_time(step)
        if state is not None:
            tips = (["clip the gradient norm (clip_grad_norm)", "use a shorter dependency or truncated BPTT",
                     "use smaller recurrent weights"] if state == EXPLODING else
                    ["use a shorter dependency (fewer time steps)", "use relu or a larger W_h init",
                     "clip and raise the learning rate"])
            combined = EXPLODING if EXPLODING in (state, health.state) else VANISHING
            suggestions = list(dict.fromkeys(tips + health.suggestions))
            return Health(combined, evidence + health.evidence, suggestions, health.layers)
    return health


def _diagnose_layers(net, record: dict, step=None) -> Health:
    layers = layer_health(net, record, step)
    if record.get("nonfinite"):
        nf = record["nonfinite"]
        where = f"layer {nf['layer'] + 1} " if nf.get("layer") is not None else ""
        return Health(DIVERGED, [f"the {nf['phase']} pass went non-finite at {where}node {nf['node']} "
                                 f"({nf['op']}) in step {nf['step']}"],
                      ["lower the learning rate", "clip the gradient norm (clip_grad_norm)",
                       "use smaller initial weights"], layers)
    norms = [lh.grad_norm for lh in layers]
    evidence, suggestions = [], []
    state = HEALTHY
    big = max(norms) if norms else 0.0
    for i, lh in enumerate(layers):
        if not math.isfinite(lh.grad_norm) or lh.grad_norm > EXPLODING_NORM:
            evidence.append(f"layer {i + 1} gradient norm is {lh.grad_norm:.3g} (above {EXPLODING_NORM:g})")
            state = EXPLODING
            break
    for i, lh in enumerate(layers):
        if lh.update_ratio > EXPLODING_UPDATE:
            size = f"{lh.update_ratio:.3g}×" if lh.update_ratio >= 10 else f"{lh.update_ratio:.0%} of"
            evidence.append(f"one update changes layer {i + 1}'s weights by {size} their size")
            state = EXPLODING
            break
    if state == EXPLODING:
        suggestions = ["lower the learning rate", "clip the gradient norm (clip_grad_norm)",
                       "use smaller initial weights (xavier or he init)", "add batch norm"]
        return Health(state, evidence, suggestions, layers)
    if len(norms) > 1 and big > 0:
        first = norms[0]
        ratio = first / big
        if ratio < VANISHING_RATIO:
            top = norms.index(big)
            evidence.append(f"layer 1 gradient is {ratio:.0e} × layer {top + 1}'s")
            state = VANISHING
    loss = record.get("data_loss", record.get("loss", 0.0))
    if norms and big < STALLED_NORM and loss > STALLED_LOSS:
        evidence.append(f"every layer's gradient norm is below {STALLED_NORM:g} while the loss is "
                        f"{loss:.3g}: learning has stalled")
        state = VANISHING
    from .ops import LOGIT_LOSSES
    logits_out = net.spec.loss in LOGIT_LOSSES
    for i, lh in enumerate(layers):
        # A confident sigmoid/softmax output under (binary) cross-entropy is not a
        # problem: that loss is computed from the logits and its gradient does not fade.
        if logits_out and i == len(layers) - 1:
            continue
        if lh.saturated is not None and lh.saturated > SATURATED_SHARE:
            evidence.append(f"{lh.saturated:.0%} of {lh.activation} units in layer {i + 1} saturated")
            state = VANISHING
        if lh.dead is not None and lh.dead > SATURATED_SHARE:
            evidence.append(f"{lh.dead:.0%} of ReLU units in layer {i + 1} dead")
            state = VANISHING
    if state == VANISHING:
        acts = {lh.activation for lh in layers[:-1]}
        if acts & {"sigmoid", "tanh"}:
            suggestions.append("use relu with he init in the hidden layers")
        if any(lh.dead and lh.dead > SATURATED_SHARE for lh in layers):
            suggestions += ["use leaky_relu", "lower the learning rate"]
        suggestions += ["add residual connections", "add batch norm"]
    return Health(state, evidence, suggestions, layers)
