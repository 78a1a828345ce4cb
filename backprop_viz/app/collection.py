"""Python's cyclic garbage collection, moved out of the way of a big rebuild.

Replacing a document with a big walk frees tens of thousands of objects and
makes as many new ones; Python's full collection (~0.1 s with such a walk
open) then tends to land in the middle of building the new document and
doubles the window's longest pause. Here the collector waits while the
document is built and runs on its own a moment later, once the window has
painted and answered what came in meanwhile.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from PySide6.QtCore import QTimer

_state = {"pending": False, "was_enabled": True, "depth": 0}
LATER_MS = 150      # long enough for the new document's first paint and queued input to go first


@contextmanager
def collection_deferred():
    """No collection inside the block; one full collection ``LATER_MS`` after it."""
    if not _state["pending"] and not _state["depth"]:
        _state["was_enabled"] = gc.isenabled()
    _state["depth"] += 1
    gc.disable()
    try:
        yield
    finally:
        _state["depth"] -= 1
        if not _state["pending"] and not _state["depth"]:
            _state["pending"] = True
            QTimer.singleShot(LATER_MS, collect_now)


def collect_now() -> None:
    """The deferred collection (also called when the window closes, so it is never left off)."""
    if not _state["pending"]:
        return
    if _state["depth"]:             # another document is being built right now: after it
        QTimer.singleShot(LATER_MS, collect_now)
        return
    _state["pending"] = False
    if _state["was_enabled"]:
        gc.enable()
        gc.collect()
