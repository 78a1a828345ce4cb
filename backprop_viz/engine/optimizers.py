"""Optimizers with torch.optim's update rules, argument names and defaults.

Each ``step(params, grads)`` updates the arrays in ``params`` in place, in
the same order of operations as PyTorch's single-tensor (for-loop) code so
that results agree to rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import SpecError
from .fields import is_number

DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
    "adamw": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False},
    "rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "momentum": 0.0, "centered": False,
                "weight_decay": 0.0},
    "adagrad": {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
                "eps": 1e-10},
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
}
NAMES = tuple(DEFAULTS)


def parse_optimizer(cfg, path="optimizer") -> dict:
    """``"adam"`` or ``{"name": "sgd", "lr": 0.1, …}`` → complete settings."""
    if isinstance(cfg, str):
        cfg = {"name": cfg}
    if not isinstance(cfg, dict) or not isinstance(cfg.get("name"), str):
        raise SpecError(path, f"expected an optimizer name or an object with 'name', got {cfg!r}")
    name = cfg["name"].lower()
    if name not in DEFAULTS:
        raise SpecError(f"{path}.name", f"unknown {cfg['name']!r} (expected one of {', '.join(NAMES)})")
    out = {"name": name, **DEFAULTS[name]}
    for key, v in cfg.items():
        if key == "name":
            continue
        if key not in DEFAULTS[name]:
            raise SpecError(f"{path}.{key}",
                            f"not a setting of {name} (settings: {', '.join(DEFAULTS[name])})")
        default = DEFAULTS[name][key]
        if isinstance(default, bool):
            if not isinstance(v, bool):
                raise SpecError(f"{path}.{key}", f"expected true or false, got {v!r}")
        elif isinstance(default, tuple):
            if (not isinstance(v, (list, tuple)) or len(v) != 2
                    or not all(_finite(b) and 0 <= b < 1 for b in v)):
                raise SpecError(f"{path}.{key}", f"expected two numbers in [0, 1), got {v!r}")
            v = (float(v[0]), float(v[1]))
        else:
            if not _finite(v):
                raise SpecError(f"{path}.{key}", f"expected a finite number, got {v!r}")
            if v < 0:
                raise SpecError(f"{path}.{key}", f"must not be negative, got {v!r}")
            v = float(v)
        out[key] = v
    if name == "sgd" and out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
        raise SpecError(f"{path}.nesterov", "needs momentum > 0 and dampening 0")
    for key in ("alpha", "rho"):
        if key in out and out[key] > 1:
            raise SpecError(f"{path}.{key}", f"must be at most 1, got {out[key]}")
    return out


_finite = is_number


class Optimizer:
    def __init__(self, settings: dict):
        self.settings = settings
        self.state: dict[str, dict] = {}
        self.steps = 0

    @property
    def lr(self) -> float:
        return self.settings["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        self.settings["lr"] = float(value)

    def step(self, params: dict, grads: dict) -> None:
        self.steps += 1
        for name, p in params.items():
            g = grads.get(name)
            if g is not None:
                self.update(name, p, g, self.state.setdefault(name, {}))

    def step_flat(self, flat, flat_grad) -> None:
        """One update of all parameters packed in one array (every rule here is
        elementwise, so this equals updating them one by one)."""
        self.steps += 1
        self.update("*", flat, flat_grad, self.state.setdefault("*", {}))

    def update(self, name, p, g, state):  # pragma: no cover - abstract
        raise AssertionError("subclass responsibility")

    def _scratch(self, p, i: int = 0) -> np.ndarray:
        # Kept outside ``state``: it holds nothing between steps, so it is
        # neither shown nor saved.
        bufs = self.__dict__.setdefault("_tmp", [])
        while len(bufs) <= i:
            bufs.append(None)
        tmp = bufs[i]
        if tmp is None or tmp.shape != p.shape or tmp.dtype != p.dtype:
            tmp = bufs[i] = np.empty_like(p)
        return tmp


class SGD(Optimizer):
    def update(self, name, p, g, state):
        s = self.settings
        tmp = self._scratch(p)
        if s["weight_decay"]:
            g = g + s["weight_decay"] * p
        if s["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= s["momentum"]
                np.multiply(1 - s["dampening"], g, out=tmp)
                buf += tmp
            g = g + s["momentum"] * buf if s["nesterov"] else buf
        np.multiply(s["lr"], g, out=tmp)
        p -= tmp


class Adam(Optimizer):
    decoupled = False

    def update(self, name, p, g, state):
        s = self.settings
        lr, (b1, b2), eps, wd = s["lr"], s["betas"], s["eps"], s["weight_decay"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if s["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if wd:
            if self.decoupled:
                p *= 1 - lr * wd
            else:
                g = g + wd * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # The same operations as torch's, written into one scratch array
        # (a step of a small network is per-call and allocation overhead).
        tmp = self._scratch(p)
        np.subtract(g, m, out=tmp)       # torch: exp_avg.lerp_(grad, 1 - beta1)
        tmp *= 1 - b1
        m += tmp
        v *= b2
        np.multiply(1 - b2, g, out=tmp)
        tmp *= g
        v += tmp
        bc1 = 1 - b1 ** t
        bc2_sqrt = math.sqrt(1 - b2 ** t)
        if s["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            np.sqrt(state["max_exp_avg_sq"], out=tmp)
        else:
            np.sqrt(v, out=tmp)
        tmp /= bc2_sqrt
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / bc1
        p -= tmp


class AdamW(Adam):
    decoupled = True


class RMSprop(Optimizer):
    def update(self, name, p, g, state):
        s = self.settings
        if not state:
            state["square_avg"] = np.zeros_like(p)
            if s["momentum"]:
                state["momentum_buffer"] = np.zeros_like(p)
            if s["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        if s["weight_decay"]:
            g = g + s["weight_decay"] * p
        tmp, avg = self._scratch(p), self._scratch(p, 1)
        alpha = s["alpha"]
        sq = state["square_avg"]
        sq *= alpha
        np.multiply(1 - alpha, g, out=tmp)
        tmp *= g
        sq += tmp
        if s["centered"]:
            ga = state["grad_avg"]
            np.subtract(g, ga, out=tmp)
            tmp *= 1 - alpha
            ga += tmp
            np.multiply(ga, ga, out=avg)
            np.subtract(sq, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(sq, out=avg)
        avg += s["eps"]
        np.divide(g, avg, out=tmp)
        if s["momentum"]:
            buf = state["momentum_buffer"]
            buf *= s["momentum"]
            buf += tmp
            np.multiply(s["lr"], buf, out=tmp)
        else:
            tmp *= s["lr"]
        p -= tmp


class Adagrad(Optimizer):
    def update(self, name, p, g, state):
        s = self.settings
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p, s["initial_accumulator_value"])
        state["step"] += 1
        if s["weight_decay"]:
            g = g + s["weight_decay"] * p
        tmp = self._scratch(p)
        clr = s["lr"] / (1 + (state["step"] - 1) * s["lr_decay"])
        np.multiply(g, g, out=tmp)
        state["sum"] += tmp
        np.sqrt(state["sum"], out=tmp)
        tmp += s["eps"]
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        p -= tmp


class Adadelta(Optimizer):
    def update(self, name, p, g, state):
        s = self.settings
        if not state:
            state["square_avg"] = np.zeros_like(p)
            state["acc_delta"] = np.zeros_like(p)
        if s["weight_decay"]:
            g = g + s["weight_decay"] * p
        delta, std = self._scratch(p), self._scratch(p, 1)
        rho, eps = s["rho"], s["eps"]
        sq, acc = state["square_avg"], state["acc_delta"]
        sq *= rho
        np.multiply(1 - rho, g, out=delta)
        delta *= g
        sq += delta
        np.add(sq, eps, out=std)
        np.sqrt(std, out=std)
        np.add(acc, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        acc *= rho
        np.multiply(1 - rho, delta, out=std)
        std *= delta
        acc += std
        delta *= s["lr"]
        p -= delta


CLASSES = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
           "adadelta": Adadelta}


def make_optimizer(cfg) -> Optimizer:
    settings = parse_optimizer(cfg)
    return CLASSES[settings["name"]](settings)
