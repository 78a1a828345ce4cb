"""Each local derivative as its rule, then its numbers.

``∂predicted/∂s = σ(s)(1 − σ(s)) = 0.874352143 × 0.125647857 = 0.109860473``:
the learner sees which rule of calculus applies, the numbers that go into
it, and the value the chain rule multiplies by. Where a derivative is zero
(or takes a branch) the rule says why (``relu′(s) = 0 because s = -0.3 ≤ 0``).

The rules live here, beside the engine, so the stepper, the command-line
``trace`` and the derivation exports (Markdown, LaTeX, CSV) write the same
text. The numbers part is plain arithmetic (× − + / ² and exp) that
:func:`evaluate` computes back, which is how the tests hold every rule to
the derivative the engine actually used.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass

import numpy as np

from .activations import sigmoid, softmax
from .formatting import fmt, fmt_signed_term


@dataclass(frozen=True)
class LocalRule:
    of: str            # the consumer's label (numerator)
    wrt: str           # the input's label (denominator)
    rule: str          # symbolic: "σ(s)(1 − σ(s))"
    numbers: str       # the rule with numbers in: "0.874352143 × 0.125647857" ("" if nothing to fill in)
    value: float       # the local derivative the chain rule uses
    reason: str = ""   # why this branch: "s = -0.3 ≤ 0"

    def text(self, digits: int = 9) -> str:
        parts = [f"∂{self.of}/∂{self.wrt}", self.rule]
        if self.numbers and self.numbers not in (self.rule, fmt(self.value, digits)):
            parts.append(self.numbers)
        shown = fmt(self.value, digits)
        if parts[-1] != shown:
            parts.append(shown)
        out = " = ".join(parts)
        return f"{out} because {self.reason}" if self.reason else out


# -- evaluating the numbers back ---------------------------------------------------------------

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow}


def evaluate(numbers: str) -> float:
    """The value of a rule's numbers part (arithmetic only; no names but ``exp``)."""
    src = (numbers.replace("×", "*").replace("·", "*").replace("−", "-").replace("²", "**2")
           .replace("∞", "inf"))
    tree = ast.parse(src, mode="eval")

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
            return float(n.value)
        if isinstance(n, ast.BinOp) and type(n.op) in _BIN:
            return _BIN[type(n.op)](ev(n.left), ev(n.right))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "exp" and len(n.args) == 1:
            return math.exp(ev(n.args[0]))
        if isinstance(n, ast.Name) and n.id == "inf":
            return math.inf
        raise ValueError(f"not plain arithmetic: {numbers!r}")
    return ev(tree)


# -- activations --------------------------------------------------------------------------------


def activation_rule(name: str, params: dict, of: str, wrt: str, s: float, a: float,
                    digits: int = 9) -> LocalRule:
    """∂a/∂s for an elementwise activation a = f(s)."""
    f = lambda x: fmt(x, digits)            # noqa: E731
    t = lambda x: fmt_signed_term(x, digits)  # noqa: E731
    if name == "identity":
        return LocalRule(of, wrt, "1", "", 1.0, "the identity passes the gradient on unchanged")
    if name == "sigmoid":
        return LocalRule(of, wrt, f"σ({wrt})(1 − σ({wrt}))", f"{t(a)} × {t(1 - a)}", a * (1 - a))
    if name == "tanh":
        return LocalRule(of, wrt, f"1 − tanh({wrt})²", f"1 − {t(a)}²", 1 - a * a)
    if name == "relu":
        if s > 0:
            return LocalRule(of, wrt, f"relu′({wrt})", "", 1.0, f"{wrt} = {f(s)} > 0")
        return LocalRule(of, wrt, f"relu′({wrt})", "", 0.0, f"{wrt} = {f(s)} ≤ 0")
    if name == "leaky_relu":
        slope = params["negative_slope"]
        if s > 0:
            return LocalRule(of, wrt, f"leaky_relu′({wrt})", "", 1.0, f"{wrt} = {f(s)} > 0")
        return LocalRule(of, wrt, "α", f(slope), float(slope), f"{wrt} = {f(s)} ≤ 0 (α is the negative slope)")
    if name == "elu":
        alpha = params["alpha"]
        if s > 0:
            return LocalRule(of, wrt, f"elu′({wrt})", "", 1.0, f"{wrt} = {f(s)} > 0")
        return LocalRule(of, wrt, f"α·e^{wrt} = {of} + α", f"{t(a)} + {t(alpha)}", a + alpha,
                         f"{wrt} = {f(s)} ≤ 0")
    if name == "silu":
        sg = float(sigmoid(np.float64(s)))
        return LocalRule(of, wrt, f"σ({wrt})(1 + {wrt}(1 − σ({wrt})))", f"{t(sg)} × (1 + {t(s)} × {t(1 - sg)})",
                         sg * (1 + s * (1 - sg)))
    if name == "softplus":
        return LocalRule(of, wrt, f"σ({wrt}) = 1/(1 + e^(−{wrt}))", f"1 / (1 + exp({t(-s)}))",
                         float(sigmoid(np.float64(s))))
    raise ValueError(f"no rule for activation {name!r}")


