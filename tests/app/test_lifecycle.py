"""Opening many projects leaks nothing; quitting by signal or window is clean."""

import gc
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QApplication

from backprop_viz.app import quit_signals
from backprop_viz.app.document import Document
from backprop_viz.session.templates import open_template

ROOT = Path(__file__).resolve().parents[2]


def _settle(qtbot):
    # One event-loop turn, then the deferred deletions.
    QCoreApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def test_thirty_opens_leave_nothing_behind(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    files = []
    for i, name in enumerate(("xor", "worked_example", "code_example")):
        f = tmp_path / f"{i}.json"
        open_template(name).save(f)
        files.append(str(f))
    answers.save_discard_cancel = "discard"
    for f in files * 2:
        assert w.open_path(f)
        _settle(qtbot)
    widgets = len(QApplication.allWidgets())
    children = len(w.findChildren(QObject))
    objects = len(gc.get_objects())
    documents = len([o for o in gc.get_objects() if type(o) is Document])
    for i in range(30):
        assert w.open_path(files[i % 3])
        _settle(qtbot)
    assert len(QApplication.allWidgets()) == widgets
    assert len(w.findChildren(QObject)) == children
    assert len([o for o in gc.get_objects() if type(o) is Document]) <= documents
    # Python objects: flat but for caches that fill once (allow 1 %).
    assert len(gc.get_objects()) < objects * 1.01


def _start_app(tmp_path, *args):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BACKPROP_VIZ_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "backprop_viz", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    # The window holds its instance lock once it is up.
    while not list(data.glob("recovery-*.lock")):
        assert time.monotonic() < deadline, "the app did not start"
        try:
            # Waits on the process itself: it must not end before its lock appears.
            proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(proc.communicate())
    return proc, data


def test_sigterm_and_ctrl_c_close_the_app_cleanly(tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT):
        proc, _ = _start_app(tmp_path, "--template", "xor")
        try:
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, (sig, err)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def test_sigterm_keeps_unsaved_work_for_the_next_start(qtbot, make_window, answers):
    w = make_window("xor")
    w.editor.add_neuron(0)
    assert quit_signals.quit_from_signal(w, signal.SIGTERM)
    assert not w.isVisible()
    assert "save_discard_cancel" not in answers.kinds()     # nobody to ask
    assert w.recovery.path.exists()
    answers.yes_no = True
    w2 = make_window("worked_example")
    assert w2.offer_recovery() and w2.doc.modified


def test_ctrl_c_asks_like_the_close_button(qtbot, make_window, answers):
    w = make_window("xor")
    w.editor.add_neuron(0)
    answers.save_discard_cancel = "cancel"
    assert not quit_signals.quit_from_signal(w, signal.SIGINT)
    assert w.isVisible() and answers.kinds()[-1] == "save_discard_cancel"


def test_quitting_with_unsaved_work_prints_no_traceback(tmp_path):
    code = ("from backprop_viz.app import dialogs\n"
            "dialogs.save_discard_cancel = lambda *a: 'discard'\n"
            "from PySide6.QtCore import QTimer\n"
            "from backprop_viz.app.application import make_app\n"
            "from backprop_viz.app.main_window import MainWindow\n"
            "app = make_app()\n"
            "w = MainWindow()\n"
            "w.show()\n"
            "w.editor.add_neuron(0)\n"
            "assert w.doc.modified\n"
            "QTimer.singleShot(0, w.close)\n"
            "raise SystemExit(app.exec())\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BACKPROP_VIZ_DATA_DIR": str(tmp_path)}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr and "already deleted" not in res.stderr, res.stderr
