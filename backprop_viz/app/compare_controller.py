"""Trains the runs of a comparison off the GUI thread: one worker thread steps them in turns.

Only the worker touches the runs' networks while it trains; the window gets
the new records through a queue, adds them to the histories on its own
thread, and tells the worker when it has drawn them (so at most one lot is
ever waiting). Pause stops the worker and waits for it, after which the
runs belong to the GUI thread again (Step, Reset, Make main run, saving).
"""

from __future__ import annotations

import queue
import sys
import threading

from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker

from ..engine import SpecError
from ..session.compare_runs import Comparison

IDLE, RUNNING, PAUSED, DONE = "idle", "running", "paused", "done"
JOIN_TIMEOUT_S = 10.0
BREATHE_S = 0.0005       # the worker sleeps this long after each round of updates (lets the window in)


class _SwitchInterval:
    """While runs train in a thread of this process, the interpreter hands its lock over more
    often: every paint of a plot calls into Python many times, and each call would otherwise wait
    up to the default 5 ms for the training thread to let go."""

    FAST_S = 0.0005

    def __init__(self):
        self.saved: float | None = None

    def fast(self) -> None:
        if self.saved is None:
            self.saved = sys.getswitchinterval()
            sys.setswitchinterval(self.FAST_S)

    def restore(self) -> None:
        if self.saved is not None:
            sys.setswitchinterval(self.saved)
            self.saved = None


_SWITCH = _SwitchInterval()


class CompareController(QObject):
    updated = Signal()           # new records are in the histories
    stateChanged = Signal(str)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.comparison: Comparison | None = None
        self.state = IDLE
        self.worker = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._out: queue.Queue = queue.Queue()

    @property
    def is_running(self) -> bool:
        return self.state == RUNNING

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.pause()
        self.comparison = comparison
        self._set_state(IDLE if comparison is None or comparison.steps == 0 else
                        DONE if comparison.all_finished else PAUSED)
        self.updated.emit()

    # -- commands -------------------------------------------------------------------------
    def run(self) -> bool:
        c = self.comparison
        if c is None or self.is_running or c.all_finished:
            return False
        self._stop.clear()
        self._ready.set()
        self._done.clear()
        done = self._done

        def train():
            try:
                return (yield from c.train(self._stop, self._out, self._ready, breathe_s=BREATHE_S))
            finally:
                done.set()
        self.worker = create_worker(train, _start_thread=False)
        self.worker.yielded.connect(self._drain)
        self.worker.returned.connect(self._returned)
        self.worker.errored.connect(self._errored)
        self._set_state(RUNNING)
        _SWITCH.fast()
        self.worker.start()
        return True

    def pause(self) -> None:
        """Stop the worker and wait until it no longer touches the runs."""
        if self.worker is None:
            return
        self._stop.set()
        self._ready.set()
        if not self._done.wait(JOIN_TIMEOUT_S):
            self.failed.emit(f"the runs did not stop within {JOIN_TIMEOUT_S:.0f} s")
            return
        self.worker = None
        _SWITCH.restore()
        self._drain()
        if self.state == RUNNING:
            self._set_state(DONE if self.comparison is not None and self.comparison.all_finished else PAUSED)

    def toggle(self) -> None:
        self.pause() if self.is_running else self.run()

    def step(self, n: int = 1) -> None:
        c = self.comparison
        if c is None or self.is_running:
            return
        try:
            c.step_all(n)
        except (SpecError, FloatingPointError, ValueError) as exc:
            self.failed.emit(str(exc))
        self._set_state(DONE if c.all_finished else PAUSED)
        self.updated.emit()

    def reset(self) -> None:
        self.pause()
        if self.comparison is not None:
            self.comparison.reset()
        self._set_state(IDLE)
        self.updated.emit()

    def shutdown(self) -> None:
        self.pause()

    # -- from the worker ---------------------------------------------------------------------
    def _drain(self, *_) -> None:
        got = False
        while True:
            try:
                batch = self._out.get_nowait()
            except queue.Empty:
                break
            if self.comparison is not None:
                self.comparison.add(batch)
            got = True
        if got:
            self.updated.emit()

    def drawn(self) -> None:
        """The window has drawn the last lot: the worker may hand over the next."""
        self._ready.set()

    def _returned(self, reason) -> None:
        self._drain()
        if self.worker is not None and self._done.is_set():
            self.worker = None
            _SWITCH.restore()
            self._set_state(DONE if reason == "done" else PAUSED)

    def _errored(self, exc) -> None:
        self.worker = None
        _SWITCH.restore()
        self._drain()
        self._set_state(PAUSED)
        self.failed.emit(str(exc))
