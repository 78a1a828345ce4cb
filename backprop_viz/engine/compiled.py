"""A compiled training step: the graph's arithmetic replayed into fixed buffers.

For a tiny network a training step is mostly Python overhead: creating
nodes, dicts and names, and allocating an array per operation. A tape is
made once for a network's structure and a batch shape; each step then runs
the same NumPy calls as the graph's forward values and backward rules, in
the same order of floating-point operations, writing into preallocated
buffers, with every parameter's gradient written straight into one flat
array laid out like :attr:`Network.flat`. So a step gives the graph path's
numbers (tests hold them equal), only faster.

What the tape covers: dense layers with every activation, bias or not,
dropout (the same random stream, drawn the same way) and residual
connections, every loss, L1 and L2. What it does not: batch and layer
normalisation, and recurrent networks. Those train on the graph path
(:func:`compile_step` returns None), which is correct for everything.

The graph stays the one source of truth for what a learner sees: the
node-by-node trace and the last step's pass are built from it on demand.
"""

from __future__ import annotations

import numpy as np

from .ops import LOGIT_LOSSES

# Activations whose derivative is read from the stored output with fused
# in-place calls; the others go through Activation.vjp (still exact).
_FUSED = ("identity", "tanh", "sigmoid", "relu")


def supported(net) -> bool:
    """Whether the tape can train this network (else: the graph path)."""
    if net.recurrent:
        return False
    # Normalisation couples a unit's samples in the backward pass and batch
    # norm moves running statistics; kept on the graph path.
    return not any(layer.norm for layer in net.spec.layers)


def signature(net, X) -> tuple:
    """What a tape depends on beyond the parameter values, cheap enough to check every step.

    A network's layers are fixed for its life: an edit to the structure
    makes a new Network (a new flat array, which the trainer checks too).
    The loss and penalties are settings that may change in place.
    """
    s = net.spec
    return (X.shape, s.loss, s.l1, s.l2, id(s.layers), len(s.layers))


def compile_step(net, X):
    """A :class:`DenseTape` for this network and batch shape, or None (graph path)."""
    if not supported(net):
        return None
    return DenseTape(net, X)


class _Layer:
    __slots__ = ("W", "b", "gW", "gb", "act", "name", "z", "a", "out", "mask", "p", "scale",
                 "residual", "t1", "t2", "gz", "ga", "gin", "boolbuf")


class DenseTape:
    """Forward and backward of a dense network for one batch shape."""

    def __init__(self, net, X):
        self.net = net
        self.flat = net.flat                  # the tape's views are into this array
        self.sig = signature(net, X)
        dtype = net.dtype
        n = X.shape[0]
        self.n = n
        self.grad = np.zeros_like(net.flat)   # every parameter's gradient, laid out like flat
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

    def _activate(self, L) -> None:
        n, z, a = L.name, L.z, L.a
        if n == "identity":
            return
        if n == "tanh":
            np.tanh(z, out=a)
        elif n == "sigmoid":
            # exp(-log(1+e^-z)), as activations.sigmoid computes it.
            np.negative(z, out=a)
            np.logaddexp(0, a, out=a)
            np.negative(a, out=a)
            np.exp(a, out=a)
        elif n == "relu":
            np.maximum(z, 0, out=a)
        else:
            a[...] = L.act.forward(z)

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

    # -- loss ---------------------------------------------------------------------
    def _loss(self, y, T) -> np.ndarray:
        """Sets :attr:`data_loss` (0-d) and returns ∂E/∂y (in a buffer).

        Each is the arithmetic of the matching loss in ops, fused where the
        output layer's activation and the loss share work.
        """
        name, d, t = self.loss_name, self.d, self.lt
        dtype = self.dtype
        n = y.shape[0]
        if name == "cross_entropy":
            # log_softmax and softmax share z − max and the exponentials.
            m = np.maximum.reduce(y, axis=-1, keepdims=True)
            np.subtract(y, m, out=d)
            np.exp(d, out=t)
            s = np.add.reduce(t, axis=-1, keepdims=True)
            ls = d - np.log(s)
            np.multiply(T, ls, out=d)
            value = -np.add.reduce(d, axis=None) / n
            np.divide(t, s, out=d)
            d -= T
            d /= n
        elif name == "binary_cross_entropy":
            np.abs(y, out=t)
            np.negative(t, out=t)
            np.exp(t, out=t)
            np.log1p(t, out=t)
            value = np.add.reduce(np.maximum(y, 0) - y * T + t, axis=None) / y.size
            np.negative(y, out=d)
            np.logaddexp(0, d, out=d)
            np.negative(d, out=d)
            np.exp(d, out=d)
            d -= T
            d /= y.size
        elif name == "mse":
            np.subtract(y, T, out=d)
            np.multiply(d, d, out=t)
            value = np.add.reduce(t, axis=None) / t.size
            np.multiply(2, d, out=d)
            d /= d.size
        elif name == "half_squared_error":
            np.subtract(y, T, out=d)
            np.multiply(d, d, out=t)
            value = 0.5 * np.add.reduce(t, axis=None) / n
            d /= n
        elif name == "squared_error":
            np.subtract(y, T, out=d)
            np.multiply(d, d, out=t)
            value = np.add.reduce(t, axis=None) / n
            np.multiply(2, d, out=d)
            d /= n
        elif name == "hinge":
            margin = 1 - T * y
            active = margin > 0
            value = np.where(active, margin, 0).mean()
            d[...] = np.where(active, -T, 0) / margin.size
        else:  # pragma: no cover - parse_spec admits only the losses above
            raise AssertionError(name)
        self.data_loss = np.asarray(value, dtype=dtype)
        return d

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

    def _penalty_grad(self, w) -> np.ndarray | None:
        g = None
        if self.l2:
            g = self.one * 2 * self.l2 * w
        if self.l1:
            c = self.one * self.l1 * np.sign(w)
            g = c if g is None else g + c
        return g

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
