"""Walking a pass one node at a time: a state machine over a trace's events.

The walk is: every forward computation in topological order (ending at the
loss), every backward event in reverse order (ending at the parameters), then
every parameter update and the loss after them. The same walk exists at two
levels, layer (tensor nodes) and neuron (scalar nodes, small networks, one
sample); switching level keeps the position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine import Network, NeuronViewUnavailable, neuron_view, trace
from ..engine.neuron_view import NeuronView
from ..engine.formatting import fmt, fmt_signed_term
from ..engine.report import fmt_array, layer_rule_of

FORWARD, BACKWARD, UPDATE, LOSS_AFTER = "forward", "backward", "update", "loss_after"
LAYER, NEURON = "layer", "neuron"
# "auto" starts at neuron level only while the scalar graph stays readable.
AUTO_NEURON_NODES = 150
# A weight shared by every time step of a long recurrent walk gets hundreds of contributions:
# the step's text tells the first few (formatting all of them froze the window) and their sum.
TERMS_TOLD = 8


@dataclass(frozen=True)
class Step:
    phase: str
    node: int | None     # node id at this level (None for the final loss step)
    index: int           # index of the event within its phase


class Stepper:
    def __init__(self, net: Network, X, T, lr: float = 0.01, level: str = "auto", plan=None, source=None):
        self.network = net
        self.source = source      # a session.walk.WalkSource: what this walk is of
        rng = None
        if plan is not None and plan.dropout_rng is not None and np.shape(X) == plan.X.shape:
            # The same dropout masks as the update itself.
            import copy
            rng = copy.deepcopy(plan.dropout_rng)
        self.trace = trace(net, X, T, lr=lr, rng=rng, plan=plan)
        self.view: NeuronView | None
        self.neuron_problem: str | None
        try:
            self.view = neuron_view(self.trace)
            self.neuron_problem = None
        except NeuronViewUnavailable as exc:
            self.view = None
            self.neuron_problem = str(exc)
        if level == "auto":
            readable = self.view is not None and len(self.view.nodes) <= AUTO_NEURON_NODES
            level = NEURON if readable else LAYER
        if level == NEURON and self.view is None:
            raise NeuronViewUnavailable(self.neuron_problem)
        self.level = level
        self.position = -1   # nothing computed yet
        self._steps = {LAYER: self._layer_steps(), NEURON: self._neuron_steps() if self.view else []}
        # Where each node is first computed, per level: a long unrolled walk asks this for
        # thousands of nodes at every step.
        self._first: dict[str, dict[tuple[str, int], int]] = {}
        for lvl, steps in self._steps.items():
            first: dict[tuple[str, int], int] = {}
            for i, st in enumerate(steps):
                if st.node is not None:
                    first.setdefault((st.phase, st.node), i)
            self._first[lvl] = first

    # -- the walk -------------------------------------------------------------------------
    def _layer_steps(self) -> list[Step]:
        tr = self.trace
        steps = [Step(FORWARD, ev.node, i) for i, ev in enumerate(tr.forward)]
        steps += [Step(BACKWARD, ev.node, i) for i, ev in enumerate(tr.backward)]
        ids = {n.name: n.id for n in tr.nodes}
        steps += [Step(UPDATE, ids[u.param], i) for i, u in enumerate(tr.updates)]
        steps.append(Step(LOSS_AFTER, None, 0))
        return steps

    def _neuron_steps(self) -> list[Step]:
        v = self.view
        assert v is not None
        steps = [Step(FORWARD, nid, i) for i, nid in enumerate(v.forward)]
        steps += [Step(BACKWARD, ev.node, i) for i, ev in enumerate(v.backward)]
        steps += [Step(UPDATE, u.node, i) for i, u in enumerate(v.updates)]
        steps.append(Step(LOSS_AFTER, None, 0))
        return steps

    @property
    def steps(self) -> list[Step]:
        return self._steps[self.level]

    @property
    def current(self) -> Step | None:
        return self.steps[self.position] if self.position >= 0 else None

    @property
    def at_end(self) -> bool:
        return self.position == len(self.steps) - 1

    def forward(self) -> bool:
        if self.at_end:
            return False
        self.position += 1
        return True

    def back(self) -> bool:
        if self.position < 0:
            return False
        self.position -= 1
        return True

    def restart(self) -> None:
        self.position = -1

    def _last_of(self, phase: str) -> int:
        idx = [i for i, s in enumerate(self.steps) if s.phase == phase]
        return idx[-1] if idx else self.position

    def run_to_loss(self) -> None:
        self.position = self._last_of(FORWARD)

    def run_to_end_of_backward(self) -> None:
        self.position = self._last_of(BACKWARD)

    def run_updates(self) -> None:
        self.position = len(self.steps) - 1

    @property
    def phase(self) -> str:
        return self.current.phase if self.current else "start"

    # -- levels -------------------------------------------------------------------------------
    @property
    def neuron_available(self) -> bool:
        return self.view is not None

    def set_level(self, level: str) -> None:
        if level == self.level:
            return
        if level == NEURON and self.view is None:
            raise NeuronViewUnavailable(self.neuron_problem)
        cur = self.current
        target_steps = self._steps[level]
        self.level = level
        if cur is None:
            self.position = -1
            return
        self.position = self._equivalent(cur, level, target_steps)

    def _tensor_name(self, level: str, node: int | None) -> str:
        assert node is not None
        if level == LAYER:
            return self.trace.nodes[node].name
        assert self.view is not None
        tensor = self.view.nodes[node].tensor
        assert tensor is not None
        return tensor[0]

    def _equivalent(self, cur: Step, level: str, target: list[Step]) -> int:
        old_level = LAYER if level == NEURON else NEURON
        if cur.phase == LOSS_AFTER:
            return len(target) - 1
        name = self._tensor_name(old_level, cur.node)
        same_phase = [i for i, s in enumerate(target) if s.phase == cur.phase]
        matches = [i for i in same_phase if self._tensor_name(level, target[i].node) == name]
        if matches:
            # Into the neuron level: the whole tensor is done, so land on its last element.
            return matches[-1] if level == NEURON else matches[0]
        # No counterpart (e.g. a matmul has no scalar node of its own): the last
        # step of the same phase whose tensor comes no later in the other walk.
        order = {self._tensor_name(old_level, s.node): i for i, s in enumerate(self._steps[old_level])
                 if s.phase == cur.phase and s.node is not None}
        here = order.get(name, 0)
        best = same_phase[0] - 1 if same_phase else -1
        for i in same_phase:
            if order.get(self._tensor_name(level, target[i].node), 10 ** 9) <= here:
                best = i
        return best

    # -- what is computed --------------------------------------------------------------------
    def node_state(self, node: int) -> tuple[bool, bool]:
        """(value shown, gradient shown) for a node at the current level."""
        first = self._first[self.level]
        never = len(self.steps)
        value = first.get((FORWARD, node), never) <= self.position
        grad = first.get((BACKWARD, node), never) <= self.position
        if not value:
            value = self._is_leaf(node)
        return value, grad

    def _is_leaf(self, node: int) -> bool:
        if self.level == LAYER:
            return not self.trace.nodes[node].inputs
        assert self.view is not None
        return not self.view.nodes[node].inputs

    # -- text -------------------------------------------------------------------------------------
    def describe(self, step: Step | None = None, digits: int = 9) -> str:
        step = step or self.current
        if step is None:
            return "Press Step to compute the first node of the forward pass."
        if self.level == NEURON:
            return self._describe_neuron(step, digits)
        return self._describe_layer(step, digits)

    def _describe_neuron(self, step: Step, digits: int) -> str:
        v = self.view
        assert v is not None
        if step.phase == FORWARD:
            assert step.node is not None
            return v.forward_text(step.node, digits)
        if step.phase == BACKWARD:
            ev = v.backward[step.index]
            return "\n".join([v.backward_text(ev, digits)] + [f"  where {r}" for r in v.rule_lines(ev, digits)])
        if step.phase == UPDATE:
            return self._plan_intro(step, digits) + v.update_text(v.updates[step.index], digits)
        return self._loss_after_text(digits)

    def _plan_intro(self, step: Step, digits: int) -> str:
        """The first update step says what holds for all of them (optimizer, rate, clipping)."""
        plan = self.trace.plan
        if plan is None or step.index != 0:
            return ""
        from ..engine.update_text import plan_lines
        lines = plan_lines(plan, digits)
        if plan.X.shape[0] > self.trace.X.shape[0]:
            lines.append(f"The update uses the gradient of the whole batch ({plan.X.shape[0]} samples), "
                         "not only this sample's.")
        return "\n".join(lines) + "\n"

    def _describe_layer(self, step: Step, digits: int) -> str:
        tr = self.trace
        names = {n.id: n.name for n in tr.nodes}
        if step.phase == FORWARD:
            fev = tr.forward[step.index]
            node = tr.nodes[fev.node]
            args = ", ".join(names[i] for i in fev.inputs)
            return f"{node.name} = {node.op}({args}) = {fmt_array(fev.value, digits)}"
        if step.phase == BACKWARD:
            ev = tr.backward[step.index]
            node = tr.nodes[ev.node]
            if not ev.terms:
                return f"∂E/∂{node.name} = 1 (the loss itself)"
            lines = [f"∂E/∂{node.name} = {fmt_array(ev.grad, digits)}"]
            for t in ev.terms[:TERMS_TOLD]:
                local = "—" if t.local is None else fmt_array(t.local, digits)
                lines.append(f"  from {names[t.consumer]}: upstream {fmt_array(t.upstream, digits)}"
                             f" · local {local} = {fmt_array(t.product, digits)}")
                rule = layer_rule_of(tr, t)
                if rule:
                    lines.append(f"    rule: {rule}")
            if len(ev.terms) > TERMS_TOLD:
                rest = ev.terms[TERMS_TOLD:]
                lines.append(f"  … and {len(rest):,} more contributions, from {names[rest[0].consumer]} "
                             f"to {names[rest[-1].consumer]}, each upstream · local in the same way")
            if len(ev.terms) > 1:
                lines.append(f"  sum of {len(ev.terms)} contributions = {fmt_array(ev.grad, digits)}")
            return "\n".join(lines)
        if step.phase == UPDATE:
            u = tr.updates[step.index]
            if u.detail is not None and tr.plan is not None:
                from ..engine.update_text import tensor_update_lines
                lines = tensor_update_lines(tr.plan, u.detail, self.network.spec, digits)
                return self._plan_intro(step, digits) + "\n".join(lines)
            return (f"{u.param} ← {fmt_array(u.old, digits)} − {fmt(u.lr, digits)} · "
                    f"{fmt_array(u.grad, digits)} = {fmt_array(u.new, digits)}")
        return self._loss_after_text(digits)

    def _loss_after_text(self, digits: int) -> str:
        tr = self.trace
        change = tr.loss_after - tr.loss
        word = "down" if change < 0 else "up"
        return (f"Loss after the update: {fmt(tr.loss_after, digits)} (before: {fmt(tr.loss, digits)}, "
                f"{word} by {fmt(abs(change), digits)})")

    # -- the update, for "apply" -------------------------------------------------------------
    def updated_parameters(self) -> dict[str, np.ndarray]:
        return {u.param: u.new.copy() for u in self.trace.updates}


def sensitivity_text(label: str, grad: float, loss_label: str = "E", delta: float = 0.01,
                     digits: int = 9) -> str:
    """'increasing W1 by 0.01 increases E by about 0.0000928'."""
    change = grad * delta
    if grad == 0:
        return f"changing {label} slightly does not change {loss_label} (its gradient is 0)"
    verb = "increases" if change > 0 else "decreases"
    return (f"increasing {label} by {fmt(delta)} {verb} {loss_label} by about "
            f"{_plain(abs(change), digits)}")


def _plain(x: float, digits: int) -> str:
    """Three significant digits without an exponent where that stays short."""
    import math
    if 1e-9 <= x < 1e6:
        decimals = max(0, 2 - int(math.floor(math.log10(x))))
        return f"{x:.{decimals}f}"
    return fmt(x, 3)


def numeric_check(net: Network, X, T, name: str, index: tuple, eps: float = 1e-6):
    """(finite-difference estimate, backprop value, relative error) for one element."""
    work = net.copy()
    p = work.params[name]
    _, grads = work.copy().loss_and_gradients(X, T, rng=np.random.default_rng(0), update_stats=False)
    analytic = float(grads[name][index])
    old = p[index]

    def loss():
        res = work.build(X, T, rng=np.random.default_rng(0), update_stats=False, topo=False)
        return float(res.loss.value)
    p[index] = old + eps
    up = loss()
    p[index] = old - eps
    down = loss()
    p[index] = old
    numeric = (up - down) / (2 * eps)
    rel = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-12)
    return numeric, analytic, rel


def chain_sum_text(view, nid: int, digits: int = 9, limit: int = 12) -> list[str]:
    """Each path's product (first ``limit``) and their sum, for the formula panel."""
    paths = view.paths(nid)
    root = view.nodes[view.root].label
    lines = []
    for ids, factors, product in paths[:limit]:
        labels = " → ".join(view.nodes[i].label for i in ids)
        lines.append(f"{labels}: {' × '.join(fmt_signed_term(f, digits) for f in factors)} = {fmt(product, digits)}")
    if len(paths) > limit:
        rest = sum(p[2] for p in paths[limit:])
        lines.append(f"… {len(paths) - limit} more paths, together {fmt(rest, digits)}")
    total = sum(p[2] for p in paths)
    lines.append(f"sum over {len(paths)} path{'s' if len(paths) != 1 else ''} = {fmt(total, digits)}"
                 f" = ∂{root}/∂{view.nodes[nid].label}")
    return lines


