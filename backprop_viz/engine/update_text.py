"""An optimizer's update written out as its own formula with this step's numbers.

Each rule is the one :mod:`.optimizers` runs (PyTorch's), in textbook form,
``m ← β1·m + (1−β1)·g = 0.9·0 + 0.1·0.0928 = 0.00928``. The intermediate
numbers are worked out here for reading; the last line's result is the value
the real update produced, so what is shown is what training does.
"""

from __future__ import annotations

import math

import numpy as np

from .formatting import fmt
from .report import fmt_array
from .update_plan import ParamUpdate, UpdatePlan

OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                    "adagrad": "Adagrad", "adadelta": "Adadelta"}


def optimizer_title(settings: dict) -> str:
    name = settings["name"]
    title = OPTIMIZER_TITLES[name]
    extras = []
    if name == "sgd" and settings.get("momentum"):
        extras.append(("Nesterov momentum " if settings.get("nesterov") else "momentum ")
                      + fmt(settings["momentum"]))
    if name in ("adam", "adamw") and settings.get("amsgrad"):
        extras.append("AMSGrad")
    if name == "rmsprop":
        if settings.get("centered"):
            extras.append("centered")
        if settings.get("momentum"):
            extras.append(f"momentum {fmt(settings['momentum'])}")
    if settings.get("weight_decay"):
        extras.append(f"weight decay {fmt(settings['weight_decay'])}")
    return title + (f" ({', '.join(extras)})" if extras else "")


def plan_lines(plan: UpdatePlan, digits: int = 9) -> list[str]:
    """What holds for every parameter in this update: the learning rate, clipping."""
    lines = [f"Optimizer: {optimizer_title(plan.optimizer)}, learning rate {fmt(plan.lr, digits)}"
             + _schedule_note(plan, digits)]
    if plan.clip_grad_norm is not None and plan.grad_norm is not None:
        if plan.clip_coef is not None:
            lines.append(f"Clipping by norm acts: ‖g‖ = {fmt(plan.grad_norm, digits)} > "
                         f"{fmt(plan.clip_grad_norm, digits)}, so every gradient is multiplied by "
                         f"{fmt(plan.clip_grad_norm, digits)}/(‖g‖ + 1e-6) = {fmt(plan.clip_coef, digits)}")
        else:
            lines.append(f"Clipping by norm does not act: ‖g‖ = {fmt(plan.grad_norm, digits)} ≤ "
                         f"{fmt(plan.clip_grad_norm, digits)}")
    if plan.clip_grad_value is not None:
        n = plan.clipped_values
        lines.append(f"Clipping by value to [−{fmt(plan.clip_grad_value, digits)}, "
                     f"{fmt(plan.clip_grad_value, digits)}]: "
                     + (f"{n} gradient element{'s' if n != 1 else ''} clipped" if n else "no element clipped"))
    return lines


def _schedule_note(plan: UpdatePlan, digits: int) -> str:
    s = plan.schedule
    if s is None or math.isclose(plan.lr, plan.base_lr, rel_tol=0, abs_tol=0):
        return "" if s is None else f" ({s['name']} schedule, epoch {plan.epoch}: the base rate)"
    return (f" (base {fmt(plan.base_lr, digits)}, {s['name']} schedule after {plan.epoch} "
            f"epoch{'s' if plan.epoch != 1 else ''})")


