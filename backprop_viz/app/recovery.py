"""Unsaved work kept in a recovery file, and offered back after a crash.

Each window has its own file (see :mod:`.recovery_files`), so a second
running instance never deletes the first one's.
"""

from __future__ import annotations

import json
import os

from ..engine import SpecError
from ..engine.files import read_json
from ..session.project import Project
from . import dialogs
from .recovery_files import InstanceRecovery


class Recovery:
    """Writes, discards and offers the recovery file of one main window."""

    def __init__(self, window):
        self.window = window
        self.files = InstanceRecovery()

    @property
    def path(self):
        """This window's recovery file."""
        return self.files.path

    @property
    def _lock(self):
        return self.files._lock

    def write(self) -> None:
        doc = self.window.doc
        if not doc.modified:
            return
        payload = {"path": doc.path, "project": doc.project_for_file().to_dict()}
        try:
            self.files.write(json.dumps(payload) + "\n")
        except OSError as exc:
            self.window.statusBar().showMessage(f"Autosave failed: {exc.strerror or exc}", 8000)

    def discard(self) -> None:
        self.files.discard()

    def keep(self) -> None:
        self.files.keep()

    def close(self) -> None:
        self.files.close()

    def offer(self) -> bool:
        """After a crash, offer the unsaved work a window that died left behind."""
        path = self.files.claim_orphan()
        if path is None:
            return False
        try:
            payload = read_json(path, "recovery file")
            project = Project.from_dict(payload["project"])
            original = payload.get("path")
            if original is not None and not isinstance(original, str):
                raise SpecError("path", "expected text")
        except (KeyError, TypeError, SpecError) as exc:
            self.files.discard_claimed()
            self.window.statusBar().showMessage(f"An unreadable recovery file was removed ({exc})", 8000)
            return False
        name = os.path.basename(original) if original else "an untitled project"
        if not dialogs.ask_yes_no(self.window, "Restore unsaved work",
                                  f"backprop-viz closed with unsaved changes to {name}.\n"
                                  "Restore them?"):
            self.files.discard_claimed()
            return False
        self.window.restore_document(project, original)
        self.write()     # now this window's, before the dead one's goes
        self.files.discard_claimed()
        return True