def softmax_rule(of: str, wrt: str, other: str, a_j: float, a_m: float, same: bool,
                 digits: int = 9) -> LocalRule:
    """∂a_j/∂s_m = a_j(δ_jm − a_m); ``other`` is the label of a_m."""
    t = lambda x: fmt_signed_term(x, digits)  # noqa: E731
    if same:
        return LocalRule(of, wrt, f"{of}(1 − {of})", f"{t(a_j)} × {t(1 - a_j)}", a_j * (1 - a_j))
    return LocalRule(of, wrt, f"−{of}·{other}", f"−{t(a_j)} × {t(a_m)}", -a_j * a_m,
                     "softmax couples the units: raising one logit lowers the other outputs")


# -- weighted sums, additions, penalties ----------------------------------------------------------


def product_rule(of: str, wrt: str, other: str, other_value: float, digits: int = 9) -> LocalRule:
    """∂(x·w)/∂w = x inside a weighted sum."""
    return LocalRule(of, wrt, other, fmt(other_value, digits), float(other_value))


def addition_rule(of: str, wrt: str, why: str = "") -> LocalRule:
    return LocalRule(of, wrt, "1", "", 1.0, why)


def penalty_rule(kind: str, of: str, wrt: str, lam: float, w: float, digits: int = 9) -> LocalRule:
    t = lambda x: fmt_signed_term(x, digits)  # noqa: E731
    if kind == "L1":
        sign = float(np.sign(w))
        return LocalRule(of, wrt, f"λ·sign({wrt})", f"{t(lam)} × {t(sign)}", lam * sign,
                         "" if w else f"{wrt} = 0, where |w| has no slope (0 is used)")
    return LocalRule(of, wrt, f"2λ·{wrt}", f"2 × {t(lam)} × {t(w)}", 2 * lam * w)


# -- losses (one sample, K outputs) ---------------------------------------------------------------


def loss_rule(loss: str, of: str, wrt: str, target: str, y: float, t_value: float, k_outputs: int,
              logits: list[float] | None = None, unit: int = 0, digits: int = 9) -> LocalRule:
    """∂E/∂(prediction or logit) with the engine's exact convention for one sample.

    The engine divides sums by the batch size (1 here); ``mse`` and the
    binary cross-entropy and hinge losses average over every output as well.
    """
    f = lambda x: fmt(x, digits)            # noqa: E731
    t = lambda x: fmt_signed_term(x, digits)  # noqa: E731
    K = k_outputs
    if loss == "half_squared_error":
        return LocalRule(of, wrt, f"{wrt} − {target}", f"{t(y)} − {t(t_value)}", y - t_value)
    if loss == "squared_error":
        return LocalRule(of, wrt, f"2({wrt} − {target})", f"2 × ({t(y)} − {t(t_value)})", 2 * (y - t_value))
    if loss == "mse":
        if K == 1:
            return LocalRule(of, wrt, f"2({wrt} − {target})", f"2 × ({t(y)} − {t(t_value)})", 2 * (y - t_value))
        return LocalRule(of, wrt, f"2({wrt} − {target})/{K}", f"2 × ({t(y)} − {t(t_value)}) / {K}",
                         2 * (y - t_value) / K, f"mse averages over the {K} outputs")
    if loss == "cross_entropy":
        p = float(softmax(np.asarray(logits, dtype=float))[unit])
        group = wrt.split("[")[0]
        return LocalRule(of, wrt, f"softmax({group})[{unit + 1}] − {target}", f"{t(p)} − {t(t_value)}",
                         p - t_value, "softmax and cross-entropy together: probability minus target")
    if loss == "binary_cross_entropy":
        sg = float(sigmoid(np.float64(y)))
        if K == 1:
            return LocalRule(of, wrt, f"σ({wrt}) − {target}", f"{t(sg)} − {t(t_value)}", sg - t_value,
                             "sigmoid and cross-entropy together: probability minus target")
        return LocalRule(of, wrt, f"(σ({wrt}) − {target})/{K}", f"({t(sg)} − {t(t_value)}) / {K}",
                         (sg - t_value) / K, f"the loss averages over the {K} outputs")
    if loss == "hinge":
        margin = 1 - t_value * y
        if margin > 0:
            rule = f"−{target}" if K == 1 else f"−{target}/{K}"
            nums = f"−{t(t_value)}" if K == 1 else f"−{t(t_value)} / {K}"
            return LocalRule(of, wrt, rule, nums, -t_value / K, f"1 − {target}·{wrt} = {f(margin)} > 0")
        return LocalRule(of, wrt, "0", "", 0.0, f"1 − {target}·{wrt} = {f(margin)} ≤ 0 (the margin is met)")
    raise ValueError(f"no rule for loss {loss!r}")