def update_lines(plan: UpdatePlan, pu: ParamUpdate, label: str, digits: int = 9) -> list[str]:
    """``label``'s update (a tensor or one element) as the optimizer's formula with numbers."""
    F = lambda v: fmt_array(np.asarray(v, dtype=float), digits)  # noqa: E731
    s = plan.optimizer
    name = s["name"]
    g, w, new = np.asarray(pu.used, float), np.asarray(pu.old, float), np.asarray(pu.new, float)
    lr = s["lr"]
    if name == "sgd" and not s["momentum"] and not s["weight_decay"] and np.array_equal(pu.grad, pu.used):
        return [f"{label} ← {label} − lr·∂E/∂{label} = {F(w)} − {fmt(lr, digits)}·{F(g)} = {F(new)}"]
    lines = []
    if not np.array_equal(pu.grad, pu.used):
        lines.append(f"g = ∂E/∂{label} = {F(pu.grad)}, after clipping g = {F(g)}")
    else:
        lines.append(f"g = ∂E/∂{label} = {F(g)}")
    wd = s.get("weight_decay", 0.0)
    if wd and name != "adamw":
        g = g + wd * w
        lines.append(f"weight decay: g ← g + {fmt(wd, digits)}·{label} = {F(g)}")
    b, a = pu.before, pu.after
    if name == "sgd":
        mu = s["momentum"]
        if mu:
            buf = a["momentum_buffer"]
            if "momentum_buffer" not in b:
                lines.append(f"momentum buffer (first update): b ← g = {F(buf)}")
            else:
                lines.append(f"momentum buffer: b ← {fmt(mu, digits)}·b + (1 − {fmt(s['dampening'], digits)})·g"
                             f" = {fmt(mu, digits)}·{F(b['momentum_buffer'])} + "
                             f"{fmt(1 - s['dampening'], digits)}·{F(g)} = {F(buf)}")
            if s["nesterov"]:
                g = g + mu * np.asarray(buf)
                lines.append(f"Nesterov: g ← g + {fmt(mu, digits)}·b = {F(g)}")
            else:
                g = np.asarray(buf)
                lines.append("step direction: g ← b")
        lines.append(f"{label} ← {label} − lr·g = {F(w)} − {fmt(lr, digits)}·{F(g)} = {F(new)}")
        return lines
    if name in ("adam", "adamw"):
        b1, b2 = s["betas"]
        eps = s["eps"]
        t = a["step"]
        if name == "adamw" and wd:
            lines.append(f"decoupled weight decay: {label} ← {label}·(1 − lr·{fmt(wd, digits)}) = "
                         f"{F(w * (1 - lr * wd))}")
        m0 = b.get("exp_avg", np.zeros_like(g))
        v0 = b.get("exp_avg_sq", np.zeros_like(g))
        m, v = np.asarray(a["exp_avg"], float), np.asarray(a["exp_avg_sq"], float)
        lines.append(f"m ← β1·m + (1 − β1)·g = {fmt(b1, digits)}·{F(m0)} + {fmt(1 - b1, digits)}·{F(g)}"
                     f" = {F(m)}")
        lines.append(f"v ← β2·v + (1 − β2)·g² = {fmt(b2, digits)}·{F(v0)} + {fmt(1 - b2, digits)}·{F(g * g)}"
                     f" = {F(v)}")
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        m_hat = m / bc1
        lines.append(f"m̂ = m/(1 − β1^t) = {F(m)}/(1 − {fmt(b1, digits)}^{t}) = {F(m_hat)}   (t = {t})")
        if s["amsgrad"]:
            vmax = np.asarray(a["max_exp_avg_sq"], float)
            lines.append(f"AMSGrad: v_max ← max(v_max, v) = {F(vmax)}")
            v_hat = vmax / bc2
            lines.append(f"v̂ = v_max/(1 − β2^t) = {F(v_hat)}")
        else:
            v_hat = v / bc2
            lines.append(f"v̂ = v/(1 − β2^t) = {F(v)}/(1 − {fmt(b2, digits)}^{t}) = {F(v_hat)}")
        step = lr * m_hat / (np.sqrt(v_hat) + eps)
        start = w * (1 - lr * wd) if name == "adamw" and wd else w
        lines.append(f"{label} ← {label} − lr·m̂/(√v̂ + ε) = {F(start)} − {fmt(lr, digits)}·{F(m_hat)}/"
                     f"(√{F(v_hat)} + {fmt(eps, digits)}) = {F(start)} − {F(step)} = {F(new)}")
        return lines
    if name == "rmsprop":
        alpha, eps, mu = s["alpha"], s["eps"], s["momentum"]
        sq0, sq = b.get("square_avg", np.zeros_like(g)), np.asarray(a["square_avg"], float)
        lines.append(f"v ← α·v + (1 − α)·g² = {fmt(alpha, digits)}·{F(sq0)} + {fmt(1 - alpha, digits)}"
                     f"·{F(g * g)} = {F(sq)}")
        if s["centered"]:
            ga = np.asarray(a["grad_avg"], float)
            lines.append(f"centered: ḡ ← α·ḡ + (1 − α)·g = {F(ga)}")
            d = np.sqrt(sq - ga * ga) + eps
            lines.append(f"d = √(v − ḡ²) + ε = {F(d)}")
        else:
            d = np.sqrt(sq) + eps
            lines.append(f"d = √v + ε = √{F(sq)} + {fmt(eps, digits)} = {F(d)}")
        if mu:
            buf = np.asarray(a["momentum_buffer"], float)
            lines.append(f"momentum buffer: b ← {fmt(mu, digits)}·b + g/d = {F(buf)}")
            lines.append(f"{label} ← {label} − lr·b = {F(w)} − {fmt(lr, digits)}·{F(buf)} = {F(new)}")
        else:
            lines.append(f"{label} ← {label} − lr·g/d = {F(w)} − {fmt(lr, digits)}·{F(g)}/{F(d)} = {F(new)}")
        return lines
    if name == "adagrad":
        t = a["step"]
        clr = lr / (1 + (t - 1) * s["lr_decay"])
        total = np.asarray(a["sum"], float)
        if s["lr_decay"]:
            lines.append(f"decayed rate: lr/(1 + (t − 1)·{fmt(s['lr_decay'], digits)}) = {fmt(clr, digits)}"
                         f"   (t = {t})")
        lines.append(f"S ← S + g² = {F(b.get('sum', total - g * g))} + {F(g * g)} = {F(total)}")
        lines.append(f"{label} ← {label} − lr·g/(√S + ε) = {F(w)} − {fmt(clr, digits)}·{F(g)}/"
                     f"(√{F(total)} + {fmt(s['eps'], digits)}) = {F(new)}")
        return lines
    # adadelta
    rho, eps = s["rho"], s["eps"]
    sq = np.asarray(a["square_avg"], float)
    acc0 = np.asarray(b.get("acc_delta", np.zeros_like(g)), float)
    acc = np.asarray(a["acc_delta"], float)
    lines.append(f"v ← ρ·v + (1 − ρ)·g² = {fmt(rho, digits)}·{F(b.get('square_avg', np.zeros_like(g)))} + "
                 f"{fmt(1 - rho, digits)}·{F(g * g)} = {F(sq)}")
    delta = np.sqrt(acc0 + eps) / np.sqrt(sq + eps) * g
    lines.append(f"Δ = √(u + ε)/√(v + ε)·g = √({F(acc0)} + {fmt(eps, digits)})/√({F(sq)} + {fmt(eps, digits)})"
                 f"·{F(g)} = {F(delta)}")
    lines.append(f"u ← ρ·u + (1 − ρ)·Δ² = {F(acc)}")
    lines.append(f"{label} ← {label} − lr·Δ = {F(w)} − {fmt(lr, digits)}·{F(delta)} = {F(new)}")
    return lines


