"""Plain-text renderings of a trace, for the terminal and for exports."""

from __future__ import annotations

import numpy as np

from .formatting import fmt
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
    lines += ["", "Backward pass (upstream gradient × local derivative)"]
    lines += [f"  {view.backward_text(ev, digits)}" for ev in view.backward]
    lines += ["", "Chain rule for each parameter"]
    params = [n for n in view.nodes if n.param is not None and n.grad is not None]
    for n in params[:40]:
        lines.append(f"  {view.chain_text(n.id, digits)}")
    if len(params) > 40:
        lines.append(f"  … {len(params) - 40} more parameters")
    lines += ["", f"Update (gradient descent, learning rate {fmt(view.updates[0].lr if view.updates else 0)})"]
    lines += [f"  {view.update_text(u, digits)}" for u in view.updates]
    lines += ["", f"Loss before the update: {fmt(view.loss, digits)}",
              f"Loss after the update:  {fmt(view.loss_after, digits)}"]
    return lines


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
    lines += ["", f"Update (gradient descent, learning rate {fmt(tr.lr)})"]
    for u in tr.updates:
        lines.append(f"  {u.param} ← {fmt_array(u.old, digits)} − {fmt(u.lr)} · {fmt_array(u.grad, digits)}"
                     f" = {fmt_array(u.new, digits)}")
    lines += ["", f"Loss before the update: {fmt(tr.loss, digits)}",
              f"Loss after the update:  {fmt(tr.loss_after, digits)}"]
    return lines


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
