"""Training in a separate process, driven by messages over a pipe.

Python threads share one interpreter lock, and a training loop that never
waits starves the GUI thread (every Qt call from Python gives the lock up
and must wait to get it back). A process has its own interpreter: training
runs at full speed on one core while the GUI stays fluid on the other.

To the server: ("load", project_dict, steps, epoch), ("train",), ("stop",),
("ack",), ("step", n), ("epoch",), ("set", changes), ("state",),
("peek", "next" | "last"), ("preview", X | None, T | None), ("quit",).
From the server: ("loaded", info), ("snapshot", Snapshot), ("state", dict),
("batch", dict), ("plan", UpdatePlan), ("ended", reason), ("error", text, details).
"""

from __future__ import annotations

import traceback

from ..engine import SpecError
from .project import Project
from .training import Control, TrainingSession


class Server:
    def __init__(self, conn):
        self.conn = conn
        self.session: TrainingSession | None = None
        self.control: Control | None = None
        self.deferred: list = []
        self.quitting = False

    def send(self, *msg) -> None:
        self.conn.send(msg)

    def state(self) -> dict:
        tr = self.session.trainer
        return {"network": self.session.net.to_dict(), "steps": tr.steps, "epoch": tr.epoch,
                "diverged": tr.diverged, "stopped": tr.stopped}

    # -- while training runs: only what must take effect now -------------------------
    def poll_while_running(self) -> None:
        while self.conn.poll(0):
            msg = self.conn.recv()
            kind = msg[0]
            if kind == "ack":
                self.control.consumed()
            elif kind == "stop":
                self.control.request_stop()
            elif kind == "quit":
                self.control.request_stop()
                self.quitting = True
            elif kind == "set":
                try:
                    self.control.update(**msg[1])
                except SpecError as exc:
                    self.send("error", str(exc), "")
            else:
                self.deferred.append(msg)

    def train(self) -> None:
        self.control = Control(backpressure=True, hook=self.poll_while_running)
        gen = self.session.run(self.control)
        try:
            while True:
                try:
                    snap = next(gen)
                except StopIteration as stop:
                    reason = stop.value or "done"
                    break
                self.send("snapshot", snap)
        except Exception as exc:
            self.send("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())
            reason = "error"
        self.control = None
        self.send("state", self.state())
        self.send("ended", reason)

    # -- when idle ---------------------------------------------------------------------------
    def handle(self, msg) -> None:
        kind = msg[0]
        if kind == "quit":
            self.quitting = True
            return
        if kind in ("ack", "stop"):
            if kind == "stop" and self.session is not None:
                self.send("state", self.state())
                self.send("ended", "stopped")
            return
        if kind == "load":
            _, project_dict, steps, epoch = msg
            self.session = TrainingSession(Project.from_dict(project_dict))
            self.session.trainer.resume_at(steps, epoch)
            self.send("loaded", {"layers": len(self.session.net.spec.layers)})
            return
        if self.session is None:
            self.send("error", "no project loaded", "")
            return
        s = self.session
        if kind == "train":
            self.train()
        elif kind in ("step", "epoch"):
            records = []
            for _ in range(msg[1] if kind == "step" else 10 ** 9):
                rec = s.step()
                records.append(rec)
                if rec["nonfinite"] or (kind == "epoch" and (rec["epoch_end"] or s.trainer.stopped)):
                    break
            self.send("snapshot", s.snapshot(records, boundary=True))
            self.send("state", self.state())
            self.send("ended", "diverged" if records[-1]["nonfinite"] else "paused")
        elif kind == "set":
            s.apply_settings(msg[1])
        elif kind == "state":
            self.send("state", self.state())
        elif kind == "preview":
            from ..engine.update_plan import preview
            self.send("plan", preview(s.trainer, msg[1], msg[2]))
        elif kind == "peek":
            tr = s.trainer
            X, T = tr.peek_batch() if msg[1] == "next" else (tr.last_batch or tr.peek_batch())
            self.send("batch", {"network": s.net.to_dict(), "X": X, "T": T})
        else:
            self.send("error", f"unknown message {kind!r}", "")

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
                self.send("error", str(exc), "")
            except Exception as exc:  # report and stay alive for the next request
                self.send("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())


def child_main(conn) -> None:
    """Entry point of the training process."""
    try:
        Server(conn).serve()
    except (BrokenPipeError, EOFError):
        pass
    finally:
        conn.close()
