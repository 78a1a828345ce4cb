"""The neuron-level picture of a traced sample, derived from the tensor trace.

Each element of a tensor node becomes a scalar node and each weight element
an edge, exactly as in the textbook worked example:
``s = X1·W1 + X2·W2 + b → predicted = sigmoid(s) → E``. Values come from the
tensor trace; every backward term is an honest scalar product (upstream ×
local), and their sums agree with the tensor gradients (the tests check).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .naming import element_name
from . import budget
from .formatting import fmt, fmt_signed_term
from .local_rules import (LocalRule, activation_rule, addition_rule, loss_rule, penalty_rule,
                          product_rule, softmax_rule)
from .ops import LOGIT_LOSSES
from .spec import NetworkSpec
from .trace import Trace
from .update_plan import ParamUpdate, UpdatePlan

# Beyond this the scalar picture is unreadable; the layer-level view serves.
MAX_NEURON_NODES = budget.MAX_NEURON_NODES


class NeuronViewUnavailable(ValueError):
    """The network or batch has no neuron-level picture (the message says why)."""


@dataclass
class NNode:
    id: int
    label: str
    kind: str          # input, weight, bias, sum, act, residual, target, loss, penalty, total
    value: float
    inputs: list[int] = field(default_factory=list)
    layer: int | None = None
    unit: int | None = None
    param: tuple[str, tuple] | None = None    # (parameter name, element index)
    tensor: tuple[str, tuple] | None = None   # (tensor node name, element index)
    grad: float | None = None
    formula: str = ""                          # forward formula, symbolic

    @property
    def needs_grad(self) -> bool:
        return self.kind not in ("input", "target")


@dataclass
class NTerm:
    consumer: int
    upstream: float
    local: float
    product: float


@dataclass
class NBackward:
    node: int
    grad: float
    terms: list[NTerm]


@dataclass
class NUpdate:
    node: int
    old: float
    grad: float
    lr: float
    new: float
    detail: ParamUpdate | None = None    # the optimizer's update of this element, if any


@dataclass
class NeuronView:
    nodes: list[NNode]
    forward: list[int]          # ids of computed nodes in order
    backward: list[NBackward]
    updates: list[NUpdate]
    loss: float
    loss_after: float
    root: int
    consumers: dict[int, list[int]]
    by_label: dict[str, int]
    plan: UpdatePlan | None = None    # the trace's real optimizer step, if any
    spec: NetworkSpec | None = None   # the network spec: activations, loss and penalties for the rules

    def local_rule(self, consumer: int, nid: int, digits: int = 9) -> LocalRule | None:
        """∂consumer/∂node as its rule and numbers (see :mod:`.local_rules`)."""
        return _rule(self, self.nodes[consumer], self.nodes[nid], digits)

    def rule_lines(self, event: NBackward, digits: int = 9) -> list[str]:
        """One line per local derivative in a backward step, rule then numbers."""
        out = []
        for t in event.terms:
            r = self.local_rule(t.consumer, event.node, digits)
            if r is not None:
                out.append(r.text(digits))
        return out
    _path_counts: dict[int, int] | None = field(default=None, repr=False, compare=False)

    def node(self, label: str) -> NNode:
        return self.nodes[self.by_label[label]]

    # -- text, as the stepper shows it -----------------------------------------------
    def forward_text(self, nid: int, digits: int = 9) -> str:
        n = self.nodes[nid]
        return _forward_text(self, n, digits)

    def backward_text(self, event: NBackward, digits: int = 9) -> str:
        n = self.nodes[event.node]
        root = self.nodes[self.root].label
        if not event.terms:
            return f"∂{root}/∂{n.label} = 1"
        sym = " + ".join(f"∂{root}/∂{self.nodes[t.consumer].label}·∂{self.nodes[t.consumer].label}/∂{n.label}"
                         for t in event.terms)
        num = " + ".join(f"{fmt_signed_term(t.upstream, digits)} × {fmt_signed_term(t.local, digits)}"
                         for t in event.terms)
        return f"∂{root}/∂{n.label} = {sym} = {num} = {fmt(event.grad, digits)}"

    def update_text(self, u: NUpdate, digits: int = 9) -> str:
        label = self.nodes[u.node].label
        if u.detail is not None and self.plan is not None:
            from .update_text import update_lines
            return "\n".join(update_lines(self.plan, u.detail, label, digits))
        return (f"{label} ← {fmt(u.old, digits)} − {fmt(u.lr, digits)} · "
                f"{fmt_signed_term(u.grad, digits)} = {fmt(u.new, digits)}")

    # -- chain rule along paths ----------------------------------------------------
    def paths(self, nid: int, limit: int = 10000) -> list[tuple[list[int], list[float], float]]:
        """Every path from the loss down to ``nid``: (node ids from the loss,
        local derivatives along it, their product). The products sum to the
        node's gradient."""
        local = {}
        for ev in self.backward:
            for t in ev.terms:
                local[(t.consumer, ev.node)] = t.local
        out = []
        stack: list[tuple[list[int], list[float]]] = [([nid], [])]
        while stack:
            chain, locs = stack.pop()
            head = chain[-1]
            if head == self.root:
                ids = chain[::-1]
                factors = locs[::-1]
                out.append((ids, factors, float(np.prod(factors)) if factors else 1.0))
                if len(out) >= limit:
                    break
                continue
            for c in reversed(self.consumers.get(head, [])):
                if (c, head) in local:
                    stack.append((chain + [c], locs + [local[(c, head)]]))
        return out

    def path_count(self, nid: int) -> int:
        """How many paths lead from the loss down to ``nid`` (counted, not listed:
        a deep network has more than can be written out)."""
        if self._path_counts is None:
            on_path = {(t.consumer, ev.node) for ev in self.backward for t in ev.terms}
            counts: dict[int, int] = {self.root: 1}
            for ev in self.backward:       # from the loss down: consumers come first
                if ev.node != self.root:
                    counts[ev.node] = sum(counts.get(c, 0) for c in self.consumers.get(ev.node, [])
                                          if (c, ev.node) in on_path)
            self._path_counts = counts
        return self._path_counts.get(nid, 0)

    def chain_text(self, nid: int, digits: int = 9) -> str:
        """``∂E/∂W1 = ∂E/∂predicted · ∂predicted/∂s · ∂s/∂W1 = … = …``."""
        root = self.nodes[self.root].label
        target = self.nodes[nid]
        count = self.path_count(nid)
        if count > budget.MAX_CHAIN_PATHS:
            return (f"∂{root}/∂{target.label} = the sum over {count:,} paths through the network "
                    f"(more than {budget.MAX_CHAIN_PATHS} are not written out; the backward steps "
                    f"give the same value) = {fmt(target.grad, digits)}")
        parts_sym, parts_num = [], []
        for ids, factors, _ in self.paths(nid):
            labels = [self.nodes[i].label for i in ids]
            sym = " · ".join(f"∂{a}/∂{b}" for a, b in zip(labels, labels[1:]))
            parts_sym.append(sym)
            parts_num.append(" × ".join(fmt_signed_term(f, digits) for f in factors))
        joiner = " + "
        if len(parts_sym) > 1:
            parts_sym = [f"({p})" for p in parts_sym]
            parts_num = [f"({p})" for p in parts_num]
        return (f"∂{root}/∂{target.label} = {joiner.join(parts_sym)} = {joiner.join(parts_num)}"
                f" = {fmt(target.grad, digits)}")


