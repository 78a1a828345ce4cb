"""Where the app keeps its settings and its recovery file."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings


def data_dir() -> Path:
    # Tests and portable installs point this elsewhere.
    override = os.environ.get("BACKPROP_VIZ_DATA_DIR")
    if override:
        path = Path(override)
    else:
        import platformdirs
        path = platformdirs.user_data_path("backprop-viz", appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def recovery_path() -> Path:
    return data_dir() / "recovery.json"


def app_settings() -> QSettings:
    return QSettings(str(data_dir() / "settings.ini"), QSettings.Format.IniFormat)
