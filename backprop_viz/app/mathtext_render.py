"""Formula lines rendered as mathematics, with matplotlib's mathtext.

Why mathtext: it ships inside matplotlib (a wheel, no TeX install, no network),
renders the subset of LaTeX our formulas use (fractions, ∂, σ, sub- and
superscripts) with its own bundled fonts, and is fast enough once warm (tens of
milliseconds per line, cached). A TeX install would be heavier and missing on
most learners' machines; QtSvg has no maths layout. Anything mathtext cannot
parse falls back to the plain text, which is kept for copying and export anyway.
"""

from __future__ import annotations

import re
from functools import lru_cache
from io import BytesIO

from PySide6.QtGui import QImage

from ..engine.derivation import tex_math


def mathtext_of(line: str) -> str:
    """Our math-mode LaTeX adapted to mathtext's dialect."""
    s = tex_math(line)
    s = s.replace(r"\tfrac", r"\frac")
    s = re.sub(r"\\le(?![a-z])", r"\\leq", s)
    s = re.sub(r"\\ge(?![a-z])", r"\\geq", s)

    def words(m):
        out = []
        for k, part in enumerate(m.group(1).split("$")):
            if k % 2:
                out.append(part)
            elif part:
                out.append(r"\mathrm{" + part.replace(" ", r"\ ") + "}")
        return "".join(out)
    s = re.sub(r"\\text\{([^{}]*)\}", words, s)
    return f"${s}$"


@lru_cache(maxsize=512)
def render(line: str, color: str = "#000000", dpi: int = 100) -> QImage | None:
    """The line as an image (transparent background), or None if mathtext cannot set it."""
    from matplotlib import figure
    from matplotlib.mathtext import MathTextParser
    text = mathtext_of(line)
    buf = BytesIO()
    try:
        # As matplotlib.mathtext.math_to_image, but on a transparent background.
        width, height, depth, _, _ = MathTextParser("path").parse(text, dpi=72)
        fig = figure.Figure(figsize=(width / 72.0, height / 72.0))
        fig.text(0, depth / height, text, color=color)
        fig.savefig(buf, dpi=dpi, format="png", transparent=True)
    except Exception:  # noqa: BLE001 - any parse failure means: show the plain text
        return None
    image = QImage.fromData(buf.getvalue(), "PNG")
    return None if image.isNull() else image


def segments(line: str) -> list[str]:
    """A long equation broken at its equals signs: ``a = b = c`` → ``a = b``, ``= c``.

    The pieces wrap onto new rows instead of scrolling sideways."""
    main, sep, reason = line.partition(" because ")
    parts = main.split(" = ")
    out = [f"{parts[0]} = {parts[1]}" if len(parts) > 1 else parts[0]]
    out += [f"= {p}" for p in parts[2:]]
    if sep:
        out[-1] += f" because {reason}"
    return out