# ---------------------------------------------------------------------------


def _forward_text(view: NeuronView, n: NNode, digits: int) -> str:
    v = lambda i: fmt(view.nodes[i].value, digits)  # noqa: E731
    lab = lambda i: view.nodes[i].label  # noqa: E731
    if n.kind == "sum":
        ins = n.inputs
        pairs = [(ins[i], ins[i + 1]) for i in range(0, len(ins) - (len(ins) % 2), 2)]
        bias = ins[-1] if len(ins) % 2 else None
        sym = " + ".join(f"{lab(a)}·{lab(b)}" for a, b in pairs)
        num = " + ".join(f"{fmt_signed_term(view.nodes[a].value, digits)}·"
                         f"{fmt_signed_term(view.nodes[b].value, digits)}" for a, b in pairs)
        if bias is not None:
            sym += f" + {lab(bias)}"
            num += f" + {fmt_signed_term(view.nodes[bias].value, digits)}"
        return f"{n.label} = {sym} = {num} = {fmt(n.value, digits)}"
    if n.kind == "act":
        name = n.formula
        if name == "softmax":
            return (f"{n.label} = softmax({', '.join(lab(i) for i in n.inputs)})"
                    f" = softmax({', '.join(v(i) for i in n.inputs)})[{(n.unit or 0) + 1}] = {fmt(n.value, digits)}")
        return f"{n.label} = {name}({lab(n.inputs[0])}) = {name}({v(n.inputs[0])}) = {fmt(n.value, digits)}"
    if n.kind in ("residual", "total"):
        return (f"{n.label} = {' + '.join(lab(i) for i in n.inputs)} = "
                f"{' + '.join(fmt_signed_term(view.nodes[i].value, digits) for i in n.inputs)} = {fmt(n.value, digits)}")
    if n.kind == "penalty":
        return f"{n.label} = {n.formula} = {fmt(n.value, digits)}"
    if n.kind == "loss":
        return f"{n.label} = {n.formula} = {fmt(n.value, digits)}"
    return f"{n.label} = {fmt(n.value, digits)}"


