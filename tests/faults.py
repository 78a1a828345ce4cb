"""Ways to make writing fail as it does on a user's machine."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path


@contextlib.contextmanager
def small_tmpfs(where: Path, size_kb: int = 512):
    """A tiny tmpfs mounted at ``where`` (None where mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        yield None
        return
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                         capture_output=True)
    if res.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(where: Path) -> None:
    """Fill the file system holding ``where`` to its last byte."""
    for name, chunk in (("filler", 4096), ("filler2", 1)):
        with contextlib.suppress(OSError), open(where / name, "wb", buffering=0) as fh:
            while True:
                fh.write(b"\0" * chunk)


@contextlib.contextmanager
def full_tmpfs(where: Path, size_kb: int = 256):
    """A tiny tmpfs, filled up, with an empty folder ``out`` (None where mounting is not allowed)."""
    with small_tmpfs(where, size_kb) as disk:
        if disk is not None:
            (disk / "out").mkdir()
            fill(disk)
        yield disk
