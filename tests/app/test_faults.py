"""Every save and export on a full disk or an unwritable folder: a message,
the old file untouched, no temporary file left; recovery files per window."""

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_viz.engine import files
from tests.faults import fill, small_tmpfs

OLD = "the good old file\n"


def _exports(w, answers, folder: Path):
    """(name, file, action) for every way the app writes a file the user chose."""
    def chosen(name, fn):
        def act():
            answers.save = str(folder / name)
            return fn()
        return act
    ex = w.exports
    out = [
        ("project.json", lambda: w._save_to(str(folder / "project.json"))),
        ("network-export.json", chosen("network-export.json", w.export_network)),
        ("data.csv", chosen("data.csv", w.data_panel.export_csv)),
        ("network.png", lambda: ex.network_drawing(str(folder / "network.png"))),
        ("network.svg", lambda: ex.network_drawing(str(folder / "network.svg"))),
        ("graph.png", lambda: ex.graph(str(folder / "graph.png"))),
        ("graph.svg", lambda: ex.graph(str(folder / "graph.svg"))),
        ("loss.png", lambda: ex.plot("loss", str(folder / "loss.png"), size=(400, 300))),
        ("loss.svg", lambda: ex.plot("loss", str(folder / "loss.svg"))),
        ("loss.csv", lambda: ex.plot("loss", str(folder / "loss.csv"))),
        ("heat.csv", lambda: ex.plot("gradient_heatmap", str(folder / "heat.csv"))),
        ("derivation.md", lambda: ex.derivation(str(folder / "derivation.md"))),
        ("derivation.tex", lambda: ex.derivation(str(folder / "derivation.tex"))),
        ("history.csv", lambda: ex.history(str(folder / "history.csv"))),
        ("history.json", lambda: ex.history(str(folder / "history.json"))),
        ("torch.py", lambda: ex.torch(str(folder / "torch.py"))),
    ]
    return out


def _check_failed_writes(w, answers, folder: Path):
    for name, act in _exports(w, answers, folder):
        before = len(answers.asked)
        assert act() is False, name
        errors = [args for kind, args in answers.asked[before:] if kind == "error"]
        assert errors, f"{name}: no message"
        assert (folder / name).read_text() == OLD, f"{name}: the old file was damaged"
    left = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert not left, left


def test_every_save_and_export_on_a_full_disk(qtbot, make_window, answers, tmp_path):
    with small_tmpfs(tmp_path / "disk") as disk:
        if disk is None:
            pytest.skip("mounting a tmpfs is not allowed here")
        w = make_window("xor")
        w.act_step.trigger()
        folder = disk / "work"
        folder.mkdir()
        for name, _ in _exports(w, answers, folder):
            (folder / name).write_text(OLD)
        fill(disk)
        _check_failed_writes(w, answers, folder)
        # The work is still open, and saving it elsewhere works.
        assert w.doc.modified or w.doc.path is None
        assert w._save_to(str(tmp_path / "elsewhere.json"))


def test_every_save_and_export_when_the_disk_fails_at_the_end(qtbot, make_window, answers, tmp_path,
                                                             monkeypatch):
    """Where no tmpfs can be mounted: the writer fails as a full disk does at fsync."""
    w = make_window("xor")
    w.act_step.trigger()
    folder = tmp_path / "work"
    folder.mkdir()
    for name, _ in _exports(w, answers, folder):
        (folder / name).write_text(OLD)

    def no_space(tmp, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), tmp)
    monkeypatch.setattr(files, "publish", no_space)
    _check_failed_writes(w, answers, folder)
    messages = " ".join(str(a) for k, a in answers.asked if k == "error")
    assert "No space left on device" in messages and ".backprop-viz-tmp" not in messages


def test_a_read_only_folder_is_reported(qtbot, make_window, answers, tmp_path, monkeypatch):
    w = make_window("xor")

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", "/ro/.backprop-viz-tmp-x.json")
    monkeypatch.setattr(files.tempfile, "mkstemp", denied)
    assert not w._save_to("/ro/p.json")
    kind, args = answers.asked[-1]
    assert kind == "error" and "/ro/p.json could not be saved: Permission denied" in args[1]


