"""The vanishing/exploding-gradient lesson, in words, with this network's numbers.

The alert says *that* layer 1's gradient is tiny; the lesson says *why*: on
the way back from the output to layer 1 the signal is multiplied by every
hidden layer's activation derivative, and σ′ = σ(1 − σ) is at most 0.25, so
nine sigmoid layers multiply it by at most 0.25⁹ ≈ 3.8·10⁻⁶ before any
weight has a say. The measured ratio ‖∂E/∂W₁‖ / ‖∂E/∂W_L‖ over the whole run
is the evidence, and it stays on screen after training (when every gradient
has become small and the per-step alert no longer shows the contrast).

The output layer's own derivative is left out of the count: it multiplies the
last layer's gradient and the first layer's alike, so it cancels in the ratio.
"""

from __future__ import annotations

import math

import numpy as np

# The largest value of each activation's derivative (silu's is about 1.1).
DERIVATIVE_BOUND = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "leaky_relu": 1.0, "elu": 1.0,
                    "silu": 1.1, "softplus": 1.0, "identity": 1.0, "softmax": 0.25}
SYMBOL = {"sigmoid": "σ′", "tanh": "tanh′", "relu": "relu′", "leaky_relu": "leaky_relu′", "elu": "elu′",
          "silu": "silu′", "softplus": "softplus′", "identity": "1"}

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def sup(n: int) -> str:
    return str(n).translate(_SUP)


def sci(x: float) -> str:
    """3.8e-06 → '3.8·10⁻⁶'; plain for numbers between 0.01 and 1000."""
    if not math.isfinite(x):
        return "∞" if x > 0 else "NaN"
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 1000:
        return f"{x:.2g}"
    exp = int(math.floor(math.log10(abs(x))))
    mant = x / 10 ** exp
    if round(mant, 1) == 10:
        mant, exp = mant / 10, exp + 1
    return f"{mant:.1f}·10{sup(exp)}" if round(mant, 1) != 1 else f"10{sup(exp)}"


def first_last_ratio(grad_norms: np.ndarray) -> np.ndarray:
    """‖∂E/∂W₁‖ / ‖∂E/∂W_L‖ per recorded update (NaN where the last is 0 or not finite)."""
    g = np.asarray(grad_norms, dtype=float)
    if g.ndim != 2 or g.shape[1] < 2:
        return np.full(len(g), np.nan)
    with np.errstate(all="ignore"):
        r = g[:, 0] / g[:, -1]
    r[~np.isfinite(r) | (r <= 0)] = np.nan
    return r


def mean_derivatives(activations, preacts) -> list[float | None]:
    """Mean |f′(z)| per layer over a batch's pre-activations (None where not measured)."""
    out: list[float | None] = []
    for act, z in zip(activations, preacts):
        z = np.asarray(z, dtype=float)
        z = z[np.isfinite(z)]
        if z.size == 0 or act.name == "softmax":
            out.append(None)
            continue
        with np.errstate(all="ignore"):
            out.append(float(np.mean(np.abs(act.derivative(z, act.forward(z))))))
    return out


def mechanism(activations) -> str:
    """Why the backward signal shrinks (or need not) on its way to layer 1."""
    hidden = [a.name for a in activations[:-1]]
    n = len(activations)
    if not hidden:
        return "One layer: the gradient has no hidden layers to pass through."
    sig = hidden.count("sigmoid")
    if sig:
        bound = 0.25 ** sig
        other = len(hidden) - sig
        rest = f" (and {other} other hidden layer{'s' if other != 1 else ''})" if other else ""
        verb = "shrinks" if sig == 1 and not other else "shrink"
        return (f"σ′ = σ(1 − σ) ≤ 0.25, so {sig} sigmoid layer{'s' if sig != 1 else ''}{rest} between layer 1 and "
                f"the output {verb} the backward signal to at most 0.25{sup(sig)} ≈ {sci(bound)} of its size "
                f"before any weights: layer 1 learns {sci(1 / bound)} times slower than layer {n} "
                "unless the weights make up for it.")
    if "tanh" in hidden:
        k = hidden.count("tanh")
        return (f"tanh′ = 1 − tanh² ≤ 1, with equality only at 0: {k} tanh layer{'s' if k != 1 else ''} "
                f"{'shrinks' if k == 1 else 'shrink'} the backward signal wherever units saturate (|a| near 1, "
                "tanh′ near 0); unsaturated units pass it on.")
    if "relu" in hidden:
        return ("relu′ is 1 for active units and 0 for the rest: the signal reaches layer 1 undiminished through "
                "active units, and not at all through dead ones. With He init the weights keep its size steady.")
    return (f"The hidden activations' derivatives are at most about 1, so nothing in them shrinks the backward "
            f"signal systematically on its way from layer {n} to layer 1; the weights set its size.")


