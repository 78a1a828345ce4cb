"""Ops of the computational graph, each with its local derivative rule.

A rule maps this node's gradient ``g`` to one contribution per input (the
chain rule: upstream gradient times local derivative). ``local`` gives the
local derivative itself for display in a trace: an array of the input's
shape where the op is elementwise, otherwise the operand that multiplies
the upstream gradient (for ``A @ B``: ``∂/∂A`` is ``Bᵀ``).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .activations import Activation, log_softmax, sigmoid, softmax
from .graph import Node, unbroadcast

# -- linear algebra ---------------------------------------------------------


def _matmul_rule(node, g):
    a, b = node.inputs
    return (g @ b.value.T if a.needs_grad else None,
            a.value.T @ g if b.needs_grad else None)


def _matmul_local(node, i):
    a, b = node.inputs
    return b.value.T if i == 0 else a.value.T


def matmul(a: Node, b: Node, **kw) -> Node:
    return Node("matmul", [a, b], a.value @ b.value, _matmul_rule, _matmul_local, **kw)


def _add_rule(node, g):
    a, b = node.inputs
    return (unbroadcast(g, a.value.shape) if a.needs_grad else None,
            unbroadcast(g, b.value.shape) if b.needs_grad else None)


def _add_local(node, i):
    return np.ones_like(node.inputs[i].value)


def add(a: Node, b: Node, **kw) -> Node:
    return Node("add", [a, b], a.value + b.value, _add_rule, _add_local, **kw)


def _mul_rule(node, g):
    a, b = node.inputs
    return (unbroadcast(g * b.value, a.value.shape) if a.needs_grad else None,
            unbroadcast(g * a.value, b.value.shape) if b.needs_grad else None)


def _mul_local(node, i):
    return node.inputs[1 - i].value


def mul(a: Node, b: Node, **kw) -> Node:
    return Node("mul", [a, b], a.value * b.value, _mul_rule, _mul_local, **kw)


def _sum_rule(node, g):
    return tuple(g for _ in node.inputs)


def _sum_local(node, i):
    return np.ones_like(node.inputs[i].value)


def add_scalars(nodes: list[Node], **kw) -> Node:
    """Sum of scalar nodes (data loss + penalties): one node, many inputs."""
    value = nodes[0].value
    for n in nodes[1:]:
        value = value + n.value
    return Node("sum", list(nodes), value, _sum_rule, _sum_local, **kw)


# -- activations and dropout --------------------------------------------------


def _act_rule(node, g):
    return (node.attrs.vjp(node.inputs[0].value, node.value, g),)


def _act_local(node, i):
    z = node.inputs[0].value
    return node.attrs.derivative(z, node.value)


def activation(x: Node, act: Activation, **kw) -> Node:
    return Node(act.name, [x], act.forward(x.value), _act_rule, _act_local, attrs=act, **kw)


def _dropout_rule(node, g):
    return (g * node.attrs,)


def _dropout_local(node, i):
    return node.attrs


def dropout(x: Node, p: float, rng: np.random.Generator, **kw) -> Node:
    # Inverted dropout: kept units are scaled by 1/(1-p) during training so
    # prediction needs no rescaling.
    scale = np.asarray(1.0 / (1.0 - p), dtype=x.value.dtype)
    mask = (rng.random(x.value.shape) >= p).astype(x.value.dtype) * scale
    return Node("dropout", [x], x.value * mask, _dropout_rule, _dropout_local, attrs=mask, **kw)


# -- normalisation ------------------------------------------------------------

EPS = 1e-5


def _norm_rule(node, g):
    x, gamma, beta = node.inputs
    xhat, inv_std, axis = node.attrs
    dgamma = (g * xhat).sum(axis=0) if gamma.needs_grad else None
    dbeta = g.sum(axis=0) if beta.needs_grad else None
    dx = None
    if x.needs_grad:
        dxhat = g * gamma.value
        m = xhat.shape[axis]
        dx = inv_std / m * (m * dxhat - dxhat.sum(axis=axis, keepdims=True)
                            - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True))
    return dx, dgamma, dbeta


def _norm_local(node, i):
    xhat, inv_std, axis = node.attrs
    # ∂y/∂γ = x̂, ∂y/∂β = 1; for x the diagonal of the Jacobian γ/σ·(1−1/m−x̂²/m).
    if i == 1:
        return xhat
    if i == 2:
        return np.ones_like(xhat)
    m = xhat.shape[axis]
    return node.inputs[1].value * inv_std * (1 - 1 / m - xhat * xhat / m)


def batch_norm(x: Node, gamma: Node, beta: Node, *, training: bool, running=None,
               momentum: float = 0.1, **kw) -> Node:
    """Normalise each unit over the batch (prediction: running statistics)."""
    z = x.value
    if training:
        mean = z.mean(axis=0)
        var = z.var(axis=0)
        if running is not None:
            n = z.shape[0]
            unbiased = var * n / (n - 1) if n > 1 else var
            running["mean"] *= 1 - momentum
            running["mean"] += momentum * mean
            running["var"] *= 1 - momentum
            running["var"] += momentum * unbiased
    else:
        mean, var = running["mean"], running["var"]
    inv_std = 1.0 / np.sqrt(var + EPS)
    xhat = (z - mean) * inv_std
    out = xhat * gamma.value + beta.value
    if training:
        return Node("batch_norm", [x, gamma, beta], out, _norm_rule, _norm_local,
                    attrs=(xhat, inv_std, 0), **kw)
    # Running statistics are constants: the map is affine, handled elementwise.
    return Node("batch_norm", [x, gamma, beta], out, _affine_norm_rule, _affine_norm_local,
                attrs=(xhat, inv_std, 0), **kw)


def _affine_norm_rule(node, g):
    x, gamma, beta = node.inputs
    xhat, inv_std, _ = node.attrs
    return (g * gamma.value * inv_std if x.needs_grad else None,
            (g * xhat).sum(axis=0) if gamma.needs_grad else None,
            g.sum(axis=0) if beta.needs_grad else None)


def _affine_norm_local(node, i):
    xhat, inv_std, _ = node.attrs
    if i == 0:
        return np.broadcast_to(node.inputs[1].value * inv_std, xhat.shape)
    return xhat if i == 1 else np.ones_like(xhat)


def layer_norm(x: Node, gamma: Node, beta: Node, **kw) -> Node:
    """Normalise each sample over its units."""
    z = x.value
    mean = z.mean(axis=1, keepdims=True)
    var = z.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + EPS)
    xhat = (z - mean) * inv_std
    out = xhat * gamma.value + beta.value
    return Node("layer_norm", [x, gamma, beta], out, _norm_rule, _norm_local,
                attrs=(xhat, inv_std, 1), **kw)


# -- penalties ----------------------------------------------------------------


def _l1_rule(node, g):
    lam = node.attrs
    return tuple(g * lam * np.sign(w.value) if w.needs_grad else None for w in node.inputs)


def _l1_local(node, i):
    return node.attrs * np.sign(node.inputs[i].value)


def l1_penalty(weights: list[Node], lam: float, **kw) -> Node:
    total = sum(float(np.abs(w.value).sum()) for w in weights)
    value = np.asarray(lam * total, dtype=weights[0].value.dtype)
    return Node("l1", list(weights), value, _l1_rule, _l1_local, attrs=lam, **kw)


def _l2_rule(node, g):
    lam = node.attrs
    return tuple(g * 2 * lam * w.value if w.needs_grad else None for w in node.inputs)


def _l2_local(node, i):
    return 2 * node.attrs * node.inputs[i].value


def l2_penalty(weights: list[Node], lam: float, **kw) -> Node:
    total = sum(float((w.value * w.value).sum()) for w in weights)
    value = np.asarray(lam * total, dtype=weights[0].value.dtype)
    return Node("l2", list(weights), value, _l2_rule, _l2_local, attrs=lam, **kw)


# -- losses -------------------------------------------------------------------
# Each loss node has inputs [prediction-or-logits, targets]; the targets are a
# constant leaf. Its local derivative is ∂E/∂input, its value a 0-d array.


def _loss_rule(node, g):
    return (g * node.attrs, None)


def _loss_local(node, i):
    return node.attrs if i == 0 else None


def _loss_node(op, y, t, value, dy, **kw):
    value = np.asarray(value, dtype=y.value.dtype)
    return Node(op, [y, t], value, _loss_rule, _loss_local, attrs=dy, **kw)


def half_squared_error(y: Node, t: Node, **kw) -> Node:
    n = y.value.shape[0]
    d = y.value - t.value
    return _loss_node("half_squared_error", y, t, 0.5 * (d * d).sum() / n, d / n, **kw)


def squared_error(y: Node, t: Node, **kw) -> Node:
    n = y.value.shape[0]
    d = y.value - t.value
    return _loss_node("squared_error", y, t, (d * d).sum() / n, 2 * d / n, **kw)


def mse(y: Node, t: Node, **kw) -> Node:
    d = y.value - t.value
    return _loss_node("mse", y, t, (d * d).mean(), 2 * d / d.size, **kw)


def cross_entropy(z: Node, t: Node, **kw) -> Node:
    n = z.value.shape[0]
    ls = log_softmax(z.value)
    value = -(t.value * ls).sum() / n
    return _loss_node("cross_entropy", z, t, value, (softmax(z.value) - t.value) / n, **kw)


def binary_cross_entropy(z: Node, t: Node, **kw) -> Node:
    x, tv = z.value, t.value
    # max(x,0) − x·t + log(1+e^−|x|): the stable form of −t·log σ(x) − (1−t)·log(1−σ(x)).
    value = (np.maximum(x, 0) - x * tv + np.log1p(np.exp(-np.abs(x)))).mean()
    return _loss_node("binary_cross_entropy", z, t, value, (sigmoid(x) - tv) / x.size, **kw)


def hinge(y: Node, t: Node, **kw) -> Node:
    margin = 1 - t.value * y.value
    active = margin > 0
    value = np.where(active, margin, 0).mean()
    return _loss_node("hinge", y, t, value, np.where(active, -t.value, 0) / margin.size, **kw)


LOSSES: dict[str, Callable[..., Node]] = {
    "half_squared_error": half_squared_error,
    "squared_error": squared_error,
    "mse": mse,
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "hinge": hinge,
}
# Losses computed from the output layer's pre-activation (stable log-sum-exp).
LOGIT_LOSSES = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}
