"""Work that may take a while, off the GUI thread, with a busy dialog and Cancel.

The window keeps painting and answering while ``fn`` runs in a worker thread;
the dialog shows only if the work takes longer than a glance (200 ms).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

SHOW_AFTER_MS = 200
POLL_MS = 15


class Cancelled(Exception):
    """The person pressed Cancel; the work's result is thrown away."""


def run_busy(parent: QWidget | None, text: str, fn, *args, cancellable: bool = True):
    """``fn(*args)`` in a worker thread; its result, or its exception re-raised here.
    Raises :class:`Cancelled` if the person cancels (the thread then finishes unseen);
    work that must finish (a save) is not ``cancellable``."""
    box: dict = {}

    def work():
        try:
            box["result"] = fn(*args)
        except BaseException as exc:  # handed to the GUI thread, which re-raises it
            box["error"] = exc

    thread = threading.Thread(target=work, name="backprop-viz background", daemon=True)
    thread.start()
    dialog = QProgressDialog(text, "Cancel" if cancellable else "", 0, 0, parent)
    if not cancellable:
        dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setAutoClose(False)
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(POLL_MS)
    timer.timeout.connect(lambda: (thread.is_alive() and not dialog.wasCanceled()) or loop.quit())
    dialog.canceled.connect(loop.quit)
    timer.start()
    if thread.is_alive():
        loop.exec()
    timer.stop()
    cancelled = dialog.wasCanceled() and thread.is_alive()
    dialog.reset()
    dialog.deleteLater()
    if cancelled:
        raise Cancelled(text)
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")