def tensor_update_lines(plan: UpdatePlan, pu: ParamUpdate, spec, digits: int = 9) -> list[str]:
    """A whole tensor's update, named as everywhere else (``W1``) with its file name."""
    from .naming import labelled, tensor_name
    lines = update_lines(plan, pu, tensor_name(spec, pu.name), digits)
    return [f"{labelled(spec, pu.name)}:"] + [f"  {line}" for line in lines]


def state_lines(settings: dict, state: dict, label: str, digits: int = 6) -> list[str]:
    """What the optimizer remembers about one element, and the step size that follows from it."""
    name, lr = settings["name"], settings["lr"]
    title = optimizer_title(settings)
    if name == "sgd" and not settings["momentum"]:
        return [f"{title} keeps no state: each update moves {label} by −lr·g with lr = {fmt(lr, digits)}"]
    if not state:
        return [f"{title}: no state yet for {label} (the first update creates it)"]
    if name == "sgd":
        b = state["momentum_buffer"]
        return [f"{title}: momentum buffer b = {fmt(b, digits)}",
                f"the next update moves {label} by about −lr·b = {fmt(-lr * b, digits)} plus −lr·g"]
    if name in ("adam", "adamw"):
        b1, b2 = settings["betas"]
        t = int(state["step"])
        m, v = float(state["exp_avg"]), float(state["exp_avg_sq"])
        if settings["amsgrad"]:
            v = float(state["max_exp_avg_sq"])
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        rate = lr / (math.sqrt(v_hat) + settings["eps"])
        # Written out without combining hats: they render badly in many interface fonts.
        return [f"{title} after {t:,} update{'s' if t != 1 else ''}: m = {fmt(m, digits)}, v = {fmt(v, digits)}",
                f"bias-corrected: m/(1 − β1^t) = {fmt(m_hat, digits)}, v/(1 − β2^t) = {fmt(v_hat, digits)}",
                f"step size now: lr·(corrected m)/(√(corrected v) + ε) = "
                f"{fmt(lr * m_hat / (math.sqrt(v_hat) + settings['eps']), digits)}; "
                f"effective rate lr/(√(corrected v) + ε) = {fmt(rate, digits)}"]
    if name == "rmsprop":
        v = float(state["square_avg"])
        centre = float(state["grad_avg"]) if "grad_avg" in state else 0.0
        d = math.sqrt(max(v - centre * centre, 0.0)) + settings["eps"]
        lines = [f"{title}: v = {fmt(v, digits)}" + (f", ḡ = {fmt(centre, digits)}" if "grad_avg" in state else "")]
        if "momentum_buffer" in state:
            lines.append(f"momentum buffer b = {fmt(state['momentum_buffer'], digits)}")
        lines.append(f"effective rate lr/d = {fmt(lr / d, digits)} (d = {fmt(d, digits)})")
        return lines
    if name == "adagrad":
        total = float(state["sum"])
        t = int(state["step"])
        clr = lr / (1 + (t - 1) * settings["lr_decay"])
        return [f"{title} after {t:,} updates: S = Σg² = {fmt(total, digits)}",
                f"effective rate lr/(√S + ε) = {fmt(clr / (math.sqrt(total) + settings['eps']), digits)}"]
    v, u = float(state["square_avg"]), float(state["acc_delta"])
    eps = settings["eps"]
    return [f"{title}: v = {fmt(v, digits)}, u = {fmt(u, digits)}",
            f"effective rate lr·√(u + ε)/√(v + ε) = {fmt(lr * math.sqrt(u + eps) / math.sqrt(v + eps), digits)}"]
