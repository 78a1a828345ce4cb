"""A compiled training step: the graph's arithmetic replayed into fixed buffers.

For a tiny network a training step is mostly Python overhead: creating
nodes, dicts and names, and allocating an array per operation. A tape is
made once for a network's structure and a batch shape; each step then runs
the same NumPy calls as the graph's forward values and backward rules, in
the same order of floating-point operations, writing into preallocated
buffers, with every parameter's gradient written straight into one flat
array laid out like :attr:`Network.flat`. So a step gives the graph path's
numbers (tests hold them equal), only faster.

What the tapes cover: dense layers with every activation, bias or not,
dropout (the same random stream, drawn the same way) and residual
connections, every loss, L1 and L2; a recurrent layer (tanh, sigmoid,
relu; sequence or last read-out; truncated BPTT) with dense layers after
it. What they do not: batch and layer normalisation, and stacked recurrent
layers. Those train on the graph path (:func:`compile_step` returns None),
which is correct for everything.

The graph stays the one source of truth for what a learner sees: the
node-by-node trace and the last step's pass are built from it on demand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import LOGIT_LOSSES

def supported(net) -> bool:
    """Whether a tape can train this network (else: the graph path)."""
    if net.recurrent:
        # One recurrent layer and dense read-outs; stacked recurrent layers
        # (rare, and slow anyway) stay on the graph.
        return len(net.layers) > 1 and not any(layer.takes_sequences for layer in net.layers[1:])
    # Normalisation couples a unit's samples in the backward pass and batch
    # norm moves running statistics; kept on the graph path.
    return not any(layer.norm for layer in net.spec.layers)


def signature(net, X) -> tuple:
    """What a tape depends on beyond the parameter values, cheap enough to check every step.

    A network's layers are fixed for its life: an edit to the structure
    makes a new Network (a new flat array, which the trainer checks too).
    The loss, penalties and time reduction are settings that may change in place.
    """
    s = net.spec
    return (X.shape, s.loss, s.l1, s.l2, s.time_reduction, id(s.layers), len(s.layers))


def compile_step(net, X, grad=None):
    """A tape for this network and batch shape, or None (graph path).

    ``grad``: where to write the gradient (an array like ``net.flat``), so
    the caller can read it in place.
    """
    if not supported(net):
        return None
    return RecurrentTape(net, X, grad) if net.recurrent else DenseTape(net, X, grad)


def activate_into(name: str, act, z: np.ndarray, out: np.ndarray) -> None:
    """``out = act(z)`` without temporaries for the common activations; the others by their rule."""
    if name == "tanh":
        np.tanh(z, out=out)
    elif name == "sigmoid":
        # exp(-log(1+e^-z)), as activations.sigmoid computes it.
        np.negative(z, out=out)
        np.logaddexp(0, out, out=out)
        np.negative(out, out=out)
        np.exp(out, out=out)
    elif name == "relu":
        np.maximum(z, 0, out=out)
    else:
        out[...] = act.forward(z)

class _Layer:
    """One dense layer's parameter views, gradient views and buffers on a tape."""

    W: Any
    b: Any
    gW: Any
    gb: Any
    act: Any
    name: Any
    z: Any
    a: Any
    out: Any
    mask: Any
    p: Any
    scale: Any
    residual: Any
    t1: Any
    t2: Any
    gz: Any
    ga: Any
    gin: Any
    boolbuf: Any


