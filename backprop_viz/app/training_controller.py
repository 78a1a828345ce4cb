"""The one bridge between the GUI and training, which runs in its own process.

The training process (``session.training_process``) owns the engine while
the document is open; the GUI only ever receives Snapshot copies, read from
the pipe on the GUI thread when it becomes readable (no thread here at all).
A snapshot is acknowledged once drawn, and the process sends the next one
only then, so a busy GUI never builds a queue. Pause, stop and settings are
messages answered within a few milliseconds.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSocketNotifier, Signal
from PySide6.QtGui import QUndoCommand

from ..engine import Network, SpecError
from ..session import edits
from ..session.history import History
from ..session.training import live_changes
from ..session import messages as m
from ..session.training import Snapshot
from .document import Document

IDLE, RUNNING, PAUSED, DIVERGED, STOPPED = "idle", "running", "paused", "diverged", "stopped"
REPLY_TIMEOUT_S = 10.0
JOIN_TIMEOUT_S = 5.0


@dataclass
class RunState:
    """Where a run stood: enough to put the window back there on undo or redo."""

    network_spec: dict
    steps: int
    epoch: int
    history: History
    last_snapshot: object
    diverged: dict | None
    origin: str


class TrainCommand(QUndoCommand):
    """A stretch of training as one entry in the undo history."""

    def __init__(self, controller: "TrainingController", before: RunState, after: RunState, text: str):
        super().__init__(text)
        self.controller, self.before, self.after = controller, before, after
        self._pushed = False

    def redo(self):
        if not self._pushed:      # pushing: the window is already there
            self._pushed = True
            return
        self.controller.restore_run(self.after)

    def undo(self):
        self.controller.restore_run(self.before)


class TrainingController(QObject):
    snapshot = Signal(object)
    stateChanged = Signal(str)
    failed = Signal(str)
    reset_done = Signal()
    historyReset = Signal(object, object)    # History, activations

    def __init__(self, doc: Document, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.state = IDLE
        self.proc = None
        self.conn = None
        self.notifier = None
        self.loaded_project = None     # the project the process was last given
        self.current_spec = None       # the process's network as last reported
        self.steps = 0
        self.epoch = 0
        self.diverged = None
        self.last_snapshot = None
        self._syncing = False
        self._adopting = False       # the document is taking on the process's weights
        self._seen = []
        self._stretch: RunState | None = None    # the run before the current stretch of training
        self.history = None
        # Which costly views the window shows now (a callable giving names from session.training);
        # the process computes those only. Asked at every snapshot: a tab change reaches it in one.
        self.visible_views = None
        self._sent_view = None
        self._new_history()
        doc.projectChanged.connect(self._project_changed)

    # -- history ------------------------------------------------------------------------------
    def _new_history(self) -> None:
        spec = self.doc.project.network_spec
        net = Network.from_dict(spec)
        self.history = History(len(spec["layers"]))
        self.historyReset.emit(self.history, [layer.activation for layer in net.spec.layers])

    @property
    def is_running(self) -> bool:
        return self.state == RUNNING

    def _set_state(self, state: str) -> None:
        self.state = state
        self.stateChanged.emit(state)

    # -- the process -----------------------------------------------------------------------------
    def _ensure_process(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            return
        import multiprocessing   # the first Train, not the first window, pays for these imports

        from ..session.training_process import child_main
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=child_main, args=(child,), name="backprop-viz training", daemon=True)
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent
        self._sent_view = None
        self.notifier = QSocketNotifier(parent.fileno(), QSocketNotifier.Type.Read, self)
        self.notifier.activated.connect(self._readable)
        self.loaded_project = None

    def _send(self, msg) -> None:
        if self.conn is None:
            raise SpecError("training", "the training process is not running")
        try:
            self.conn.send(msg)
        except (BrokenPipeError, ConnectionError, OSError):
            # Killed or crashed: keep what it sent, say so, and go on without it.
            self._process_died()
            raise SpecError("training", "the training process ended unexpectedly") from None

    def _send_view(self) -> None:
        if self.visible_views is None:
            return
        views = frozenset(self.visible_views())
        if views != self._sent_view:
            self._send(m.View(views))
            self._sent_view = views

    def _ensure_loaded(self) -> None:
        self._ensure_process()
        if self.loaded_project is not self.doc.project:
            self._send(m.Load(self.doc.project.to_dict(), self.steps, self.epoch))
            self._wait_for(m.Loaded)
            self.loaded_project = self.doc.project
            self.current_spec = self.doc.project.network_spec

    def _readable(self, *_) -> None:
        self._drain()

    def _drain(self) -> None:
        while self.conn is not None and self.conn.poll(0):
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):
                self._process_died()
                return
            self._dispatch(msg)

    def _wait_for(self, kind: type, timeout: float = REPLY_TIMEOUT_S):
        """Handle messages until one of class ``kind`` arrives (a reply to a request)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self._seen):
                if isinstance(msg, kind):
                    return self._seen.pop(i)
                if isinstance(msg, m.Failure):
                    self._seen.pop(i)
                    raise SpecError("training", msg.text)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.conn is None:
                raise SpecError("training", f"the training process did not answer within {timeout:.0f} s")
            if self.conn.poll(remaining):
                try:
                    msg = self.conn.recv()
                except (EOFError, OSError):
                    self._process_died()
                    raise SpecError("training", "the training process ended unexpectedly") from None
                self._dispatch(msg, collect=True)

    def _dispatch(self, msg, collect: bool = False) -> None:
        if isinstance(msg, Snapshot):
            snap = msg
            self.history.add_rows(snap.rows, snap.nonfinite)
            self.last_snapshot = snap
            self.steps, self.epoch = snap.step, snap.epoch
            try:
                self.snapshot.emit(snap)
            finally:
                if self.state == RUNNING and self.conn is not None:
                    try:
                        self._send_view()
                        self._send(m.Ack())
                    except SpecError:
                        pass     # reported by _process_died
            return
        if isinstance(msg, m.State):
            self.current_spec = msg.network
            self.steps, self.epoch, self.diverged = msg.steps, msg.epoch, msg.diverged
            if self.state != RUNNING:
                self._sync_document()
            if collect:
                self._seen.append(msg)
            return
        if isinstance(msg, m.Ended):
            reason = msg.reason
            if self.state == RUNNING:
                self._set_state(DIVERGED if reason == "diverged" else
                                STOPPED if reason in ("early_stopping", "done") else PAUSED)
                self._sync_document()
            if collect:
                self._seen.append(msg)
            return
        if isinstance(msg, m.Failure):
            if collect:
                self._seen.append(msg)
            else:
                self.failed.emit(msg.text)
            return
        if collect:
            self._seen.append(msg)

    def _process_died(self) -> None:
        self._close_pipe()
        if self.proc is not None:
            self.proc.join(0.5)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(JOIN_TIMEOUT_S)
            self.proc = None
        if self.state == RUNNING:
            self._set_state(PAUSED)
        snap = self.last_snapshot
        start = self._stretch.steps if self._stretch is not None else self.steps
        if snap is not None and snap.step > start:
            # Snapshots carry the weights: keep the last that arrived.
            net = Network.from_dict(self.current_spec or self.doc.project.network_spec)
            for name, value in snap.params.items():
                net.params[name][...] = value
            self.current_spec = net.to_dict()
            self.steps, self.epoch = snap.step, snap.epoch
            self._sync_document()
            kept = (f"the weights of update {snap.step:,}, the last the window received, are kept "
                    f"({snap.step - start:,} updates of this stretch); later updates were lost. "
                    "Train continues from the kept weights in a new training process")
        else:
            self._stretch = None
            kept = "no update of this stretch had reached the window, so the weights are those before it; " \
                   "Train starts a new training process"
        self.failed.emit(f"the training process ended unexpectedly: {kept}.")

    def _close_pipe(self) -> None:
        if self.notifier is not None:
            self.notifier.setEnabled(False)
            self.notifier.deleteLater()
            self.notifier = None
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.loaded_project = None

    # -- commands ------------------------------------------------------------------------------
    def train(self) -> bool:
        if self.is_running:
            return False
        try:
            self._ensure_loaded()
            self._begin_stretch()
            self._send_view()
            self._send(m.Train())
        except SpecError as exc:
            self.failed.emit(str(exc))
            return False
        self._set_state(RUNNING)
        return True

    def pause(self) -> None:
        if not self.is_running:
            return
        try:
            self._send(m.Stop())
            self._wait_for(m.Ended)
        except SpecError as exc:
            self.failed.emit(str(exc))
        self._seen.clear()
        if self.state == RUNNING:
            self._set_state(PAUSED)

    def toggle(self) -> None:
        self.pause() if self.is_running else self.train()

    def _run_local(self, msg) -> None:
        if self.is_running:
            return
        try:
            self._ensure_loaded()
            self._begin_stretch()
            self._send(msg)
            reason = self._wait_for(m.Ended).reason
        except SpecError as exc:
            self.failed.emit(str(exc))
            return
        self._seen.clear()
        self._set_state(DIVERGED if reason == "diverged" else PAUSED)

    def step_once(self) -> None:
        self._run_local(m.Step(1))

    def step_epoch(self) -> None:
        self._run_local(m.Epoch())

    def batch(self, which: str = "next"):
        """(network, X, T) of the next (or last) update, for the stepper."""
        self.pause()
        self._ensure_loaded()
        self._send(m.Peek(which))
        reply = self._wait_for(m.Batch)
        self._seen.clear()
        return Network.from_dict(reply.network), reply.X, reply.T

    def plan(self, X=None, T=None):
        """The run's next update as an UpdatePlan (or, with X and T, the update the
        optimizer would make from those samples): from the training process when it
        holds this project's run, else from the same run loaded afresh."""
        from ..engine.update_plan import UpdatePlan
        from ..session.walk import local_plan
        self.pause()
        alive = self.proc is not None and self.proc.is_alive() and self.conn is not None
        if alive and (self.loaded_project is self.doc.project or self._adopting):
            self._send(m.Preview(X, T))
            return self._wait_for(UpdatePlan)
        return local_plan(self.doc.project, self.steps, self.epoch, X, T)

    # -- training in the undo history ---------------------------------------------------------
    def _run_state(self, spec: dict, origin: str) -> RunState:
        return RunState(spec, self.steps, self.epoch, copy.deepcopy(self.history), self.last_snapshot,
                        self.diverged, origin)

    def _begin_stretch(self) -> None:
        if self._stretch is None:
            self._stretch = self._run_state(self.doc.project.network_spec, self.doc.weights_origin)

    def restore_run(self, state: RunState) -> None:
        """Undo/redo of a stretch of training: weights, counters, history and plots as they were."""
        self.pause()
        self.steps, self.epoch, self.diverged = state.steps, state.epoch, state.diverged
        self.last_snapshot = state.last_snapshot
        self.history = copy.deepcopy(state.history)
        self._stretch = None
        self.loaded_project = None      # the process reloads this state before training again
        self._syncing = True
        try:
            self.doc.set_run_weights(state.network_spec, state.origin)
        finally:
            self._syncing = False
        self.current_spec = self.doc.project.network_spec
        spec = self.doc.project.network_spec
        self.historyReset.emit(self.history, [layer.activation for layer in Network.from_dict(spec).spec.layers])
        self._set_state(IDLE if self.steps == 0 else PAUSED)

    def reset(self) -> None:
        """Stop, re-initialise the weights from the seed, and clear the run."""
        self.pause()
        spec = edits.reinitialise(self.doc.project.network_spec)
        self.steps = self.epoch = 0
        self.diverged = None
        self.last_snapshot = None
        self._stretch = None
        self._syncing = True
        try:
            self.doc.apply(self.doc.project.with_network(spec), "Reset weights")
            self.doc.weights_origin = "initial"
        finally:
            self._syncing = False
        self.loaded_project = None
        self._new_history()
        self._set_state(IDLE)
        self.reset_done.emit()

    def shutdown(self) -> None:
        """Closing the window or opening another file: stop, then end the process."""
        if self.is_running:
            self.pause()
        if self.proc is not None:
            try:
                if self.conn is not None:
                    self.conn.send(m.Quit())
            except (BrokenPipeError, OSError):
                pass
            self.proc.join(JOIN_TIMEOUT_S)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join(JOIN_TIMEOUT_S)
            self.proc = None
        self._close_pipe()

    # -- the document ----------------------------------------------------------------------------
    def _sync_document(self) -> None:
        """The weights training reached become the document's, as one undoable entry per stretch."""
        if self.current_spec is None or self.state == RUNNING:
            return
        before = self._stretch
        self._syncing = self._adopting = True
        try:
            if before is not None and self.steps != before.steps:
                self._stretch = None
                origin = f"after update {self.steps:,}"
                self.doc.set_run_weights(self.current_spec, origin)
                n = self.steps - before.steps
                after = self._run_state(self.doc.project.network_spec, origin)
                self.doc.undo_stack.push(TrainCommand(self, before, after,
                                                      f"Train {n:,} update{'s' if n != 1 else ''}"))
            elif self.current_spec != self.doc.project.network_spec:
                self.doc.replace_weights(self.current_spec)
            self.loaded_project = self.doc.project
        finally:
            self._syncing = self._adopting = False

    def _project_changed(self) -> None:
        if self._syncing or self.loaded_project is None:
            if not self._syncing and self.loaded_project is None and not self.is_running:
                self._maybe_new_history()
            return
        changes = live_changes(self.loaded_project, self.current_spec, self.doc.project,
                               ignore_weights=self.is_running)
        if changes is not None:
            # Learning rate, clipping, regularisation: the run goes on with them.
            if changes:
                try:
                    self._send(m.Set(changes))
                except SpecError:
                    return     # the process is gone: the next Train loads the edited project
            self.loaded_project = self.doc.project
            return
        if self.is_running:
            return   # the panels refuse other edits while training runs
        self.loaded_project = None
        self._maybe_new_history()

    def _maybe_new_history(self) -> None:
        if len(self.doc.project.network_spec["layers"]) != self.history.layers:
            self._new_history()
