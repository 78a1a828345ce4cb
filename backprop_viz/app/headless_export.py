"""backprop-viz export: train (or not) and write the standard figures without a display."""

from __future__ import annotations

import os
import sys
import time

from ..engine import SpecError
from ..session.project import Project
from ..session.training import TrainingSession

FIGURES = ("loss", "gradient_norms", "gradient_heatmap")


def _progress(done, total, loss, started):
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.perf_counter() - started, 1e-9)
    text = f"training [{'#' * filled}{'.' * (width - filled)}] {done}/{total} loss {loss:.6g} {rate:,.0f} steps/s"
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{text} ")
    elif done == total or done % max(total // 10, 1) == 0:
        sys.stderr.write(text + "\n")    # a log file gets a line per tenth, not a wall of \r
    sys.stderr.flush()


def _quiet_offscreen_warnings() -> None:
    """The offscreen platform warns that it cannot size windows; the error line
    of a failed export must stay the only line."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message):
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")
    qInstallMessageHandler(handler)


def run(project_path: str, steps: int, out: str, formats: list[str], quiet: bool = False) -> list[str]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from . import dialogs
    dialogs.set_headless(True)
    try:
        return _run(project_path, steps, out, formats, quiet)
    finally:
        dialogs.set_headless(False)


def _run(project_path: str, steps: int, out: str, formats: list[str], quiet: bool) -> list[str]:
    project = Project.load(project_path)
    bad = [f for f in formats if f not in ("png", "svg", "csv")]
    if bad:
        raise SpecError("--format", f"unknown {bad[0]!r} (expected png, svg, csv)")
    if steps < 0:
        raise SpecError("--steps", f"must be ≥ 0, got {steps}")
    # A folder that cannot be written is found before minutes of training.
    os.makedirs(out, exist_ok=True)
    if not os.access(out, os.W_OK):
        raise SpecError(out, "cannot write in this folder (permission denied)")
    session = TrainingSession(project)
    started = time.perf_counter()
    records = []
    show = not quiet
    for k in range(steps):
        rec = session.step()
        records.append(rec)
        if len(records) > 1000:
            records = records[-1000:]
        if show and ((k + 1) % 100 == 0 or k == steps - 1 or not sys.stderr.isatty()):
            _progress(k + 1, steps, rec["loss"], started)
        if rec["nonfinite"]:
            sys.stderr.write(f"\nthe run diverged at step {rec['step']} (node {rec['nonfinite']['node']}); "
                             "exporting what it shows\n")
            break
    if show and steps and sys.stderr.isatty():
        sys.stderr.write("\n")
    snap = session.snapshot(records[-1:], boundary=True) if records else None
    trained = project.with_network(session.net.to_dict())

    from .application import make_app, wait_until_drawn
    from .main_window import MainWindow
    _quiet_offscreen_warnings()
    app = make_app()
    w = MainWindow(trained, welcome=False)
    try:
        w.persist_layout = False
        w.training.history = session.history
        w.training.steps, w.training.epoch = session.trainer.steps, session.trainer.epoch
        from ..engine import Network
        acts = [layer.activation for layer in Network.from_dict(trained.network_spec).spec.layers]
        w.plots.set_history(session.history, acts)
        w.resize(1400, 900)
        w.show()
        wait_until_drawn(w, app)
        if snap is not None:
            w.plots.show_snapshot(snap)
            w.plots._slow_update()
            w.data_panel.show_boundary(snap.boundary)
            w.show_progress(snap.epoch, snap.step, snap.loss, snap.health.summary)
        w.stepper_panel.run_to_end()
        wait_until_drawn(w, app)
        os.makedirs(out, exist_ok=True)
        written = []
        ex = w.exports

        def note(path, ok):
            if ok:
                written.append(path)
        figures = list(FIGURES)
        if w.data_panel.stack.currentWidget() is w.data_panel.plot:
            figures.append("decision_boundary")
        for fmt in formats:
            for name in figures:
                path = os.path.join(out, f"{name}.{fmt}")
                note(path, ex.plot(name, path))
            if fmt in ("png", "svg"):
                for name, fn in (("network", ex.network_drawing), ("graph", ex.graph)):
                    path = os.path.join(out, f"{name}.{fmt}")
                    note(path, fn(path))
        for ext in ("md", "tex", "csv"):
            path = os.path.join(out, f"derivation.{ext}")
            note(path, ex.derivation(path))
        for ext in ("csv", "json"):
            path = os.path.join(out, f"history.{ext}")
            note(path, ex.history(path))
        path = os.path.join(out, "network.json")
        from ..engine.files import dumps, write_text_atomic
        write_text_atomic(path, dumps(trained.network_spec) + "\n")
        written.append(path)
    finally:
        w.doc.undo_stack.setClean()
        w.close()
    return written