def neuron_view(tr: Trace, max_nodes: int = MAX_NEURON_NODES) -> NeuronView:
    with np.errstate(all="ignore"):
        return _neuron_view(tr, max_nodes)


def _neuron_view(tr: Trace, max_nodes: int) -> NeuronView:  # noqa: C901 - one walk over the layers, kept whole
    net = tr.network
    spec = net.spec
    if tr.X.shape[0] != 1:
        raise NeuronViewUnavailable("the neuron level shows one sample; this trace has "
                                    f"{tr.X.shape[0]} (use the layer level for a batch)")
    for i, layer in enumerate(spec.layers):
        if layer.kind == "recurrent":
            raise NeuronViewUnavailable(f"layer {i + 1} is recurrent: it is shown at layer level, unrolled over time")
        if layer.norm:
            raise NeuronViewUnavailable(f"layer {i + 1} uses {layer.norm} norm, shown at layer level only")
        if layer.dropout:
            raise NeuronViewUnavailable(f"layer {i + 1} uses dropout, shown at layer level only")
    sizes = net.sizes
    count = sum(a * b + 3 * b for a, b in zip(sizes, sizes[1:])) + sizes[0] + 4
    if count > max_nodes:
        raise NeuronViewUnavailable(f"the network has about {count} scalar nodes (at most {max_nodes} "
                                    "are drawn at neuron level); use the layer level")

    seed_style = len(spec.layers) == 1 and spec.layers[0].units == 1 and spec.inputs <= 9
    nodes: list[NNode] = []

    def add(**kw) -> int:
        nodes.append(NNode(id=len(nodes), **kw))
        return nodes[-1].id

    def tval(name, idx):
        return float(tr.node(name).value[idx])

    X = tr.X[0]
    prev = [add(label=f"X{k + 1}", kind="input", value=float(X[k]), tensor=("X", (0, k)))
            for k in range(spec.inputs)]
    n_layers = len(spec.layers)
    logit_ids: list[int] = []
    for li, layer in enumerate(spec.layers):
        p = f"layers.{li}"
        L = li + 1
        W = net.params[f"{p}.weight"]
        sums = []
        for j in range(layer.units):
            ins = []
            for k in range(len(prev)):
                label = element_name(spec, f"{p}.weight", (k, j))
                w = add(label=label, kind="weight", value=float(W[k, j]), layer=li, unit=j,
                        param=(f"{p}.weight", (k, j)), tensor=(f"{p}.weight", (k, j)))
                ins += [prev[k], w]
            if layer.use_bias:
                b = add(label=element_name(spec, f"{p}.bias", (j,)), kind="bias",
                        value=float(net.params[f"{p}.bias"][j]), layer=li, unit=j,
                        param=(f"{p}.bias", (j,)), tensor=(f"{p}.bias", (j,)))
                ins.append(b)
            tname = f"{p}.sum" if layer.use_bias else f"{p}.matmul"
            sums.append(add(label="s" if seed_style else f"s{L}[{j + 1}]", kind="sum",
                            value=tval(tname, (0, j)), inputs=ins, layer=li, unit=j,
                            tensor=(tname, (0, j))))
        act = layer.activation
        acts = []
        for j in range(layer.units):
            label = "predicted" if seed_style else f"a{L}[{j + 1}]"
            acts.append(add(label=label, kind="act", value=tval(f"{p}.act", (0, j)),
                            inputs=list(sums) if act.name == "softmax" else [sums[j]],
                            layer=li, unit=j, formula=act.name, tensor=(f"{p}.act", (0, j))))
        outs = acts
        if layer.residual:
            outs = [add(label=f"r{L}[{j + 1}]", kind="residual",
                        value=tval(f"{p}.residual", (0, j)), inputs=[acts[j], prev[j]], layer=li,
                        unit=j, tensor=(f"{p}.residual", (0, j))) for j in range(layer.units)]
        if li == n_layers - 1:
            logit_ids = sums
        prev = outs

    # The loss and its inputs.
    T = tr.T[0]
    k_out = len(prev)
    targets = [add(label="desired" if seed_style else f"T[{j + 1}]", kind="target",
                   value=float(T[j]), tensor=("T", (0, j))) for j in range(k_out)]
    loss_inputs = logit_ids if spec.loss in LOGIT_LOSSES else prev
    penalties = [n for n in ("loss.l1", "loss.l2") if n in tr.by_name]
    data_label = "E_data" if penalties else "E"
    loss_id = add(label=data_label, kind="loss", value=float(tr.node("loss.data").value),
                  inputs=list(loss_inputs) + targets, tensor=("loss.data", ()))
    nodes[loss_id].formula = _loss_formula(spec.loss, [nodes[i] for i in loss_inputs],
                                           [nodes[i] for i in targets])
    root = loss_id
    if penalties:
        weights = [n.id for n in nodes if n.kind == "weight"]
        terms = [loss_id]
        for pname in penalties:
            lam = spec.l1 if pname == "loss.l1" else spec.l2
            label = "L1" if pname == "loss.l1" else "L2"
            form = f"{fmt(lam)}·Σ|w|" if label == "L1" else f"{fmt(lam)}·Σw²"
            terms.append(add(label=label, kind="penalty", value=float(tr.node(pname).value),
                             inputs=list(weights), formula=form, tensor=(pname, ())))
        root = add(label="E", kind="total", value=float(tr.node("loss").value), inputs=terms,
                   tensor=("loss", ()))

    consumers: dict[int, list[int]] = {}
    for n in nodes:
        for i in n.inputs:
            consumers.setdefault(i, []).append(n.id)

    locals_ = _local_derivatives(nodes, tr, spec)
    # Backward in reverse creation order (creation order is topological).
    nodes[root].grad = 1.0
    events = []
    for n in reversed(nodes):
        if not n.needs_grad:
            continue
        if n.id == root:
            events.append(NBackward(root, 1.0, []))
            continue
        nterms: list[NTerm] = []
        for c in consumers.get(n.id, []):
            upstream = nodes[c].grad
            if upstream is None or (c, n.id) not in locals_:
                continue
            loc = locals_[(c, n.id)]
            nterms.append(NTerm(c, upstream, loc, upstream * loc))
        if not nterms:
            continue  # not on a path to the loss (e.g. softmax beside a logit loss)
        n.grad = float(sum(t.product for t in nterms))
        events.append(NBackward(n.id, n.grad, nterms))

    updates = []
    for n in nodes:
        if n.param is not None and n.grad is not None:
            name, idx = n.param
            upd = next(u for u in tr.updates if u.param == name)
            detail = upd.detail.element(idx) if upd.detail is not None else None
            # With a plan the update uses the batch's gradient, which may cover more samples.
            grad = float(detail.used) if detail is not None else n.grad
            updates.append(NUpdate(n.id, n.value, grad, tr.lr, float(upd.new[idx]), detail))
    forward = [n.id for n in nodes if n.inputs]
    return NeuronView(nodes, forward, events, updates, tr.loss, tr.loss_after, root, consumers,
                      {n.label: n.id for n in nodes}, plan=tr.plan, spec=spec)


