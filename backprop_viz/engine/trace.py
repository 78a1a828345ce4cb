"""The material for stepping through a pass node by node.

``trace(net, X, T, lr)`` runs one forward and backward pass on a copy of
the network and records the ordered events: each forward computation, each
backward contribution (upstream gradient × local derivative = product, per
consumer, summed where a node feeds several), and the plain gradient-descent
update of every parameter with the loss after it. The network is not
changed. :mod:`.neuron_view` derives the scalar picture from this record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .graph import CONST, INPUT, PARAM
from .network import Network, Pass
from .update_plan import ParamUpdate, UpdatePlan


@dataclass
class TraceNode:
    id: int
    name: str
    op: str
    inputs: list[int]
    value: np.ndarray
    grad: np.ndarray | None
    layer: int | None
    needs_grad: bool

    @property
    def kind(self) -> str:
        return self.op if self.op in (INPUT, PARAM, CONST) else "op"

    @property
    def shape(self):
        return np.shape(self.value)


@dataclass
class Term:
    """One consumer's contribution to a node's gradient."""

    consumer: int
    input_index: int
    upstream: np.ndarray
    local: np.ndarray | None
    product: np.ndarray


@dataclass
class BackwardEvent:
    node: int
    grad: np.ndarray
    terms: list[Term]


@dataclass
class ForwardEvent:
    node: int
    inputs: list[int]
    value: np.ndarray


@dataclass
class Update:
    param: str
    old: np.ndarray
    grad: np.ndarray
    lr: float
    new: np.ndarray
    detail: ParamUpdate | None = None    # the optimizer's own update, when the walk has a plan


@dataclass
class Trace:
    network: Network
    X: np.ndarray
    T: np.ndarray
    nodes: list[TraceNode]
    forward: list[ForwardEvent]
    backward: list[BackwardEvent]
    loss: float
    updates: list[Update]
    lr: float
    loss_after: float
    by_name: dict[str, int] = field(default_factory=dict)
    plan: UpdatePlan | None = None      # the real optimizer step (None: plain gradient descent)

    def node(self, name: str) -> TraceNode:
        return self.nodes[self.by_name[name]]

    def layer_node(self, i: int, *ops: str) -> TraceNode | None:
        """Layer i's node for the first op that exists (``"sum", "matmul"``…); in a
        network unrolled over time, the one at the last time step."""
        for op in ops:
            name = f"layers.{i}.{op}"
            if name in self.by_name:
                return self.node(name)
            steps = [n for n in self.by_name if n.startswith(f"layers.{i}.t") and n.endswith(f".{op}")
                     and n[len(f"layers.{i}.t"):-len(op) - 1].isdigit()]
            if steps:
                return self.node(max(steps, key=lambda n: int(n[len(f"layers.{i}.t"):-len(op) - 1])))
        return None

    def gradient(self, param: str) -> np.ndarray:
        grad = self.node(param).grad
        return grad if grad is not None else np.zeros_like(self.node(param).value)


def trace(net: Network, X, T, lr: float = 0.01, rng=None, plan: UpdatePlan | None = None) -> Trace:
    """With ``plan`` (see :mod:`.update_plan`) the update phase is that real
    optimizer step; without, plain gradient descent with ``lr``."""
    # A diverging network is worth walking too: overflow shows as ∞/NaN, not as warnings.
    with np.errstate(all="ignore"):
        return _trace(net, X, T, lr, rng, plan)


def _trace(net: Network, X, T, lr: float, rng, plan: UpdatePlan | None) -> Trace:
    work = net.copy()  # running statistics must not move: tracing is looking
    X = work.check_inputs(X)
    T = work.check_targets(T, X.shape[0])
    result: Pass = work.build(X, T, training=True, rng=rng, checked=True, topo=True)
    order = result.order
    index = {id(n): i for i, n in enumerate(order)}
    terms: dict[int, list[Term]] = {i: [] for i in range(len(order))}

    for n in order:
        n.grad = None
    root = result.total
    root.grad = np.ones_like(root.value)
    for node in reversed(order):
        g = node.grad
        if g is None or node.rule is None or not node.needs_grad:
            continue
        contributions = node.rule(node, g)
        for k, (inp, c) in enumerate(zip(node.inputs, contributions)):
            if c is None or not inp.needs_grad:
                continue
            terms[index[id(inp)]].append(Term(index[id(node)], k, g, node.local(node, k), c))
            inp.grad = c if inp.grad is None else inp.grad + c

    nodes = [TraceNode(i, n.name, n.op, [index[id(x)] for x in n.inputs], n.value,
                       n.grad, n.layer, n.needs_grad) for i, n in enumerate(order)]
    forward = [ForwardEvent(i, nodes[i].inputs, n.value) for i, n in enumerate(order) if n.inputs]
    backward = [BackwardEvent(i, order[i].grad, terms[i]) for i in reversed(range(len(order)))
                if order[i].needs_grad and order[i].grad is not None]
    updates = []
    after = net.copy()
    if plan is not None:
        lr = plan.lr
        for pu in plan.params:
            updates.append(Update(pu.name, pu.old.copy(), pu.used, lr, pu.new.copy(), pu))
            after.params[pu.name][...] = pu.new
    else:
        for name, pnode in result.params.items():
            grad = pnode.grad if pnode.grad is not None else np.zeros_like(pnode.value)
            new = pnode.value - lr * grad
            updates.append(Update(name, pnode.value.copy(), grad, lr, new))
            after.params[name][...] = new
    loss_after = float(after.build(X, T, training=True, update_stats=False, checked=True,
                                   topo=False).total.value)
    out = Trace(net, X, T, nodes, forward, backward, float(root.value), updates, lr, loss_after, plan=plan)
    out.by_name = {n.name: n.id for n in nodes}
    return out
