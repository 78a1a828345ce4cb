"""Plain-text renderings of a trace, for the terminal and for exports."""

from __future__ import annotations

import numpy as np

from .formatting import fmt
from .local_rules import layer_rule
from .neuron_view import NeuronView, NeuronViewUnavailable, neuron_view
from .trace import Trace

MAX_ELEMENTS = 12


def fmt_array(a, digits: int = 9) -> str:
    a = np.asarray(a)
    if a.ndim == 0:
        return fmt(a, digits)
    flat = a.reshape(-1)
    items = [fmt(v, digits) for v in flat[:MAX_ELEMENTS]]
    more = f", … ({flat.size} values)" if flat.size > MAX_ELEMENTS else ""
    shape = "×".join(map(str, a.shape))
    return f"[{', '.join(items)}{more}] ({shape})"


def neuron_report(view: NeuronView, digits: int = 9) -> list[str]:
    lines = ["Forward pass"]
    lines += [f"  {view.forward_text(i, digits)}" for i in view.forward]
    lines += ["", "Backward pass (upstream gradient × local derivative, each local derivative by its rule)"]
    for ev in view.backward:
        lines.append(f"  {view.backward_text(ev, digits)}")
        lines += [f"      {rule}" for rule in view.rule_lines(ev, digits)]
    lines += ["", "Chain rule for each parameter"]
    params = [n for n in view.nodes if n.param is not None and n.grad is not None]
    for n in params[:40]:
        lines.append(f"  {view.chain_text(n.id, digits)}")
    if len(params) > 40:
        lines.append(f"  … {len(params) - 40} more parameters")
    lines += [""] + update_heading(view.plan, view.updates[0].lr if view.updates else 0, digits)
    for u in view.updates:
        lines += [f"  {line}" for line in view.update_text(u, digits).split("\n")]
    lines += ["", f"Loss before the update: {fmt(view.loss, digits)}",
              f"Loss after the update:  {fmt(view.loss_after, digits)}"]
    return lines


def update_heading(plan, lr: float, digits: int = 9) -> list[str]:
    if plan is None:
        return [f"Update (gradient descent, learning rate {fmt(lr)})"]
    from .update_text import plan_lines
    return [f"Update {plan.step:,} (the optimizer's own rule)"] + [f"  {line}" for line in plan_lines(plan, digits)]


def layer_report(tr: Trace, digits: int = 9) -> list[str]:
    name = {n.id: n.name for n in tr.nodes}
    lines = ["Forward pass (layer level)"]
    for ev in tr.forward:
        node = tr.nodes[ev.node]
        args = ", ".join(name[i] for i in ev.inputs)
        lines.append(f"  {node.name} = {node.op}({args}) = {fmt_array(ev.value, digits)}")
    lines += ["", "Backward pass (upstream gradient × local derivative)"]
    for bev in tr.backward:
        node = tr.nodes[bev.node]
        if not bev.terms:
            lines.append(f"  ∂loss/∂{node.name} = 1")
            continue
        lines.append(f"  ∂loss/∂{node.name} = {fmt_array(bev.grad, digits)}")
        for t in bev.terms:
            local = "—" if t.local is None else fmt_array(t.local, digits)
            lines.append(f"      from {name[t.consumer]}: upstream {fmt_array(t.upstream, digits)}"
                         f" · local {local} → {fmt_array(t.product, digits)}")
            rule = layer_rule_of(tr, t)
            if rule:
                lines.append(f"        rule: {rule}")
    lines += [""] + update_heading(tr.plan, tr.lr, digits)
    for u in tr.updates:
        if u.detail is not None and tr.plan is not None:
            from .update_text import tensor_update_lines
            lines += [f"  {line}" for line in tensor_update_lines(tr.plan, u.detail, tr.network.spec, digits)]
        else:
            lines.append(f"  {u.param} ← {fmt_array(u.old, digits)} − {fmt(u.lr)} · {fmt_array(u.grad, digits)}"
                         f" = {fmt_array(u.new, digits)}")
    lines += ["", f"Loss before the update: {fmt(tr.loss, digits)}",
              f"Loss after the update:  {fmt(tr.loss_after, digits)}"]
    return lines


def layer_rule_of(tr: Trace, term) -> str:
    """The rule of the consumer's op with respect to this input, at layer level."""
    c = tr.nodes[term.consumer]
    return layer_rule(c.op, c.name, term.input_index, tr.nodes[c.inputs[term.input_index]].name)


def trace_report(tr: Trace, level: str = "auto", digits: int = 9) -> str:
    if level in ("auto", "neuron"):
        try:
            return "\n".join(neuron_report(neuron_view(tr), digits))
        except NeuronViewUnavailable as exc:
            if level == "neuron":
                raise
            head = [f"(layer level: {exc})", ""]
            return "\n".join(head + layer_report(tr, digits))
    return "\n".join(layer_report(tr, digits))
