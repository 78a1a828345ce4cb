"""Recovery files, one per running window, so instances never touch each other's.

Each window writes its unsaved work to ``recovery-<pid>-<n>.json`` and holds
``recovery-<pid>-<n>.lock`` while it runs. At start, a recovery file whose lock
can be taken belonged to a window that died without closing: that is the work
to offer back. A file whose owner still runs is left alone. Temporary files a
killed save left in the folder are removed.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from PySide6.QtCore import QLockFile

from ..engine.files import clean_stale_temp_files, write_text_atomic
from .settings import data_dir

_numbers = itertools.count(1)
LEGACY_NAME = "recovery.json"     # written by builds before per-instance files


class InstanceRecovery:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else data_dir()
        token = f"{os.getpid()}-{next(_numbers)}"
        self.path = self.folder / f"recovery-{token}.json"
        self._lock = self._locker(self.path)
        self._lock.tryLock(0)
        self._claimed: tuple[Path, QLockFile | None] | None = None
        self._keep = False
        clean_stale_temp_files(self.folder)
        self._clean_stale_locks()

    @staticmethod
    def _locker(path: Path) -> QLockFile:
        lock = QLockFile(str(path.with_suffix(".lock")))
        lock.setStaleLockTime(0)      # stale only when its process is gone, however old
        return lock

    # -- this window's file ----------------------------------------------------------
    def write(self, text: str) -> None:
        write_text_atomic(self.path, text)

    def discard(self) -> None:
        _unlink(self.path)

    def keep(self) -> None:
        """Closing without asking (SIGTERM): the file stays for the next start."""
        self._keep = True

    def close(self) -> None:
        """The window closes: its file goes (unless kept), and so does the lock."""
        if not self._keep:
            self.discard()
        self._lock.unlock()

    def _clean_stale_locks(self) -> None:
        """Locks of windows that died with nothing to recover (no file beside them)."""
        for lock_path in self.folder.glob("recovery-*.lock"):
            if lock_path.with_suffix(".json").exists() or lock_path == self.path.with_suffix(".lock"):
                continue
            lock = QLockFile(str(lock_path))
            lock.setStaleLockTime(0)
            if lock.tryLock(0):
                lock.unlock()       # removes the file

    # -- files left by windows that died ------------------------------------------------
    def claim_orphan(self) -> Path | None:
        """The recovery file of a window that died (now locked by this one), or None."""
        legacy = self.folder / LEGACY_NAME
        if legacy.exists():
            self._claimed = (legacy, None)
            return legacy
        for path in sorted(self.folder.glob("recovery-*.json"), key=_mtime, reverse=True):
            if path == self.path:
                continue
            lock = self._locker(path)
            if lock.tryLock(0):
                self._claimed = (path, lock)
                return path
        return None

    def discard_claimed(self) -> None:
        if self._claimed is None:
            return
        path, lock = self._claimed
        _unlink(path)
        if lock is not None:
            lock.unlock()
        self._claimed = None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
