"""Icons from qtawesome's bundled fonts (no network).

Every icon here is from Font Awesome 6 solid, so only that font is loaded: ``qtawesome.icon``
loads all twelve fonts qtawesome bundles at the first icon, a tenth of a second of the first
window's start-up. Any other name, or a qtawesome without that font, goes through
``qtawesome.icon`` as before.
"""

from __future__ import annotations

import qtawesome as qta

SOLID = "fa6s"
_solid = None        # the IconicFont holding only SOLID; False where it cannot be made


def _solid_font():
    global _solid
    if _solid is None:
        try:
            from qtawesome.iconic_font import IconicFont
            fonts = [f for f in getattr(qta, "_BUNDLED_FONTS", ()) if f[0] == SOLID]
            _solid = IconicFont(*fonts) if fonts else False
        except Exception:  # another qtawesome layout: its own loader still works
            _solid = False
    return _solid


def icon(name: str):
    try:
        font = _solid_font() if name.startswith(SOLID + ".") else False
        return font.icon(name) if font else qta.icon(name)
    except Exception:  # a missing glyph must not stop the app
        return None
