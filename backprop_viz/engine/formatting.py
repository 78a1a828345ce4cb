"""Numbers as a learner reads them.

The textbook worked example prints values to 9 decimal places
(0.874352143, 0.009276093), so that is the default: learners compare digit
by digit. Values too small or too large for that (vanishing or exploding
gradients) switch to scientific notation with as many significant digits.
"""

from __future__ import annotations

import math

DEFAULT_DIGITS = 9


def fmt(value, digits: int = DEFAULT_DIGITS) -> str:
    """``1.94`` → ``'1.94'``; ``0.0092760925`` → ``'0.009276093'``; ``3e-12`` → ``'3e-12'``."""
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"
    if 10.0 ** -(digits // 2) <= abs(v) < 1e7:
        text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
        if text not in ("0", "-0"):
            return text
    mant, exp = f"{v:.{max(digits - 1, 0)}e}".split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def fmt_signed_term(value, digits: int = DEFAULT_DIGITS) -> str:
    """A factor inside a product: negative numbers in parentheses."""
    text = fmt(value, digits)
    return f"({text})" if float(value) < 0 else text