class _Tape:
    """What the dense and recurrent tapes share: activations, their derivatives, penalties."""

    dtype: Any
    l1: float
    l2: float
    one: np.ndarray
    penalised: list

    def _activate(self, L) -> None:
        if L.name != "identity":
            activate_into(L.name, L.act, L.z, L.a)

    def _act_backward(self, L, g) -> np.ndarray:
        """∂E/∂z from ∂E/∂a, the derivative read from the stored output where it can be."""
        n = L.name
        if n == "identity":
            return g            # g · 1 is g, bit for bit
        t, gz = L.t1, L.gz
        if n == "tanh":
            np.multiply(L.a, L.a, out=t)
            np.subtract(1, t, out=t)
            np.multiply(g, t, out=gz)
        elif n == "sigmoid":
            np.subtract(1, L.a, out=t)
            np.multiply(L.a, t, out=t)
            np.multiply(g, t, out=gz)
        elif n == "relu":
            np.greater(L.z, 0, out=L.boolbuf)
            np.multiply(g, L.boolbuf, out=gz)
        else:
            gz[...] = L.act.vjp(L.z, L.a, g)
        return gz

    def _penalties(self, value):
        # The graph sums data loss + l1 + l2 in that order and sends the
        # penalty gradients to each weight before its matmul's contribution.
        weights = [w for w, _ in self.penalised]
        dtype = self.dtype
        if self.l1:
            total = sum(float(np.abs(w).sum()) for w in weights)
            value = value + np.asarray(self.l1 * total, dtype=dtype)
        if self.l2:
            total = sum(float((w * w).sum()) for w in weights)
            value = value + np.asarray(self.l2 * total, dtype=dtype)
        return value

    def _penalty_grad(self, w) -> Any:
        g = None
        if self.l2:
            g = self.one * 2 * self.l2 * w
        if self.l1:
            c = self.one * self.l1 * np.sign(w)
            g = c if g is None else g + c
        return g


class DenseTape(_Tape):
    """Forward and backward of a dense network for one batch shape."""

    def __init__(self, net, X, grad=None):
        self.net = net
        self.flat = net.flat                  # the tape's views are into this array
        self.sig = signature(net, X)
        dtype = net.dtype
        n = X.shape[0]
        self.n = n
        # Every parameter's gradient, laid out like flat.
        self.grad = np.zeros_like(net.flat) if grad is None else grad
        views = {}
        offset = 0
        for name, p in net.params.items():
            views[name] = self.grad[offset:offset + p.size].reshape(p.shape)
            offset += p.size
        self.grad_views = views
        spec = net.spec
        self.loss_name = spec.loss
        self.logits = spec.loss in LOGIT_LOSSES
        self.layers: list[_Layer] = []
        for i, la in enumerate(spec.layers):
            p = f"layers.{i}"
            L = _Layer()
            L.name = la.activation.name
            L.act = la.activation
            L.W = net.params[f"{p}.weight"]
            L.gW = views[f"{p}.weight"]
            L.b = net.params.get(f"{p}.bias") if la.use_bias else None
            L.gb = views.get(f"{p}.bias") if la.use_bias else None
            shape = (n, la.units)
            L.z = np.empty(shape, dtype)
            L.a = L.z if L.name == "identity" else np.empty(shape, dtype)
            L.p = la.dropout
            L.mask = None
            L.scale = np.asarray(1.0 / (1.0 - la.dropout), dtype=dtype) if la.dropout else None
            L.residual = la.residual
            L.out = np.empty(shape, dtype) if (la.dropout or la.residual) else L.a
            L.t1 = np.empty(shape, dtype)
            L.t2 = np.empty(shape, dtype)
            L.gz = np.empty(shape, dtype)
            L.ga = np.empty(shape, dtype)
            L.gin = np.empty((n, net.sizes[i]), dtype) if i > 0 else None
            L.boolbuf = np.empty(shape, bool)
            self.layers.append(L)
        k = spec.layers[-1].units
        self.d = np.empty((n, k), dtype)
        self.lt = np.empty((n, k), dtype)
        self.one = np.ones((), dtype)         # the seed gradient of the loss
        self.l1, self.l2 = spec.l1, spec.l2
        self.penalised = [(net.params[name], views[name]) for name in net.penalised_names]
        self.dtype = dtype
        self.data_loss = 0.0

    # -- one step ---------------------------------------------------------------
    def run(self, X, T, rng) -> float:
        """Loss of the batch (penalties included); gradients in :attr:`grad`."""
        x = X
        layers = self.layers
        for L in layers:
            np.matmul(x, L.W, out=L.z)
            if L.b is not None:
                np.add(L.z, L.b, out=L.z)
            self._activate(L)
            h = L.a
            if L.p:
                # The graph's inverted dropout, drawn from the same stream the same way.
                L.mask = (rng.random(h.shape) >= L.p).astype(self.dtype) * L.scale
                np.multiply(h, L.mask, out=L.out)
                h = L.out
            if L.residual:
                np.add(h, x, out=L.out)
                h = L.out
            x = h
        last = layers[-1]
        g = self._loss(last.z if self.logits else x, T)
        value = self.data_loss
        if self.l1 or self.l2:
            value = self._penalties(value)
        self._backward(X, g)
        return float(value)

    # -- loss ---------------------------------------------------------------------
    def _loss(self, y, T) -> np.ndarray:
        """Sets :attr:`data_loss` (0-d) and returns ∂E/∂y (in a buffer)."""
        terms, kind = loss_parts(self.loss_name, y, T, self.d, self.lt)
        n, size = y.shape[0], y.size
        value = loss_value(kind, np.add.reduce(terms, axis=None), n, size)
        self.d /= n if kind in ("ce", "half", "n") else size
        self.data_loss = np.asarray(value, dtype=self.dtype)
        return self.d

    # -- backward -------------------------------------------------------------------
    def _backward(self, X, g) -> None:
        layers = self.layers
        penalised = bool(self.l1 or self.l2)
        last = len(layers) - 1
        for i in range(last, -1, -1):
            L = layers[i]
            if i == last and self.logits:
                gz = g                      # the loss was taken on this layer's logits
            else:
                ga = g
                if L.p:
                    np.multiply(g, L.mask, out=L.ga)
                    ga = L.ga
                gz = self._act_backward(L, ga)
            if L.gb is not None:
                np.add.reduce(gz, axis=0, out=L.gb)
            x = X if i == 0 else layers[i - 1].out
            if penalised:
                pen = self._penalty_grad(L.W)
                np.matmul(x.T, gz, out=L.gW)
                np.add(pen, L.gW, out=L.gW)
            else:
                np.matmul(x.T, gz, out=L.gW)
            if i == 0:
                break
            gin = L.gin
            np.matmul(gz, L.W.T, out=gin)
            if L.residual:
                # The residual branch's gradient reaches the input first, then the matmul's.
                np.add(g, gin, out=gin)
            g = gin


