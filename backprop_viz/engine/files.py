"""Reading and writing network files without ever leaving half a file."""

from __future__ import annotations

import json
import os
import tempfile

from .errors import SpecError
from .network import Network

MAX_BYTES = 64 * 1024 * 1024


def read_json(path, what: str = "file"):
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise SpecError(path, f"is {size / 1e6:.0f} MB, too large for a {what}")
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


def write_atomic(path, write) -> None:
    """``write(tmp_path)`` fills a temporary file beside ``path``, which then
    replaces ``path`` in one rename; on any failure the old file stays and the
    temporary one goes. ``write`` returning False counts as a failure."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=os.path.splitext(path)[1] or ".tmp", dir=folder)
    os.close(fd)
    try:
        if write(tmp) is False:
            raise OSError(f"could not write {os.path.basename(path)}")
        publish(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text_atomic(path, text: str) -> None:
    """Write text so that ``path`` is either the old file or the whole new one."""
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    write_atomic(path, write)


def save_network(net: Network, path) -> None:
    write_text_atomic(path, json.dumps(net.to_dict(), indent=1) + "\n")
