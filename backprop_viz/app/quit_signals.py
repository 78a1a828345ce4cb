"""Ctrl+C and SIGTERM close the app as the window's close button does.

Qt's event loop runs in C++, where Python's signal handlers never get to run:
a timer hands control back to Python a few times a second so they do.
Ctrl+C comes from a user at the terminal, so unsaved work is asked about as
on any close; SIGTERM (logout, shutdown, kill) has nobody to ask, so the work
goes to the recovery file, offered back at the next start.
"""

from __future__ import annotations

import signal

from PySide6.QtCore import QCoreApplication, QObject, QTimer

POLL_MS = 200


def install(app, window_of) -> QObject:
    """Route SIGINT and SIGTERM to the window ``window_of()`` returns. Installed
    before the window exists, so a signal during start-up is not lost (it is
    handled once the event loop runs); the returned timer keeps them live."""
    def handler(signum, frame):
        QTimer.singleShot(0, lambda: quit_from_signal(window_of(), signum))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    timer = QTimer(app)
    timer.setObjectName("signalPoll")
    timer.timeout.connect(lambda: None)
    timer.start(POLL_MS)
    return timer


def quit_from_signal(window, signum: int) -> bool:
    """Close as the window's close does; True if it closed."""
    if window is None:
        QCoreApplication.quit()
        return True
    if signum != signal.SIGINT and window.doc.modified:
        window.write_recovery()
        window.recovery.keep()
        window.doc.undo_stack.setClean()
    return window.close()