def short_mechanism(activations) -> str:
    """The mechanism in one sentence, for the alert."""
    hidden = [a.name for a in activations[:-1]]
    sig = hidden.count("sigmoid")
    if sig:
        return (f"σ′ ≤ 0.25, so {sig} sigmoid layer{'s' if sig != 1 else ''} {'shrinks' if sig == 1 else 'shrink'} "
                "the backward signal to at most "
                f"0.25{sup(sig)} ≈ {sci(0.25 ** sig)} before any weights.")
    return mechanism(activations).split(": ")[0].split(". ")[0].rstrip(".") + "."


def short_run(_steps, ratios, n_layers: int) -> str:
    ok = np.isfinite(ratios)
    if not ok.any():
        return ""
    r = ratios[ok]
    span = sci(r[0]) if len(r) == 1 else f"{sci(r[0])} → {sci(r[-1])}"
    return f"This run: layer 1 got {span} × layer {n_layers}'s gradient."


def measured_text(activations, derivs: list[float | None]) -> str:
    hidden = [(i, a, d) for i, (a, d) in enumerate(zip(activations[:-1], derivs[:-1])) if d is not None]
    if not hidden:
        return ""
    prod = float(np.prod([d for _, _, d in hidden]))
    shown = ", ".join(f"{d:.2g}" for _, _, d in hidden[:10]) + (", …" if len(hidden) > 10 else "")
    sym = SYMBOL.get(hidden[0][1].name, "f′") if len({a.name for _, a, _ in hidden}) == 1 else "f′"
    return (f"Measured now: mean {sym} per hidden layer {shown}; their product {sci(prod)}.")


def run_text(steps: np.ndarray, ratios: np.ndarray, n_layers: int) -> str:
    ok = np.isfinite(ratios)
    if not ok.any():
        return ""
    s, r = np.asarray(steps)[ok], ratios[ok]
    lead = f"‖∂E/∂W₁‖ / ‖∂E/∂W{_sub(n_layers)}‖"
    if len(r) == 1:
        return f"This run: {lead} = {sci(r[0])} at update {int(s[0])}."
    return (f"This run: {lead} = {sci(r[0])} at update {int(s[0])}, {sci(float(np.median(r)))} typically, "
            f"{sci(r[-1])} at update {int(s[-1])} (smallest {sci(float(r.min()))}).")


def time_text(first_over_last: float, steps: int) -> str:
    if not math.isfinite(first_over_last) or steps < 2:
        return ""
    word = "vanishing" if first_over_last < 1e-2 else ("exploding" if first_over_last > 1e2 else "steady")
    return (f"Through time: ‖∂E/∂h₁‖ / ‖∂E/∂h{_sub(steps)}‖ = {sci(first_over_last)} ({word}); each step back "
            "multiplies by W_hᵀ and the activation's derivative.")


def before_after_text(before_label: str, before: float, now: float) -> str:
    if not (math.isfinite(before) and math.isfinite(now)):
        return ""
    return (f"Before the change ({before_label}): layer 1 got {sci(before)} × the last layer's gradient; "
            f"now {sci(now)} ×.")


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
