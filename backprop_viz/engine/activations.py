"""Activation functions: value, local derivative, and their names.

Each activation is elementwise except softmax, whose Jacobian couples the
units of a sample; its backward rule is the Jacobian-vector product.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import SpecError
from .fields import _show, is_number


def sigmoid(z):
    # exp(-log(1+e^-z)) never overflows and keeps tiny values (e^-40) exact,
    # which the log-scale gradient views need.
    return np.exp(-np.logaddexp(0, -z))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    name: str
    params: dict = field(default_factory=dict)

    # -- values -------------------------------------------------------------
    def forward(self, z):
        n, p = self.name, self.params
        if n == "identity":
            return z
        if n == "sigmoid":
            return sigmoid(z)
        if n == "tanh":
            return np.tanh(z)
        if n == "relu":
            return np.maximum(z, 0)
        if n == "leaky_relu":
            return np.where(z > 0, z, z * p["negative_slope"])
        if n == "elu":
            a = p["alpha"]
            return np.where(z > 0, z, a * np.expm1(np.minimum(z, 0)))
        if n == "silu":
            return z * sigmoid(z)
        if n == "softplus":
            return np.logaddexp(0, z)
        if n == "softmax":
            return softmax(z)
        raise AssertionError(n)

    def derivative(self, z, y):
        """dy/dz elementwise (for softmax: the diagonal, s·(1−s))."""
        n, p = self.name, self.params
        if n == "identity":
            return np.ones_like(z)
        if n == "sigmoid":
            return y * (1 - y)
        if n == "tanh":
            return 1 - y * y
        if n == "relu":
            return (z > 0).astype(z.dtype)
        if n == "leaky_relu":
            return np.where(z > 0, 1.0, p["negative_slope"]).astype(z.dtype)
        if n == "elu":
            return np.where(z > 0, 1.0, y + p["alpha"]).astype(z.dtype)
        if n == "silu":
            s = sigmoid(z)
            return s * (1 + z * (1 - s))
        if n == "softplus":
            return sigmoid(z)
        if n == "softmax":
            return y * (1 - y)
        raise AssertionError(n)

    def vjp(self, z, y, g):
        """Gradient with respect to z given upstream gradient g."""
        if self.name == "softmax":
            return y * (g - (g * y).sum(axis=-1, keepdims=True))
        if self.name == "relu":
            return g * (z > 0)
        return g * self.derivative(z, y)

    def to_json(self):
        if self.params == DEFAULT_PARAMS[self.name]:
            return self.name
        return {"name": self.name, **self.params}

    def formula(self, arg: str) -> str:
        n, p = self.name, self.params
        return {
            "identity": f"{arg}",
            "sigmoid": f"1/(1+e^(-{arg}))",
            "tanh": f"tanh({arg})",
            "relu": f"max(0, {arg})",
            "leaky_relu": f"max({p.get('negative_slope')}·{arg}, {arg})",
            "elu": f"elu({arg}; α={p.get('alpha')})",
            "silu": f"{arg}·sigmoid({arg})",
            "softplus": f"ln(1+e^{arg})",
            "softmax": f"softmax({arg})",
        }[n]


DEFAULT_PARAMS = {
    "identity": {},
    "sigmoid": {},
    "tanh": {},
    "relu": {},
    "leaky_relu": {"negative_slope": 0.01},
    "elu": {"alpha": 1.0},
    "silu": {},
    "softplus": {},
    "softmax": {},
}
ALIASES = {"swish": "silu", "linear": "identity"}
NAMES = tuple(DEFAULT_PARAMS)


def parse_activation(value, path: str) -> Activation:
    """Accept ``"tanh"`` or ``{"name": "leaky_relu", "negative_slope": 0.2}``."""
    if isinstance(value, str):
        name, given = value, {}
    elif isinstance(value, dict):
        if "name" not in value:
            raise SpecError(path, "an activation object needs a 'name'")
        name = value["name"]
        given = {k: v for k, v in value.items() if k != "name"}
    else:
        raise SpecError(path, f"expected a name or an object, got {type(value).__name__}")
    if not isinstance(name, str):
        raise SpecError(path, f"expected a name, got {name!r}")
    name = ALIASES.get(name, name)
    if name not in DEFAULT_PARAMS:
        raise SpecError(path, f"unknown {name!r} (expected one of {', '.join(NAMES)}, swish)")
    params = dict(DEFAULT_PARAMS[name])
    for key, v in given.items():
        if key not in params:
            allowed = ", ".join(params) or "none"
            raise SpecError(f"{path}.{key}", f"not a parameter of {name} (parameters: {allowed})")
        if not is_number(v):
            raise SpecError(f"{path}.{key}", f"expected a finite number, got {_show(v)}")
        if key == "alpha" and v <= 0:
            raise SpecError(f"{path}.{key}", f"must be positive, got {v!r}")
        params[key] = float(v)
    return Activation(name, params)
