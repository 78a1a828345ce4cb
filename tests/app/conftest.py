import pytest

from backprop_viz.app import dialogs


class DialogCalls:
    """Answers for the app's questions, and a record of what was asked."""

    def __init__(self):
        self.asked = []
        self.open = None
        self.save = None
        self.save_discard_cancel = "cancel"
        self.yes_no = False
        self.compare = None

    def install(self, monkeypatch):
        def record(kind, answer):
            def fn(parent, *args, **kwargs):
                self.asked.append((kind, args))
                return answer() if callable(answer) else answer
            return fn
        monkeypatch.setattr(dialogs, "open_path", record("open", lambda: self.open))
        monkeypatch.setattr(dialogs, "save_path", record("save", lambda: self.save))
        monkeypatch.setattr(dialogs, "save_discard_cancel",
                            record("save_discard_cancel", lambda: self.save_discard_cancel))
        monkeypatch.setattr(dialogs, "error", record("error", None))
        monkeypatch.setattr(dialogs, "ask_yes_no", record("yes_no", lambda: self.yes_no))
        monkeypatch.setattr(dialogs, "compare_runs", record("compare", lambda: self.compare))

    def kinds(self):
        return [k for k, _ in self.asked]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Settings and recovery files in a temporary folder; no real dialog can open."""
    monkeypatch.setenv("BACKPROP_VIZ_DATA_DIR", str(tmp_path / "appdata"))
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    def forbidden(*a, **k):
        raise AssertionError("a real dialog would have opened in a test")
    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, forbidden)
    for name in ("critical", "warning", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, forbidden)
    monkeypatch.setattr(QMessageBox, "exec", forbidden)


@pytest.fixture
def answers(monkeypatch):
    calls = DialogCalls()
    calls.install(monkeypatch)
    return calls


@pytest.fixture
def make_window(qtbot, answers):
    from backprop_viz.app.main_window import MainWindow
    from backprop_viz.session.templates import open_template
    made = []

    def make(template="worked_example", path=None, project=None):
        w = MainWindow(project or open_template(template), path)
        qtbot.addWidget(w)
        w.resize(1300, 900)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w
    yield make
    for w in made:
        w.doc.undo_stack.setClean()
        w.close()
    # Closing a window ends its training process; none may outlive the test.
    import multiprocessing
    assert not [p for p in multiprocessing.active_children() if p.name == "backprop-viz training"]
