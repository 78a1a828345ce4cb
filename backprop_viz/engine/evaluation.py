"""Loss and accuracy in prediction mode without building a graph.

Validation during live training only needs numbers, not nodes: one plain
forward pass gives the outputs (and the output layer's pre-activation, which
the logit losses read), and the same outputs serve the loss and the accuracy.
The loss values come from the engine's own loss functions, so they are the
numbers :meth:`Network.loss` gives, to the last bit.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .graph import CONST, leaf

CLASSIFICATION = ("cross_entropy", "binary_cross_entropy", "hinge")


def forward(net, X):
    """(outputs, output-layer pre-activations) in prediction mode, as arrays.

    For a recurrent network both are (samples, steps, units) when every step
    is read out, else (samples, units)."""
    h, z = X, None
    for layer, running in zip(net.layers, net.running):
        h, z = layer.forward(h, net.params, running)
    return h, z


def _penalties(net, total):
    spec = net.spec
    if not (spec.l1 or spec.l2):
        return total
    weights = [leaf(CONST, net.params[n]) for n in net.penalised_names]
    terms = [total]
    if spec.l1:
        terms.append(float(ops.l1_penalty(weights, spec.l1).value))
    if spec.l2:
        terms.append(float(ops.l2_penalty(weights, spec.l2).value))
    return _in_order(terms)


def _in_order(values) -> float:
    # Left to right, as the graph's sum node adds: the same bits as Network.loss.
    total = values[0]
    for v in values[1:]:
        total = total + v
    return float(total)


def _data_loss(net, Y, Z, T) -> float:
    spec = net.spec
    fn = ops.LOSSES[spec.loss]
    pred = Z if spec.loss in ops.LOGIT_LOSSES else Y
    if net.recurrent and pred.ndim == 3:
        steps = [float(fn(leaf(CONST, pred[:, t, :]), leaf(CONST, T[:, t, :])).value) for t in range(pred.shape[1])]
        total = _in_order(steps)
        if spec.time_reduction == "mean" and len(steps) > 1:
            total = total * (1.0 / len(steps))
        return total
    return float(fn(leaf(CONST, pred), leaf(CONST, T)).value)


def accuracy_of(net, Y, T) -> float | None:
    """Share of samples classified right from outputs ``Y`` (None for regression losses)."""
    loss = net.spec.loss
    if loss not in CLASSIFICATION or net.sequence_output:
        return None
    if loss == "cross_entropy":
        return float(np.mean(Y.argmax(axis=1) == T.argmax(axis=1)))
    if loss == "hinge":
        return float(np.mean(np.sign(Y) == np.sign(T)))
    return float(np.mean((Y > 0.5) == (T > 0.5)))


def evaluate(net, X, T, *, with_loss: bool = True) -> tuple[float | None, float | None]:
    """(loss with penalties, accuracy or None) of the network on (X, T) in prediction mode."""
    with np.errstate(all="ignore"):
        Y, Z = forward(net, X)
        loss = _penalties(net, _data_loss(net, Y, Z, T)) if with_loss else None
        return loss, accuracy_of(net, Y, T)
