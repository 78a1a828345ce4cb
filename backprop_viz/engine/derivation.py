"""The derivation of a traced sample as Markdown, LaTeX and CSV.

Neuron level where the network is small enough (the textbook picture), layer
level otherwise; the same numbers the stepper shows.
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np

from .formatting import fmt
from .neuron_view import NeuronView, NeuronViewUnavailable, neuron_view
from .report import fmt_array, layer_report, layer_rule_of, neuron_report
from .trace import Trace


def _view(tr: Trace) -> NeuronView | None:
    try:
        return neuron_view(tr)
    except NeuronViewUnavailable:
        return None


def markdown(tr: Trace, digits: int = 9, title: str = "Derivation", about: str | None = None) -> str:
    """``about`` says what the walk is of (which update, weights and samples)."""
    v = _view(tr)
    lines = [f"# {title}", ""]
    if about:
        lines += [f"Walk of {about}", ""]
    def describe(A, what):
        if A.shape[0] != 1:
            return f"{A.shape[0]} {what}"
        if A.ndim == 3:
            return f"a sequence of {A.shape[1]} steps: {fmt_array(A[0], digits)}"
        return ", ".join(fmt(x, digits) for x in A[0])
    X = describe(tr.X, "samples")
    T = describe(tr.T, "targets")
    rate = "" if tr.plan is not None else f"Learning rate: {fmt(tr.lr, digits)}"
    lines += [f"Inputs: {X}  ", f"Targets: {T}  " if rate else f"Targets: {T}", *([rate] if rate else []), ""]
    body = neuron_report(v, digits) if v is not None else layer_report(tr, digits)
    for line in body:
        if not line:
            lines.append("")
        elif not line.startswith(" "):
            lines.append(f"## {line}")
            lines.append("")
        else:
            lines.append(f"- `{line.strip()}`")
    return "\n".join(lines) + "\n"


_TEX = {"·": r" \cdot ", "×": r" \times ", "−": "-", "←": r" \leftarrow ", "½": r"\tfrac{1}{2}",
        "²": "^{2}", "∂": r"\partial ", "Σ": r"\sum ", "→": r" \to ", "…": r"\ldots ", "σ": r"\sigma ",
        "∞": r"\infty ", "γ": r"\gamma ", "β": r"\beta ", "′": "'", "≤": r" \le ", "≥": r" \ge ",
        "λ": r"\lambda ", "α": r"\alpha ", "δ": r"\delta ", "ᵀ": "^{T}", "\u0001": r"\hat{x}",
        "ⱼ": "_j", "ₘ": "_m", "₍": "_{(", "ₜ": "t", "₋": "-", "₁": "1", "₎": ")}"}


def _tex(text: str) -> str:
    """Math-mode LaTeX for one of our formula lines."""
    out = []
    for ch in text.replace("x̂", "\u0001"):
        if ch in _TEX:
            out.append(_TEX[ch])
        elif ch in "_%&#$":
            out.append("\\" + ch)
        else:
            out.append(ch)
    s = "".join(out)
    # Words (node labels, function names) upright; commands keep their backslash.
    s = re.sub(r"(?<![\\A-Za-z])([A-Za-z][A-Za-z]+)", r"\\mathrm{\1}", s)
    # Brackets of scalar node labels such as s1[2] become subscripts.
    return s.replace("[", "_{[").replace("]", "]}")


def tex_math(line: str) -> str:
    """One formula line as math-mode LaTeX; a trailing "because …" stays words."""
    main, _, reason = line.partition(" because ")
    why = f" \\quad\\text{{because {_tex_text(reason)}}}" if reason else ""
    return _tex(main.strip()) + why


def _tex_text(text: str) -> str:
    """Text-mode LaTeX (headings)."""
    out = []
    for ch in text.replace("x̂", "\u0001"):
        if ch in _TEX:
            out.append(f"${_TEX[ch].strip()}$")
        elif ch in "_%&#$":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def latex(tr: Trace, digits: int = 9, about: str | None = None) -> str:
    """A compilable fragment (needs amsmath): an align* environment per section."""
    v = _view(tr)
    lines = ["% backprop-viz derivation; needs \\usepackage{amsmath}"]
    if about:
        lines.append(f"\\noindent Walk of {_tex_text(about)}\\par")
    body = neuron_report(v, digits) if v is not None else layer_report(tr, digits)
    section = None
    for line in body:
        if not line:
            continue
        if not line.startswith(" "):
            if section is not None:
                lines.append(r"\end{align*}")
            section = line
            lines.append(f"\\paragraph{{{_tex_text(line)}}}")
            lines.append(r"\begin{align*}")
            continue
        text = line.strip()
        if "=" in text:
            left, right = text.split("=", 1)
            lines.append(f"  {_tex(left.strip())} &= {tex_math(right.strip())} \\\\")
        else:
            lines.append(f"  &\\text{{{_tex_text(text)}}} \\\\")
    if section is not None:
        lines.append(r"\end{align*}")
    return "\n".join(lines) + "\n"


def csv_rows(tr: Trace, digits: int = 9, about: str | None = None) -> str:
    """One row per event: phase, node, value or gradient, upstream, local, product, text."""
    v = _view(tr)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["phase", "node", "value", "upstream", "local", "product", "text", "rule"])
    if about:
        w.writerow(["walk", "", "", "", "", "", f"Walk of {about}", ""])
    if v is not None:
        for nid in v.forward:
            n = v.nodes[nid]
            w.writerow(["forward", n.label, repr(n.value), "", "", "", v.forward_text(nid, digits), ""])
        for ev in v.backward:
            n = v.nodes[ev.node]
            if not ev.terms:
                w.writerow(["backward", n.label, repr(ev.grad), "", "", "", v.backward_text(ev, digits), ""])
            for t in ev.terms:
                rule = v.local_rule(t.consumer, ev.node, digits)
                w.writerow(["backward", n.label, repr(ev.grad), repr(t.upstream), repr(t.local), repr(t.product),
                            v.backward_text(ev, digits), "" if rule is None else rule.text(digits)])
        for u in v.updates:
            w.writerow(["update", v.nodes[u.node].label, repr(u.new), "", "", repr(u.grad), v.update_text(u, digits), ""])
        w.writerow(["loss_after", "E", repr(v.loss_after), "", "", "", "", ""])
        return buf.getvalue()
    names = {n.id: n.name for n in tr.nodes}
    for fev in tr.forward:
        w.writerow(["forward", names[fev.node], _arr(fev.value), "", "", "", "", ""])
    for bev in tr.backward:
        terms: list = list(bev.terms) or [None]
        for term in terms:
            w.writerow(["backward", names[bev.node], _arr(bev.grad), "" if term is None else _arr(term.upstream),
                        "" if term is None or term.local is None else _arr(term.local),
                        "" if term is None else _arr(term.product),
                        "" if term is None else f"from {names[term.consumer]}",
                        "" if term is None else layer_rule_of(tr, term)])
    for tu in tr.updates:
        w.writerow(["update", tu.param, _arr(tu.new), "", "", _arr(tu.grad), "", ""])
    w.writerow(["loss_after", "loss", repr(tr.loss_after), "", "", "", "", ""])
    return buf.getvalue()


def _arr(a) -> str:
    a = np.asarray(a)
    return repr(float(a)) if a.ndim == 0 else " ".join(repr(float(x)) for x in a.reshape(-1))
