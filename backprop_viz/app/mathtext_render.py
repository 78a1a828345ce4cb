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

from PySide6.QtGui import QColor, QImage

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


@lru_cache(maxsize=1024)
def render(line: str, color: str = "#000000", dpi: int = 100) -> QImage | None:
    """The line as an image (transparent background), or None if mathtext cannot set it."""
    import numpy as np
    from matplotlib.mathtext import MathTextParser
    try:
        # One parse straight to an alpha mask (math_to_image parses twice and draws a figure).
        mask = np.asarray(MathTextParser("agg").parse(mathtext_of(line), dpi=dpi).image, dtype=np.uint8)
    except Exception:  # noqa: BLE001 - any parse failure means: show the plain text
        return None
    if mask.ndim != 2 or mask.size == 0:
        return None
    h, w = mask.shape
    c = QColor(color)
    rgba = np.empty((h, w, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = c.red(), c.green(), c.blue()
    rgba[..., 3] = mask
    rgba = np.ascontiguousarray(rgba)
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


_PLAIN = re.compile(r"[\s=0-9.,eE+\-−×·/()²∞]*")


def is_plain(segment: str) -> bool:
    """Numbers and operators only: drawn as text (mathtext would take tens of ms to parse each new one)."""
    return bool(_PLAIN.fullmatch(segment.replace("exp", "").replace("NaN", "")))


def pieces(line: str) -> list[tuple[str, str]]:
    """A line as ("math" | "plain", text) pieces, broken at its equals signs so long equations wrap.

    ``a = b = 0.1 × 0.2 = 0.02 because s > 0`` → math ``a = b``, plain ``= 0.1 × 0.2``,
    plain ``= 0.02``, plain ``because s > 0``."""
    main, sep, reason = line.partition(" because ")
    parts = main.split(" = ")
    out = [("math", f"{parts[0]} = {parts[1]}" if len(parts) > 1 else parts[0])]
    for p in parts[2:]:
        seg = f"= {p}"
        out.append(("plain" if is_plain(seg) else "math", seg))
    if sep:
        out.append(("plain", f"because {reason}"))
    return out


CHUNK_CHARS = 44


def _split_sum(text: str) -> list[str]:
    """A long sum broken before its top-level " + " signs into chunks of about CHUNK_CHARS."""
    if len(text) <= CHUNK_CHARS:
        return [text]
    terms, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([" and 1 or (-1 if ch in ")]" else 0)
        if depth == 0 and text.startswith(" + ", i):
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    chunks = [terms[0]]
    for t in terms[1:]:
        if len(chunks[-1]) + len(t) + 1 > CHUNK_CHARS:
            chunks.append(t)
        else:
            chunks[-1] += " " + t
    return chunks


def wrapped_pieces(line: str) -> list[tuple[str, str]]:
    """:func:`pieces`, with long sums broken into chunks that wrap too."""
    return [(kind, chunk) for kind, text in pieces(line) for chunk in _split_sum(text)]


def segments(line: str) -> list[str]:
    """The texts of :func:`pieces`."""
    return [text for _, text in pieces(line)]
