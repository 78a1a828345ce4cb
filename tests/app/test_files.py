"""Project files from the app: nothing is ever lost."""

import json
import os
import stat

import pytest

from backprop_viz.session.project import Project


def test_save_and_open_round_trip(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    w.editor.add_neuron(0)
    answers.save = str(tmp_path / "mine")
    assert w.act_save.trigger() is None
    saved = tmp_path / "mine.json"
    assert saved.exists() and not w.doc.modified
    assert w.windowTitle() == "mine.json — backprop-viz"
    data = json.loads(saved.read_text())
    assert data["format"] == "backprop-viz/project" and data["network"]["layers"][0]["units"] == 5
    w2 = make_window("worked_example")
    answers.open = str(saved)
    w2.act_open.trigger()
    assert w2.doc.project == Project.load(saved)
    assert w2.doc.path == str(saved)
    assert str(saved) in w2.recent_files()


def test_network_only_files_open(qtbot, make_window, answers):
    from backprop_viz.session.assets import examples_dir
    w = make_window("xor")
    assert w.open_path(str(examples_dir() / "deep_relu_he.json"))
    assert len(w.doc.project.network_spec["layers"]) == 10


@pytest.mark.parametrize("content, text", [
    (b"{not json", "not valid JSON"),
    (b'{"format": "backprop-viz/project", "version": 7, "network": {}}', "unsupported version 7"),
    (b'{"format": "backprop-viz/project", "version": 1, "network": {"inputs": 2, "layers": [{"units": 1, "activation": "sigmoud"}]}}',
     "network.layers[0].activation: unknown 'sigmoud'"),
    (b'{"format": "backprop-viz/network", "version": 1, "inputs": 2, "layers": [{"units": 1, "weight": [[1]]}]}',
     "layers[0].weight: expected 2 entries"),
    (b'\x00\x01\x02', "not valid JSON"),
])
def test_damaged_files_show_a_message_and_change_nothing(qtbot, make_window, answers, tmp_path, content, text):
    w = make_window("xor")
    w.editor.add_neuron(0)
    before = w.doc.project
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    assert not w.open_path(str(bad))
    assert answers.kinds() == ["error"]
    assert text in answers.asked[0][1][1]
    assert w.doc.project is before and w.doc.modified


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_failed_save_keeps_the_document_open_and_modified(qtbot, make_window, answers, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    w = make_window("xor")
    w.editor.add_neuron(0)
    answers.save = str(folder / "x.json")
    assert not w.save()
    assert answers.kinds() == ["save", "error"] and w.doc.modified


def test_save_where_no_one_can_write_says_so_and_keeps_the_document(qtbot, make_window, answers, tmp_path):
    # A path under a regular file cannot be written even by root (the read-only folder case above can).
    blocker = tmp_path / "notes.txt"
    blocker.write_text("kept")
    w = make_window("xor")
    w.editor.add_neuron(0)
    answers.save = str(blocker / "x.json")
    assert not w.save()
    assert answers.kinds() == ["save", "error"]
    assert "x.json" in answers.asked[-1][1][1] or "notes.txt" in answers.asked[-1][1][1]
    assert w.doc.modified and blocker.read_text() == "kept"


def test_failing_write_leaves_the_previous_file_intact(qtbot, make_window, answers, tmp_path, monkeypatch):
    target = tmp_path / "p.json"
    w = make_window("xor")
    answers.save = str(target)
    assert w.save()
    before = target.read_bytes()
    w.editor.add_neuron(0)
    import backprop_viz.engine.files as files

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files.os, "fsync", full_disk)
    assert not w.save()
    assert "No space left on device" in answers.asked[-1][1][1]
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["p.json"]
    assert w.doc.modified and w.windowTitle().startswith("p.json*")


def test_closing_with_unsaved_changes_asks(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    w.editor.add_neuron(0)
    answers.save_discard_cancel = "cancel"
    assert not w.close()
    assert w.isVisible()
    answers.save_discard_cancel = "save"
    answers.save = str(tmp_path / "kept.json")
    assert w.close()
    assert (tmp_path / "kept.json").exists()


def test_new_asks_before_discarding(qtbot, make_window, answers):
    w = make_window("xor")
    w.editor.add_neuron(0)
    answers.save_discard_cancel = "cancel"
    assert not w.new_project("worked_example")
    assert w.doc.project.network_spec["layers"][0]["units"] == 5
    answers.save_discard_cancel = "discard"
    assert w.new_project("worked_example")
    assert w.doc.project.network_spec["layers"][0]["weight"] == [[0.5], [0.2]]


def test_autosave_and_recovery_after_a_crash(qtbot, make_window, answers):
    w = make_window("xor")
    w.editor.add_neuron(0)
    assert w.autosave.isActive()
    w.autosave.timeout.emit()          # 30 s of idle time
    assert w.recovery.path.exists()
    edited = w.doc.project
    # A crash: the window never closes cleanly and its process (and lock) is gone.
    # The next start offers the work back.
    w.recovery._lock.unlock()
    answers.yes_no = True
    w2 = make_window("worked_example")
    assert w2.offer_recovery()
    assert w2.doc.project == edited and w2.doc.modified
    assert answers.kinds()[-1] == "yes_no"


def test_declined_recovery_is_discarded(qtbot, make_window, answers):
    w = make_window("xor")
    w.editor.add_neuron(0)
    w.write_recovery()
    w.recovery._lock.unlock()          # its process died
    answers.yes_no = False
    w2 = make_window("worked_example")
    assert not w2.offer_recovery()
    assert not w.recovery.path.exists()


def test_layout_persists(qtbot, make_window):
    w = make_window("xor")
    w.docks["inspector"].hide()
    # The offscreen screen is 800×800 and a saved layout must fit it: a narrower window.
    w.docks["data"].hide()
    qtbot.waitUntil(lambda: (w.resize(760, 700), w.width() == 760)[1])
    w.save_layout()
    w2 = make_window("xor")
    assert w2.docks["inspector"].isHidden()
