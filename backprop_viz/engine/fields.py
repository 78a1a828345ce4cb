"""Checkers for the values of the file formats, and the settings declared once.

Every loader checks values with these (never a bare ``isinstance``), so a
list where a name belongs, a 400-digit integer or NaN all end as a
:class:`SpecError` naming the field, and never reach ``float()`` or a dict
lookup that would raise something else. The widgets take their ranges and
tooltips from :data:`SETTINGS`, so a limit is written in one place only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .budget import MAX_SAMPLES, MAX_TIME_STEPS, MAX_UNITS
from .errors import SpecError


def is_number(v) -> bool:
    """A finite real number as JSON gives it (bool is not; an int too large for a float is not)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def is_whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def number(v, path: str, low=None, high=None, *, low_open=False, high_open=False) -> float:
    if not is_number(v):
        raise SpecError(path, f"expected a finite number, got {_show(v)}")
    if low is not None and (v <= low if low_open else v < low):
        raise SpecError(path, f"must be {'above' if low_open else 'at least'} {low}, got {_show(v)}")
    if high is not None and (v >= high if high_open else v > high):
        raise SpecError(path, f"must be {'below' if high_open else 'at most'} {high}, got {_show(v)}")
    return float(v)


def whole(v, path: str, low=None, high=None) -> int:
    if not is_whole(v) or (low is not None and v < low) or (high is not None and v > high):
        if low == 1:
            want = "a positive whole number" + (f" (at most {high:,})" if high is not None else "")
        elif low is not None and high is not None:
            want = f"a whole number from {low} to {high}"
        elif low is not None:
            want = f"a whole number ≥ {low}"
        else:
            want = "a whole number"
        raise SpecError(path, f"expected {want}, got {_show(v)}")
    return v


def choice(v, options, path: str, what: str = "") -> str:
    """One of ``options`` (names only: a list or object there is refused, not hashed)."""
    if not isinstance(v, str) or v not in options:
        shown = repr(v) if isinstance(v, str) else _show(v)
        raise SpecError(path, f"unknown {what + ' ' if what else ''}{shown} (expected one of {', '.join(options)})")
    return v


def boolean(v, path: str) -> bool:
    if not isinstance(v, bool):
        raise SpecError(path, f"expected true or false, got {_show(v)}")
    return v


def _show(v) -> str:
    """A short rendering of a bad value (a 5000-digit integer is not printed whole)."""
    if is_whole(v) and abs(v) >= 10 ** 40:
        return f"a {len(str(abs(v))) if abs(v) < 10 ** 4000 else 'many'}-digit whole number"
    try:
        text = repr(v)
    except RecursionError:
        return "a deeply nested value"
    return text if len(text) <= 60 else text[:57] + "…"


@dataclass(frozen=True)
class Setting:
    """One field of the project format: its type, range, default and help text."""
    kind: str            # "int" or "float"
    low: float
    high: float
    default: float
    help: str

    def check(self, v, path: str):
        if self.kind == "int":
            return whole(v, path, int(self.low), int(self.high))
        return number(v, path, self.low, self.high)


# The widgets' spin boxes hold 32-bit integers: seeds stay below 2^31.
SEED_MAX = 2 ** 31 - 1

SETTINGS = {
    "seed": Setting("int", 0, SEED_MAX, 0, "Random seed: the same seed gives the same run"),
    "data.samples": Setting("int", 4, MAX_SAMPLES, 200, "How many samples the data set generates"),
    "data.noise": Setting("float", 0, 10, 0.1, "Standard deviation of the noise added to the samples"),
    "data.steps": Setting("int", 1, MAX_TIME_STEPS, 10, "Time steps per sequence"),
    "layer.units": Setting("int", 1, MAX_UNITS, 4, "How many neurons the layer has"),
    "view.digits": Setting("int", 1, 17, 9, "Decimal places shown"),
}
