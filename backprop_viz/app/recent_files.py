"""The list of recently opened files and the last folder used, kept in the settings."""

from __future__ import annotations

import json
import os

from PySide6.QtWidgets import QMenu

MAX_RECENT = 8


class RecentFiles:
    def __init__(self, settings, open_path):
        self.settings = settings
        self.open_path = open_path
        self.menu: QMenu | None = None

    def last_folder(self) -> str:
        return self.settings.value("last_folder", os.path.expanduser("~"), type=str)

    def files(self) -> list[str]:
        try:
            value = json.loads(self.settings.value("recent", "[]", type=str))
            return [p for p in value if isinstance(p, str)]
        except (ValueError, TypeError):
            return []

    def remember(self, path: str) -> None:
        path = os.path.abspath(path)
        self.settings.setValue("last_folder", os.path.dirname(path))
        recent = [p for p in self.files() if p != path]
        self.settings.setValue("recent", json.dumps([path] + recent[:MAX_RECENT - 1]))
        self.fill()

    def attach(self, menu: QMenu) -> None:
        self.menu = menu
        self.fill()

    def fill(self) -> None:
        if self.menu is None:
            return
        self.menu.clear()
        files = self.files()
        for p in files:
            self.menu.addAction(p, lambda _=False, p=p: self.open_path(p))
        self.menu.setEnabled(bool(files))
