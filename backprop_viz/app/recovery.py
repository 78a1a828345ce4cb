"""Unsaved work kept in a recovery file, and offered back after a crash."""

from __future__ import annotations

import json
import os

from ..engine import SpecError
from ..engine.files import write_text_atomic
from ..session.project import Project
from . import dialogs
from .settings import recovery_path


class Recovery:
    """Writes, discards and offers the recovery file of one main window."""

    def __init__(self, window):
        self.window = window

    def write(self) -> None:
        doc = self.window.doc
        if not doc.modified:
            return
        payload = {"path": doc.path, "project": doc.project.to_dict()}
        try:
            write_text_atomic(recovery_path(), json.dumps(payload) + "\n")
        except OSError as exc:
            self.window.statusBar().showMessage(f"Autosave failed: {exc.strerror or exc}", 8000)

    def discard(self) -> None:
        try:
            os.unlink(recovery_path())
        except FileNotFoundError:
            pass
        except OSError:
            pass

    def offer(self) -> bool:
        """After a crash, offer the unsaved work left in the recovery file."""
        path = recovery_path()
        if not path.exists():
            return False
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            project = Project.from_dict(payload["project"])
            original = payload.get("path")
        except (ValueError, KeyError, TypeError, SpecError, OSError):
            self.discard()
            return False
        name = os.path.basename(original) if original else "an untitled project"
        if not dialogs.ask_yes_no(self.window, "Restore unsaved work",
                                  f"backprop-viz closed with unsaved changes to {name}.\n"
                                  "Restore them?"):
            self.discard()
            return False
        self.window.restore_document(project, original)
        return True
