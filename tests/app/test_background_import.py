"""Reading a large CSV happens off the GUI thread: the window answers, and Cancel works."""

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog

from backprop_viz.app import dialogs
from backprop_viz.app.csv_import_dialog import CsvImportDialog
from backprop_viz.session import data as data_mod


def _blocking_parse(monkeypatch, release: threading.Event):
    real = data_mod.parse_csv

    def parse(text, source):
        # Finishes only once the GUI thread has handled an event meanwhile: a blocked
        # window would never get here (the test would time out instead).
        assert release.wait(20)
        return real(text, source)
    monkeypatch.setattr(data_mod, "parse_csv", parse)


def test_the_window_answers_while_a_csv_is_parsed(qtbot, make_window, answers, tmp_path, monkeypatch):
    f = tmp_path / "pts.csv"
    f.write_text("x1,x2,y\n0,0,0\n1,0,1\n0,1,1\n1,1,0\n")
    answers.open = str(f)
    monkeypatch.setattr(dialogs, "import_csv", lambda parent, parsed, source: CsvImportDialog(parsed, source).build())
    release = threading.Event()
    _blocking_parse(monkeypatch, release)
    w = make_window("xor")
    QTimer.singleShot(50, release.set)       # runs only if the event loop turns during the parse
    assert w.data_panel.import_csv()
    assert w.doc.project.data["source"] == "pts.csv" and len(w.doc.project.data["X"]) == 4


def test_cancel_leaves_the_project_as_it_was(qtbot, make_window, answers, tmp_path, monkeypatch):
    f = tmp_path / "pts.csv"
    f.write_text("x1,x2,y\n0,0,0\n1,0,1\n")
    answers.open = str(f)
    release = threading.Event()
    _blocking_parse(monkeypatch, release)
    w = make_window("xor")
    before = w.doc.project

    def cancel():
        for d in w.data_panel.findChildren(QProgressDialog):
            d.cancel()
    QTimer.singleShot(50, cancel)
    assert not w.data_panel.import_csv()
    assert w.doc.project is before and not answers.asked[1:]
    release.set()
    for t in threading.enumerate():
        if t.name == "backprop-viz background":
            t.join(20)
    assert not [t for t in threading.enumerate() if t.name == "backprop-viz background"]


def test_the_window_answers_while_a_project_is_saved(qtbot, make_window, answers, tmp_path, monkeypatch):
    from backprop_viz.session.project import Project
    release = threading.Event()
    real = Project.save

    def save(self, path):
        assert release.wait(20)     # only once the GUI thread has handled an event meanwhile
        real(self, path)
    monkeypatch.setattr(Project, "save", save)
    w = make_window("xor")
    answers.save = str(tmp_path / "p.json")
    QTimer.singleShot(50, release.set)
    assert w.save_as()
    assert not w.doc.modified and Project.load(tmp_path / "p.json") == w.doc.project