def test_a_killed_save_leaves_no_temporary_file_for_ever(qtbot, make_window, answers, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    code = ("import os, sys; from backprop_viz.engine.files import write_atomic\n"
            "def write(tmp):\n"
            "    open(tmp, 'w').write('half a fi')\n"
            "    os._exit(9)\n"
            f"write_atomic({str(folder / 'p.json')!r}, write)\n")
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], check=False)
    left = [p for p in folder.iterdir() if p.name.startswith(files.TEMP_PREFIX)]
    assert len(left) == 1 and not (folder / "p.json").exists()
    # A fresh temporary file may be another instance's save under way: kept.
    w = make_window("xor")
    assert w._save_to(str(folder / "p.json"))
    assert left[0].exists()
    # An hour later it is known to be dead, and the next save there removes it.
    old = time.time() - 2 * 3600
    os.utime(left[0], (old, old))
    assert w._save_to(str(folder / "p.json"))
    assert not left[0].exists()
    assert json.loads((folder / "p.json").read_text())["format"] == "backprop-viz/project"


def test_two_instances_keep_their_own_recovery_files(qtbot, make_window, answers, tmp_path):
    w1 = make_window("xor")
    w1.editor.add_neuron(0)
    w1.write_recovery()
    assert w1.recovery.path.exists()
    # A second instance starts while the first still runs: it offers nothing and deletes nothing.
    answers.yes_no = True
    w2 = make_window("worked_example")
    assert not w2.offer_recovery()
    assert w1.recovery.path.exists()
    w2.editor.add_neuron(0)
    w2.write_recovery()
    assert w2.recovery.path.exists() and w2.recovery.path != w1.recovery.path
    # w2 closes cleanly (discarding its work): only its own file goes.
    answers.save_discard_cancel = "discard"
    w2.close()
    assert not w2.recovery.path.exists() and w1.recovery.path.exists()


def test_another_process_recovery_file_is_offered_only_when_it_died(qtbot, make_window, answers, tmp_path):
    data = Path(os.environ["BACKPROP_VIZ_DATA_DIR"])
    root = Path(__file__).resolve().parents[2]
    code = ("import os, sys, json\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from backprop_viz.app.main_window import MainWindow\n"
            "w = MainWindow()\n"
            "w.editor.add_neuron(0)\n"
            "w.write_recovery()\n"
            "print(w.recovery.path, flush=True)\n"
            "sys.stdin.readline()\n"
            "os._exit(1)\n")      # a crash: no clean close
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BACKPROP_VIZ_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        other = Path(proc.stdout.readline().strip())
        assert other.exists()
        answers.yes_no = True
        w = make_window("worked_example")
        assert not w.offer_recovery()            # still running: not ours to take
        assert other.exists()
        proc.stdin.write("\n")
        proc.stdin.flush()
        proc.wait(timeout=60)
        assert w.offer_recovery()                # it died: its work comes back
        assert w.doc.modified and len(w.doc.project.network_spec["layers"]) >= 2
        assert not other.exists() and w.recovery.path.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_a_broken_recovery_file_is_removed_without_a_traceback(qtbot, make_window, answers, tmp_path):
    data = Path(os.environ["BACKPROP_VIZ_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    for text in ('{"project": {"format": "backprop-viz/project", "version": ' + "9" * 5000 + "}}",
                 "[1, 2", '{"project": [], "path": 3}', '["project"]'):
        (data / "recovery-999999-1.json").write_text(text)
        w = make_window("xor")
        assert not w.offer_recovery()
        assert not (data / "recovery-999999-1.json").exists()
        assert "recovery file" in w.statusBar().currentMessage()


def test_locks_of_windows_that_died_with_nothing_to_recover_are_removed(qtbot, make_window, tmp_path):
    data = Path(os.environ["BACKPROP_VIZ_DATA_DIR"])
    root = Path(__file__).resolve().parents[2]
    code = ("import os\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from backprop_viz.app.main_window import MainWindow\n"
            "w = MainWindow()\n"
            "print(w.recovery.path, flush=True)\n"
            "os._exit(1)\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BACKPROP_VIZ_DATA_DIR": str(data)}
    res = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                         timeout=120)
    dead_lock = Path(res.stdout.strip()).with_suffix(".lock")
    assert dead_lock.exists()
    w = make_window("xor")
    assert not dead_lock.exists()
    assert w.recovery.path.with_suffix(".lock").exists()