# -- layer level: the rule of each tensor op, in words and symbols --------------------------------

_ACT_RULES = {
    "identity": "∂a/∂z = 1",
    "sigmoid": "∂a/∂z = σ(z)(1 − σ(z)), at most 0.25",
    "tanh": "∂a/∂z = 1 − tanh(z)², at most 1",
    "relu": "∂a/∂z = 1 where z > 0, 0 where z ≤ 0",
    "leaky_relu": "∂a/∂z = 1 where z > 0, α where z ≤ 0",
    "elu": "∂a/∂z = 1 where z > 0, a + α where z ≤ 0",
    "silu": "∂a/∂z = σ(z)(1 + z(1 − σ(z)))",
    "softplus": "∂a/∂z = σ(z)",
    "softmax": "∂aⱼ/∂zₘ = aⱼ(δⱼₘ − aₘ) (the upstream gradient times the Jacobian)",
}
_LOSS_RULES = {
    "half_squared_error": "∂E/∂Y = (Y − T)/n (n samples)",
    "squared_error": "∂E/∂Y = 2(Y − T)/n (n samples)",
    "mse": "∂E/∂Y = 2(Y − T)/(n·K) (mean over n samples and K outputs)",
    "cross_entropy": "∂E/∂z = (softmax(z) − T)/n (softmax and cross-entropy together)",
    "binary_cross_entropy": "∂E/∂z = (σ(z) − T)/(n·K) (sigmoid and cross-entropy together)",
    "hinge": "∂E/∂Y = −T/(n·K) where 1 − T·Y > 0, else 0",
}


def layer_rule(op: str, name: str, input_index: int, input_name: str) -> str:
    """The local derivative rule of a tensor node with respect to one input."""
    timestep = ".t" in name and any(name.endswith(s) for s in (".hw", ".xw", ".xw+hw", ".act", ".sum"))
    if op == "matmul":
        if name.endswith(".hw"):
            return ("∂(h₍ₜ₋₁₎·U)/∂h₍ₜ₋₁₎ = Uᵀ: the gradient goes one step back in time" if input_index == 0
                    else "∂(h₍ₜ₋₁₎·U)/∂U = h₍ₜ₋₁₎ᵀ: every time step adds its share to U's gradient")
        return (f"∂(A·B)/∂A = upstream·Bᵀ ({input_name} is A)" if input_index == 0
                else f"∂(A·B)/∂B = Aᵀ·upstream, summed over the batch ({input_name} is B)")
    if op == "add":
        if name.endswith(".residual"):
            return "∂(a + x)/∂x = 1: the skip connection passes the gradient on unchanged"
        extra = " through time" if timestep else ""
        return f"∂(a + b)/∂{input_name} = 1 (summed over broadcast axes){extra}"
    if op == "mul":
        return "∂(a·b)/∂a = b, ∂(a·b)/∂b = a"
    if op == "sum":
        return "∂(a + b + …)/∂a = 1"
    if op in _ACT_RULES:
        return _ACT_RULES[op]
    if op == "dropout":
        return "∂/∂a = mask/(1 − p): dropped units pass no gradient"
    if op in ("batch_norm", "layer_norm"):
        over = "the batch" if op == "batch_norm" else "the units of a sample"
        return ["∂y/∂x = γ/σ·(1 − 1/m − x̂²/m) on the diagonal (mean and σ over " + over + ")",
                "∂y/∂γ = x̂", "∂y/∂β = 1"][input_index]
    if op == "l1":
        return "∂(λ·Σ|w|)/∂w = λ·sign(w)"
    if op == "l2":
        return "∂(λ·Σw²)/∂w = 2λ·w"
    if op in _LOSS_RULES:
        return _LOSS_RULES[op]
    return ""