def _rule(view: NeuronView, c: NNode, n: NNode, digits: int) -> LocalRule | None:
    spec = view.spec
    if spec is None:
        return None
    nodes = view.nodes
    if c.kind == "sum":
        k = c.inputs.index(n.id)
        if len(c.inputs) % 2 and k == len(c.inputs) - 1:
            return addition_rule(c.label, n.label, "the bias is added as it is")
        other = nodes[c.inputs[k + 1] if k % 2 == 0 else c.inputs[k - 1]]
        return product_rule(c.label, n.label, other.label, other.value, digits)
    if c.kind == "act":
        assert c.layer is not None
        act = spec.layers[c.layer].activation
        if act.name == "softmax":
            same = n.unit == c.unit
            other = next(m for m in nodes if m.kind == "act" and m.layer == c.layer and m.unit == n.unit)
            return softmax_rule(c.label, n.label, other.label, c.value, other.value, same, digits)
        return activation_rule(act.name, act.params, c.label, n.label, n.value, c.value, digits)
    if c.kind == "residual":
        return addition_rule(c.label, n.label, "the skip connection passes the gradient on unchanged")
    if c.kind == "total":
        return addition_rule(c.label, n.label, "the total loss is a sum")
    if c.kind == "penalty":
        lam = spec.l1 if c.label == "L1" else spec.l2
        return penalty_rule(c.label, c.label, n.label, lam, n.value, digits)
    if c.kind == "loss":
        preds = [nodes[i] for i in c.inputs if nodes[i].kind != "target"]
        targets = [nodes[i] for i in c.inputs if nodes[i].kind == "target"]
        j = preds.index(n)
        return loss_rule(spec.loss, c.label, n.label, targets[j].label, n.value, targets[j].value, len(preds),
                         logits=[p.value for p in preds], unit=j, digits=digits)
    return None


