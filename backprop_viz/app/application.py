"""The QApplication, the first window, and the --screenshot mode."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ..engine import SpecError
from ..session.project import Project
from ..session.templates import BY_KEY, open_template


def make_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("backprop-viz")
    app.setOrganizationName("backprop-viz")
    app.setApplicationDisplayName("backprop-viz")
    return app


def create_window(path: str | None = None, template: str | None = None, welcome: bool = True):
    from .main_window import MainWindow
    project = None
    error = None
    if template:
        if template not in BY_KEY:
            error = f"unknown template {template!r} (templates: {', '.join(BY_KEY)})"
        else:
            project = open_template(template)
    if path:
        try:
            project = Project.load(path)
        except SpecError as exc:
            error = str(exc)
            path = None
    window = MainWindow(project, os.path.abspath(path) if path else None, welcome=welcome)
    return window, error


def wait_until_drawn(window, app) -> None:
    """Process events until the window is exposed and its first paint is done."""
    handle = window.windowHandle()
    for _ in range(200):
        app.processEvents()
        if handle is not None and handle.isExposed():
            break
    for _ in range(5):
        app.processEvents()


def take_screenshot(window, app, out: str) -> bool:
    wait_until_drawn(window, app)
    image = window.grab()
    return image.save(out)


def run(args) -> int:
    app = make_app()
    from . import quit_signals
    holder = {}
    quit_signals.install(app, lambda: holder.get("window"))
    window, error = create_window(args.file, args.template, welcome=not args.screenshot)
    holder["window"] = window
    if args.screenshot:
        if error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            print(f"error: --size: expected WIDTHxHEIGHT, got {args.size!r}", file=sys.stderr)
            return 2
        window.resize(w, h)
        window.show()
        ok = take_screenshot(window, app, args.screenshot)
        window.doc.undo_stack.setClean()
        window.close()
        if not ok:
            print(f"error: could not write {args.screenshot}", file=sys.stderr)
            return 1
        print(f"saved {args.screenshot}")
        return 0
    window.show()
    if error:
        from . import dialogs
        QTimer.singleShot(0, lambda: dialogs.error(window, "Cannot open file", error))
    elif not args.file and not args.template:
        QTimer.singleShot(0, window.offer_recovery)
    return app.exec()