def per_sample_contributions(net: Network, X, T, name: str, index: tuple):
    """Each sample's share of one weight's batch gradient, and the penalty's share.

    The losses average over samples, so the batch gradient is the mean of the
    per-sample gradients (plus the L1/L2 penalty's gradient, counted once).
    Returns (contributions, penalty part, batch gradient), or None where the
    samples are coupled (batch norm).
    """
    if any(layer.norm == "batch" for layer in net.spec.layers):
        return None
    X = np.asarray(X, dtype=float)
    T = np.asarray(T, dtype=float)
    n = len(X)
    work = net.copy()
    l1, l2 = work.spec.l1, work.spec.l2
    work.spec.l1 = work.spec.l2 = 0.0
    contributions = []
    for i in range(n):
        _, g = work.copy().loss_and_gradients(X[i:i + 1], T[i:i + 1], rng=np.random.default_rng(0),
                                              update_stats=False)
        contributions.append(float(g[name][index]) / n)
    w = float(net.params[name][index])
    penalty = 0.0
    if name in net.penalised_names:
        penalty = l1 * float(np.sign(w)) + 2 * l2 * w
    _, g = net.copy().loss_and_gradients(X, T, rng=np.random.default_rng(0), update_stats=False)
    return contributions, penalty, float(g[name][index])
