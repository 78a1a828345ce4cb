"""File › Import weights…: safetensors weights trained elsewhere, as one undoable edit."""

from __future__ import annotations

import os

from ..engine import SpecError
from ..session.weights_import import import_weights
from . import dialogs

FILTER = "safetensors weights (*.safetensors);;All files (*)"


def import_weights_into(window, path: str | None = None) -> bool:
    """Ask for a file (unless given), check it against the network, apply it; False if nothing changed."""
    if path is None:
        folder = window.settings.value("export_folder", window._last_folder(), type=str)
        path = dialogs.open_path(window, "Import weights", folder, FILTER)
        if not path:
            return False
    # A running training would overwrite the imported weights with its own.
    window.training.pause()
    try:
        project = import_weights(window.doc.project, path)
    except SpecError as exc:
        dialogs.error(window, "Cannot import weights", f"{path} could not be imported:\n\n{exc}")
        return False
    window.doc.apply(project, "Import weights")
    window.statusBar().showMessage(f"Imported the weights of {os.path.basename(path)}", 5000)
    return True
