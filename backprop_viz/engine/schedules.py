"""Learning-rate schedules, stepped once per epoch (closed forms of torch's)."""

from __future__ import annotations

import math

from .errors import SpecError
from .fields import _show, is_number

DEFAULTS = {
    "step": {"step_size": 10, "gamma": 0.1},
    "exponential": {"gamma": 0.95},
    "cosine": {"T_max": 100, "eta_min": 0.0},
}


def parse_schedule(cfg, path="schedule"):
    if cfg is None:
        return None
    if isinstance(cfg, str):
        cfg = {"name": cfg}
    if not isinstance(cfg, dict) or not isinstance(cfg.get("name"), str) or cfg["name"] not in DEFAULTS:
        raise SpecError(path, f"expected one of {', '.join(DEFAULTS)} (or null), got {cfg!r}")
    out = {"name": cfg["name"], **DEFAULTS[cfg["name"]]}
    for key, v in cfg.items():
        if key == "name":
            continue
        if key not in out:
            raise SpecError(f"{path}.{key}", f"not a setting of {cfg['name']} "
                                             f"(settings: {', '.join(DEFAULTS[cfg['name']])})")
        if not is_number(v) or v < 0:
            raise SpecError(f"{path}.{key}", f"expected a number ≥ 0, got {_show(v)}")
        out[key] = v
    for key in ("step_size", "T_max"):
        if key in out and (int(out[key]) != out[key] or out[key] < 1):
            raise SpecError(f"{path}.{key}", f"expected a whole number ≥ 1, got {out[key]!r}")
    return out


def scheduled_lr(schedule: dict | None, base_lr: float, epoch: int) -> float:
    """Learning rate after ``epoch`` completed epochs."""
    if schedule is None:
        return base_lr
    name = schedule["name"]
    if name == "step":
        return base_lr * schedule["gamma"] ** (epoch // int(schedule["step_size"]))
    if name == "exponential":
        return base_lr * schedule["gamma"] ** epoch
    t_max, eta_min = schedule["T_max"], schedule["eta_min"]
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2