def loss_parts(name, y, T, d, t):
    """The loss's elementwise terms and, in ``d``, its gradient before the division by n or size.

    The arithmetic of the matching loss in ops, fused where the output
    layer's activation and the loss share work; :func:`loss_value` turns
    the sum of the terms into the loss. ``t`` is scratch of y's shape.
    """
    if name == "cross_entropy":
        # log_softmax and softmax share z − max and the exponentials.
        m = np.maximum.reduce(y, axis=-1, keepdims=True)
        np.subtract(y, m, out=d)
        np.exp(d, out=t)
        s = np.add.reduce(t, axis=-1, keepdims=True)
        terms = T * (d - np.log(s))
        np.divide(t, s, out=d)
        d -= T
        return terms, "ce"
    if name == "binary_cross_entropy":
        np.abs(y, out=t)
        np.negative(t, out=t)
        np.exp(t, out=t)
        np.log1p(t, out=t)
        terms = np.maximum(y, 0) - y * T + t
        np.negative(y, out=d)
        np.logaddexp(0, d, out=d)
        np.negative(d, out=d)
        np.exp(d, out=d)
        d -= T
        return terms, "size"
    if name == "hinge":
        margin = 1 - T * y
        active = margin > 0
        d[...] = np.where(active, -T, 0)
        return np.where(active, margin, 0), "size"
    np.subtract(y, T, out=d)
    np.multiply(d, d, out=t)
    if name == "half_squared_error":
        return t, "half"
    np.multiply(2, d, out=d)
    if name == "mse":
        return t, "size"
    if name == "squared_error":
        return t, "n"
    raise AssertionError(name)  # pragma: no cover - parse_spec admits only the losses above


def loss_value(kind, total, n, size):
    if kind == "ce":
        return -total / n
    if kind == "half":
        return 0.5 * total / n
    return total / (n if kind == "n" else size)


