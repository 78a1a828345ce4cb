"""Nodes of the computational graph, their order, and the backward pass.

Every node keeps its inputs in a list (never a set) and the topological
order is found iteratively, so "the next node" is the same on every run and
arbitrarily deep graphs (unrolled recurrences) never hit a recursion limit.
"""

from __future__ import annotations

import numpy as np

# Kinds of leaves. Only parameters (and what is computed from them) need grads.
INPUT = "input"
PARAM = "param"
CONST = "const"


class Node:
    """One tensor-valued node: op, ordered inputs, value, gradient and rule.

    ``rule(node, g)`` returns, for each input, the contribution of this node's
    gradient ``g`` to that input's gradient (already summed back to the
    input's shape), or ``None`` where the input needs no gradient.
    ``local(node, i)`` returns the local derivative with respect to input
    ``i`` in a displayable form; it is only called when a trace is recorded,
    so the training path never pays for it.
    """

    __slots__ = ("op", "inputs", "value", "grad", "rule", "local", "needs_grad",
                 "name", "attrs", "layer")

    def __init__(self, op, inputs, value, rule=None, local=None, name="", attrs=None,
                 layer=None, needs_grad=None):
        self.op = op
        self.inputs = inputs
        self.value = value
        self.grad = None
        self.rule = rule
        self.local = local
        self.name = name
        self.attrs = attrs
        self.layer = layer
        if needs_grad is None:
            needs_grad = any(i.needs_grad for i in inputs)
        self.needs_grad = needs_grad

    @property
    def shape(self):
        return np.shape(self.value)

    def __repr__(self):
        return f"Node({self.op!r}, name={self.name!r}, shape={self.shape})"


def leaf(kind: str, value, name: str = "", layer=None) -> Node:
    return Node(kind, [], value, name=name, layer=layer, needs_grad=(kind == PARAM))


def toposort(root, *more: Node) -> list[Node]:
    """Inputs before consumers; inputs visited in their listed order.

    With several roots, each is walked in turn (nodes already placed are not
    repeated), so the last root comes last.
    """
    order: list[Node] = []
    seen: set[int] = set()
    for start in (root, *more):
        if id(start) in seen:
            continue
        seen.add(id(start))
        _walk(start, order, seen)
    return order


def _walk(root: Node, order: list[Node], seen: set[int]) -> None:
    stack = [(root, 0)]
    while stack:
        node, i = stack.pop()
        if i < len(node.inputs):
            stack.append((node, i + 1))
            child = node.inputs[i]
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, 0))
        else:
            order.append(node)


def backward(order: list[Node], seed=None) -> None:
    """Reverse-mode pass over ``order`` (as returned by :func:`toposort`).

    Fan-out accumulates: a node's gradient is the sum of the contributions
    of all its consumers, complete by the time the reverse walk reaches it.
    """
    for node in order:
        node.grad = None
    root = order[-1]
    root.grad = np.ones_like(root.value) if seed is None else seed
    for node in reversed(order):
        g = node.grad
        if g is None or node.rule is None or not node.needs_grad:
            continue
        contributions = node.rule(node, g)
        for inp, c in zip(node.inputs, contributions):
            if c is None or not inp.needs_grad:
                continue
            if inp.grad is None:
                inp.grad = c
            else:
                inp.grad = inp.grad + c


def unbroadcast(g: np.ndarray, shape) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape``."""
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)
