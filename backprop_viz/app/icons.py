"""Icons from qtawesome's bundled fonts (no network)."""

from __future__ import annotations

import qtawesome as qta


def icon(name: str):
    try:
        return qta.icon(name)
    except Exception:  # a missing glyph must not stop the app
        return None