def _local_derivatives(nodes, tr, spec) -> dict[tuple[int, int], float]:
    """∂consumer/∂input for every edge, as scalars."""
    out = {}
    loss_local = tr.node("loss.data")
    dloss = None
    for t in tr.backward:
        for term in t.terms:
            if tr.nodes[term.consumer].name == "loss.data":
                dloss = term.local
    n_layers = len(spec.layers)
    for n in nodes:
        if n.kind == "sum":
            ins = n.inputs
            pairs = len(ins) // 2
            for q in range(pairs):
                x, w = ins[2 * q], ins[2 * q + 1]
                out[(n.id, x)] = nodes[w].value
                out[(n.id, w)] = nodes[x].value
            if len(ins) % 2:
                out[(n.id, ins[-1])] = 1.0
        elif n.kind == "act":
            act = spec.layers[n.layer].activation
            if act.name == "softmax":
                for s in n.inputs:
                    m = nodes[s].unit
                    a_m = float(tr.node(f"layers.{n.layer}.act").value[0, m])
                    out[(n.id, s)] = n.value * ((1.0 if m == n.unit else 0.0) - a_m)
            else:
                z = np.array([nodes[n.inputs[0]].value])
                out[(n.id, n.inputs[0])] = float(act.derivative(z, np.array([n.value]))[0])
        elif n.kind in ("residual", "total"):
            for i in n.inputs:
                out[(n.id, i)] = 1.0
        elif n.kind == "penalty":
            lam = spec.l1 if n.label == "L1" else spec.l2
            for i in n.inputs:
                w = nodes[i].value
                out[(n.id, i)] = lam * float(np.sign(w)) if n.label == "L1" else 2 * lam * w
        elif n.kind == "loss" and dloss is not None:
            for i in n.inputs:
                if nodes[i].kind != "target":
                    _, idx = nodes[i].tensor
                    out[(n.id, i)] = float(dloss[idx])
    del loss_local, n_layers
    return out


def _loss_formula(loss: str, ys, ts) -> str:
    def pair(y, t):
        return f"({fmt(t.value)} − {fmt(y.value)})"
    if loss == "half_squared_error":
        if len(ys) == 1:
            return f"½({ts[0].label} − {ys[0].label})² = ½{pair(ys[0], ts[0])}²"
        return "½Σ(T−Y)² = ½[" + " + ".join(f"{pair(y, t)}²" for y, t in zip(ys, ts)) + "]"
    if loss == "squared_error":
        return "Σ(T−Y)² = " + " + ".join(f"{pair(y, t)}²" for y, t in zip(ys, ts))
    if loss == "mse":
        return f"mean((T−Y)²) = [{' + '.join(f'{pair(y, t)}²' for y, t in zip(ys, ts))}] / {len(ys)}"
    if loss == "cross_entropy":
        return "−Σ T·log softmax(s)"
    if loss == "binary_cross_entropy":
        return "mean(−T·log σ(s) − (1−T)·log(1−σ(s)))"
    return "mean(max(0, 1 − T·Y))"
