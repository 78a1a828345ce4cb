"""Training in a separate process, driven by messages over a pipe.

Python threads share one interpreter lock, and a training loop that never
waits starves the GUI thread (every Qt call from Python gives the lock up
and must wait to get it back). A process has its own interpreter: training
runs at full speed on one core while the GUI stays fluid on the other.

The messages are the classes of :mod:`.messages`, shared by both ends.
"""

from __future__ import annotations

import select
import traceback

from ..engine import SpecError
from . import messages as m
from .project import Project
from .training import EVERYTHING, LIVE_RATE_HZ, Control, TrainingSession


class Server:
    def __init__(self, conn):
        self.conn = conn
        self.session: TrainingSession | None = None
        self.control: Control | None = None
        self.deferred: list = []
        self.quitting = False
        self.visible = EVERYTHING
        self._ready = None

    def send(self, msg) -> None:
        self.conn.send(msg)

    def state(self) -> m.State:
        assert self.session is not None
        tr = self.session.trainer
        return m.State(self.session.net.to_dict(), tr.steps, tr.epoch, tr.diverged, tr.stopped)

    # -- while training runs: only what must take effect now -------------------------
    def poll_while_running(self) -> None:
        assert self.control is not None
        if self._ready is None:
            # Asked every few milliseconds while training: one poll object, not Connection.poll's
            # new one per call (about 1.5 % of a tiny network's training time).
            self._ready = select.poll()
            self._ready.register(self.conn.fileno(), select.POLLIN)
        while self._ready.poll(0):
            msg = self.conn.recv()
            if isinstance(msg, m.Ack):
                self.control.consumed()
            elif isinstance(msg, m.Stop):
                self.control.request_stop()
            elif isinstance(msg, m.Quit):
                self.control.request_stop()
                self.quitting = True
            elif isinstance(msg, m.View):
                self.visible = self.control.visible = frozenset(msg.visible)
            elif isinstance(msg, m.Set):
                try:
                    self.control.update(**msg.changes)
                except SpecError as exc:
                    self.send(m.Failure(str(exc)))
            else:
                self.deferred.append(msg)

    def train(self) -> None:
        assert self.session is not None
        self.control = Control(backpressure=True, hook=self.poll_while_running)
        self.control.visible = self.visible
        gen = self.session.run(self.control, max_rate=LIVE_RATE_HZ)
        try:
            while True:
                try:
                    snap = next(gen)
                except StopIteration as stop:
                    reason = stop.value or "done"
                    break
                self.send(snap)
        except Exception as exc:
            self.send(m.Failure(f"{type(exc).__name__}: {exc}", traceback.format_exc()))
            reason = "error"
        self.control = None
        self.send(self.state())
        self.send(m.Ended(reason))

    # -- when idle ---------------------------------------------------------------------------
    def handle(self, msg) -> None:
        if isinstance(msg, m.Quit):
            self.quitting = True
            return
        if isinstance(msg, (m.Ack, m.Stop)):
            if isinstance(msg, m.Stop) and self.session is not None:
                self.send(self.state())
                self.send(m.Ended("stopped"))
            return
        if isinstance(msg, m.View):
            self.visible = frozenset(msg.visible)
            return
        if isinstance(msg, m.Load):
            self.session = TrainingSession(Project.from_dict(msg.project), keep_history=False)
            self.session.trainer.resume_at(msg.steps, msg.epoch)
            self.send(m.Loaded(len(self.session.net.spec.layers)))
            return
        if self.session is None:
            self.send(m.Failure("no project loaded"))
            return
        s = self.session
        if isinstance(msg, m.Train):
            self.train()
        elif isinstance(msg, (m.Step, m.Epoch)):
            records = []
            for _ in range(msg.count if isinstance(msg, m.Step) else 10 ** 9):
                rec = s.step()
                records.append(rec)
                if rec["nonfinite"] or (isinstance(msg, m.Epoch) and (rec["epoch_end"] or s.trainer.stopped)):
                    break
            self.send(s.snapshot(records, boundary=True))
            self.send(self.state())
            self.send(m.Ended("diverged" if records[-1]["nonfinite"] else "paused"))
        elif isinstance(msg, m.Set):
            s.apply_settings(msg.changes)
        elif isinstance(msg, m.AskState):
            self.send(self.state())
        elif isinstance(msg, m.Preview):
            from ..engine.update_plan import preview
            self.send(preview(s.trainer, msg.X, msg.T))
        elif isinstance(msg, m.Peek):
            tr = s.trainer
            X, T = tr.peek_batch() if msg.which == "next" else (tr.last_batch or tr.peek_batch())
            self.send(m.Batch(s.net.to_dict(), X, T))
        else:
            self.send(m.Failure(f"unknown message {type(msg).__name__}"))

    def serve(self) -> None:
        while not self.quitting:
            if self.deferred:
                msg = self.deferred.pop(0)
            else:
                try:
                    msg = self.conn.recv()
                except (EOFError, OSError):
                    return
            try:
                self.handle(msg)
            except SpecError as exc:
                self.send(m.Failure(str(exc)))
            except Exception as exc:  # report and stay alive for the next request
                self.send(m.Failure(f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def child_main(conn) -> None:
    """Entry point of the training process."""
    try:
        Server(conn).serve()
    except (BrokenPipeError, EOFError):
        pass
    finally:
        conn.close()
