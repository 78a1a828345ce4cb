"""Weight initialisers, following torch.nn.init's formulas."""

from __future__ import annotations

import math

import numpy as np

from .errors import SpecError
from .fields import _show, is_number

DEFAULT_PARAMS = {
    "xavier_uniform": {"gain": 1.0},
    "xavier_normal": {"gain": 1.0},
    "he_uniform": {},
    "he_normal": {},
    "lecun_normal": {},
    "normal": {"mean": 0.0, "std": 1.0},
    "uniform": {"low": 0.0, "high": 1.0},
    "zeros": {},
}
NAMES = tuple(DEFAULT_PARAMS)


def parse_init(value, path: str) -> dict:
    """``"he_normal"`` or ``{"name": "normal", "std": 0.1}`` → ``{"name":…, params…}``."""
    if isinstance(value, str):
        name, given = value, {}
    elif isinstance(value, dict) and isinstance(value.get("name"), str):
        name, given = value["name"], {k: v for k, v in value.items() if k != "name"}
    else:
        raise SpecError(path, f"expected an initialiser name or object with 'name', got {value!r}")
    if name not in DEFAULT_PARAMS:
        raise SpecError(path, f"unknown {name!r} (expected one of {', '.join(NAMES)})")
    params = dict(DEFAULT_PARAMS[name])
    for key, v in given.items():
        if key not in params:
            allowed = ", ".join(params) or "none"
            raise SpecError(f"{path}.{key}", f"not a parameter of {name} (parameters: {allowed})")
        if not is_number(v):
            raise SpecError(f"{path}.{key}", f"expected a finite number, got {_show(v)}")
        params[key] = float(v)
    if name == "normal" and params["std"] < 0:
        raise SpecError(f"{path}.std", f"must not be negative, got {params['std']}")
    if name == "uniform" and params["low"] > params["high"]:
        raise SpecError(f"{path}.low", f"must not exceed high ({params['high']}), got {params['low']}")
    return {"name": name, **params}


def initial_weight(init: dict, fan_in: int, fan_out: int, rng: np.random.Generator,
                   dtype=np.float64) -> np.ndarray:
    name = init["name"]
    shape = (fan_in, fan_out)
    if name == "xavier_uniform":
        a = init["gain"] * math.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-a, a, shape)
    elif name == "xavier_normal":
        w = rng.normal(0.0, init["gain"] * math.sqrt(2.0 / (fan_in + fan_out)), shape)
    elif name == "he_uniform":
        a = math.sqrt(6.0 / fan_in)
        w = rng.uniform(-a, a, shape)
    elif name == "he_normal":
        w = rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)
    elif name == "lecun_normal":
        w = rng.normal(0.0, math.sqrt(1.0 / fan_in), shape)
    elif name == "normal":
        w = rng.normal(init["mean"], init["std"], shape)
    elif name == "uniform":
        w = rng.uniform(init["low"], init["high"], shape)
    elif name == "zeros":
        w = np.zeros(shape)
    else:
        raise AssertionError(name)
    return w.astype(dtype)


def to_json(init: dict):
    params = {k: v for k, v in init.items() if k != "name"}
    if params == DEFAULT_PARAMS[init["name"]]:
        return init["name"]
    return dict(init)