class RecurrentTape(_Tape):
    """A recurrent layer followed by dense layers, unrolled over one sequence length.

    Time-major buffers, so each step's slice is contiguous: one matmul makes
    every step's input projection, one every step's read-out; only the
    recurrence itself (forward, and the backward pass through time) loops.
    Sums over time come out of one matmul instead of a step-by-step
    accumulation, so results equal the graph path's to round-off (~1e-16),
    not bit for bit.
    """

    def __init__(self, net, X, grad=None):
        self.net = net
        self.flat = net.flat
        self.sig = signature(net, X)
        dtype = self.dtype = net.dtype
        n, steps, nin = X.shape
        self.n, self.steps = n, steps
        spec = net.spec
        self.grad = np.zeros_like(net.flat) if grad is None else grad
        views, offset = {}, 0
        for name, p in net.params.items():
            views[name] = self.grad[offset:offset + p.size].reshape(p.shape)
            offset += p.size
        self.grad_views = views
        rec = spec.layers[0]
        H = self.units = rec.units
        self.act = rec.activation
        self.bptt = rec.bptt
        self.sequence = rec.readout == "sequence"
        self.Wx, self.Wh = net.params["layers.0.weight_input"], net.params["layers.0.weight_hidden"]
        self.gWx, self.gWh = views["layers.0.weight_input"], views["layers.0.weight_hidden"]
        self.b = net.params["layers.0.bias"] if rec.use_bias else None
        self.gb = views["layers.0.bias"] if rec.use_bias else None
        self.Xt = np.empty((steps, n, nin), dtype)
        self.P = np.empty((steps, n, H), dtype)          # x_t W_x for every t
        self.Hs = np.zeros((steps + 1, n, H), dtype)     # h_0 = 0, h_1 … h_T
        self.Z = np.empty((steps, n, H), dtype)
        self.tmp = np.empty((n, H), dtype)
        self.dZ = np.empty((steps, n, H), dtype)
        self.deriv = np.empty((n, H), dtype)
        # ∂E/∂h_t for every t, kept (not one rolling buffer) so the health diagnosis can read
        # the gradient's size through time without rebuilding the step's graph.
        self.carried = np.empty((steps, n, H), dtype)
        rows = steps * n if self.sequence else n
        self.dense = []
        for i, la in enumerate(spec.layers[1:], start=1):
            p = f"layers.{i}"
            L = _Layer()
            L.name, L.act = la.activation.name, la.activation
            L.W, L.gW = net.params[f"{p}.weight"], views[f"{p}.weight"]
            L.b = net.params[f"{p}.bias"] if la.use_bias else None
            L.gb = views[f"{p}.bias"] if la.use_bias else None
            L.z = np.empty((rows, la.units), dtype)
            L.a = L.z if L.name == "identity" else np.empty((rows, la.units), dtype)
            L.out = L.a
            L.p = 0
            L.residual = False
            L.t1 = np.empty((rows, la.units), dtype)
            L.gz = np.empty((rows, la.units), dtype)
            L.gin = np.empty((rows, net.sizes[i]), dtype)
            L.boolbuf = np.empty((rows, la.units), bool)
            self.dense.append(L)
        k = spec.layers[-1].units
        self.loss_name = spec.loss
        self.logits = spec.loss in LOGIT_LOSSES
        self.mean_over_time = spec.time_reduction == "mean"
        self.Tt = np.empty((steps, n, k), dtype) if self.sequence else None
        self.d = np.empty((rows, k), dtype)
        self.lt = np.empty((rows, k), dtype)
        self.one = np.ones((), dtype)
        self.l1, self.l2 = spec.l1, spec.l2
        self.penalised = [(net.params[name], views[name]) for name in net.penalised_names]
        self.data_loss = 0.0

    def run(self, X, T, rng) -> float:  # noqa: ARG002 - no dropout in recurrent networks
        steps, n, H = self.steps, self.n, self.units
        np.copyto(self.Xt, X.transpose(1, 0, 2))
        Xf = self.Xt.reshape(steps * n, -1)
        np.matmul(Xf, self.Wx, out=self.P.reshape(steps * n, H))
        Hs, P, Z, tmp, Wh, b = self.Hs, self.P, self.Z, self.tmp, self.Wh, self.b
        for t in range(steps):
            # (x_t W_x + h_{t−1} W_h) + b, the graph's order of additions.
            np.matmul(Hs[t], Wh, out=tmp)
            np.add(P[t], tmp, out=Z[t])
            if b is not None:
                np.add(Z[t], b, out=Z[t])
            activate_into(self.act.name, self.act, Z[t], Hs[t + 1])
        x = Hs[1:].reshape(steps * n, H) if self.sequence else Hs[steps]
        for L in self.dense:
            np.matmul(x, L.W, out=L.z)
            if L.b is not None:
                np.add(L.z, L.b, out=L.z)
            self._activate(L)
            x = L.a
        y = self.dense[-1].z if self.logits else x
        g = self._loss(y, T)
        value = self.data_loss
        if self.l1 or self.l2:
            value = self._penalties(value)
        self._backward(Xf, g)
        return float(value)

    def _loss(self, y, T):
        if not self.sequence:
            terms, kind = loss_parts(self.loss_name, y, T, self.d, self.lt)
            n, size = y.shape[0], y.size
            value = loss_value(kind, np.add.reduce(terms, axis=None), n, size)
            self.d /= n if kind in ("ce", "half", "n") else size
            self.data_loss = np.asarray(value, dtype=self.dtype)
            return self.d
        steps, n = self.steps, self.n
        np.copyto(self.Tt, T.transpose(1, 0, 2))
        k = self.Tt.shape[2]
        terms, kind = loss_parts(self.loss_name, y, self.Tt.reshape(steps * n, k), self.d, self.lt)
        per_step = loss_value(kind, np.add.reduce(terms.reshape(steps, n * k), axis=1), n, n * k)
        per_step = per_step.astype(self.dtype, copy=False)
        self.d /= n if kind in ("ce", "half", "n") else n * k
        total = np.add.accumulate(per_step)[-1]     # step by step, as the graph adds them
        if self.mean_over_time and steps > 1:
            scale = np.asarray(1.0 / steps, dtype=self.dtype)
            total = total * scale
            self.d *= scale
        self.data_loss = np.asarray(total, dtype=self.dtype)
        return self.d

    def _backward(self, Xf, g) -> None:
        steps, n, H = self.steps, self.n, self.units
        penalised = bool(self.l1 or self.l2)
        dense = self.dense
        last = len(dense) - 1
        for i in range(last, -1, -1):
            L = dense[i]
            gz = g if (i == last and self.logits) else self._act_backward(L, g)
            if L.gb is not None:
                np.add.reduce(gz, axis=0, out=L.gb)
            x = dense[i - 1].a if i > 0 else (self.Hs[1:].reshape(steps * n, H) if self.sequence
                                              else self.Hs[steps])
            np.matmul(x.T, gz, out=L.gW)
            if penalised:
                np.add(self._penalty_grad(L.W), L.gW, out=L.gW)
            np.matmul(gz, L.W.T, out=L.gin)
            g = L.gin
        # Backpropagation through time: ∂E/∂h_t from the read-out plus from step t+1.
        dZ, Hs, carried, deriv, WhT = self.dZ, self.Hs, self.carried, self.deriv, self.Wh.T
        from_out = g.reshape(steps, n, H) if self.sequence else None
        act = self.act.name
        for t in range(steps - 1, -1, -1):
            h = Hs[t + 1]
            carry = carried[t]
            if t == steps - 1:
                if from_out is not None:
                    np.copyto(carry, from_out[t])
                else:
                    np.copyto(carry, g)
            elif from_out is not None:
                np.add(from_out[t], carry, out=carry)
            if act == "tanh":
                np.multiply(h, h, out=deriv)
                np.subtract(1, deriv, out=deriv)
                np.multiply(carry, deriv, out=dZ[t])
            elif act == "sigmoid":
                np.subtract(1, h, out=deriv)
                np.multiply(h, deriv, out=deriv)
                np.multiply(carry, deriv, out=dZ[t])
            else:
                np.multiply(carry, self.Z[t] > 0, out=dZ[t])
            if t:
                if self.bptt and t % self.bptt == 0:
                    carried[t - 1] = 0      # truncated: the carried state was a constant here
                else:
                    np.matmul(dZ[t], WhT, out=carried[t - 1])
        dZf = dZ.reshape(steps * n, H)
        np.matmul(Xf.T, dZf, out=self.gWx)
        np.matmul(Hs[:-1].reshape(steps * n, H).T, dZf, out=self.gWh)
        if self.gb is not None:
            np.add.reduce(dZf, axis=0, out=self.gb)
        if penalised:
            np.add(self._penalty_grad(self.Wx), self.gWx, out=self.gWx)
            np.add(self._penalty_grad(self.Wh), self.gWh, out=self.gWh)
