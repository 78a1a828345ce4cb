"""Ways to make writing fail as it does on a user's machine."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path


@contextlib.contextmanager
def full_tmpfs(where: Path, size_kb: int = 256):
    """A tiny tmpfs filled up (None where mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                         capture_output=True)
    if res.returncode != 0:
        yield None
        return
    try:
        (where / "out").mkdir()
        # Fill the disk to its last byte.
        for name, chunk in (("filler", 4096), ("filler2", 1)):
            with contextlib.suppress(OSError), open(where / name, "wb", buffering=0) as fh:
                while True:
                    fh.write(b"\0" * chunk)
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def free_some(where: Path, kb: int) -> None:
    """Room for an old file to be written before the disk fills again."""
    filler = where / "filler"
    size = os.path.getsize(filler)
    os.truncate(filler, max(size - kb * 1024, 0))
