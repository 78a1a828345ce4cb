"""Reading and writing network files without ever leaving half a file."""

from __future__ import annotations

import errno
import json
import os
import tempfile
import time

from . import budget
from .errors import SpecError
from .network import Network

MAX_BYTES = budget.MAX_FILE_BYTES
# Temporary files of a save in progress: hidden, and recognisable for cleaning up.
TEMP_PREFIX = ".backprop-viz-tmp-"


def read_json(path, what: str = "file"):
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise SpecError(path, f"is {size / 1e6:.0f} MB, too large for a {what} "
                                  f"(at most {MAX_BYTES / 1e6:.0f} MB)")
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise SpecError(path, "no such file") from None
    except IsADirectoryError:
        raise SpecError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise SpecError(path, f"cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(path, f"is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(path, f"is not valid JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}") from None
    except RecursionError:
        raise SpecError(path, "is nested too deeply to be a network") from None
    except ValueError as exc:
        # Python refuses integers of more than 4300 digits, among others.
        raise SpecError(path, f"is not a usable JSON file ({str(exc)[:80]})") from None


def load_network(path) -> Network:
    data = read_json(path, "network file")
    if isinstance(data, dict) and "format" not in data:
        raise SpecError("format", "missing: not a backprop-viz network file")
    try:
        return Network.from_dict(data)
    except SpecError as exc:
        raise SpecError(f"{os.fspath(path)}: {exc.path}" if exc.path else os.fspath(path),
                        exc.detail) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(tmp: str, path: str) -> None:
    """Give a finished temporary file ordinary permissions and rename it into place."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def _why_unwritten(folder: str) -> tuple[int, str]:
    """A writer that only says it failed (Qt's painters): name the likely cause."""
    import shutil
    try:
        if shutil.disk_usage(folder).free < 1 << 16:
            return errno.ENOSPC, os.strerror(errno.ENOSPC)
    except OSError:
        pass
    return errno.EIO, "could not be written completely"


def write_atomic(path, write) -> None:
    """``write(tmp_path)`` fills a temporary file beside ``path``, which then
    replaces ``path`` in one rename; on any failure the old file stays and the
    temporary one goes. ``write`` returning False counts as a failure."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=os.path.splitext(path)[1] or ".tmp", dir=folder)
    except OSError as exc:
        # Name the file the user asked for, not the temporary one.
        raise OSError(exc.errno, exc.strerror, path) from None
    os.close(fd)
    try:
        if write(tmp) is False:
            raise OSError(*_why_unwritten(folder), path)
        publish(tmp, path)
        clean_stale_temp_files(folder)
    except OSError as exc:
        _remove(tmp)
        if exc.filename == tmp:
            raise OSError(exc.errno, exc.strerror, path) from None
        raise
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def clean_stale_temp_files(folder, max_age: float = 3600.0) -> int:
    """Remove temporary files a killed save left behind (older than an hour, so a
    save under way in another instance is never touched); how many went."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > max_age:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed


def write_bytes(tmp: str, data: bytes) -> None:
    """Fill a temporary file and make sure the bytes reached the disk (a full
    disk shows at write, flush or fsync)."""
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_text_atomic(path, text: str) -> None:
    """Write text so that ``path`` is either the old file or the whole new one."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    write_atomic(path, write)


def _is_numeric(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def dumps(obj, indent: str = "") -> str:
    """JSON with objects laid out one key per line but every array of numbers
    (weights, samples) on one line without spaces: readable, and a large data
    set stays well below the read limit (indented, it grew threefold)."""
    if isinstance(obj, dict) and obj:
        inner = indent + " "
        items = [f"{inner}{json.dumps(str(k))}: {dumps(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, list) and obj and not all(
            _is_numeric(v) or (isinstance(v, list) and all(_is_numeric(x) for x in v)) for v in obj):
        inner = indent + " "
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in obj) + "\n" + indent + "]"
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def save_network(net: Network, path) -> None:
    write_text_atomic(path, dumps(net.to_dict()) + "\n")
