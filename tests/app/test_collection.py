"""The garbage collector waits while a document is built, then runs once, and is never left off."""

import gc

from backprop_viz.app import collection


def test_the_collector_waits_while_a_document_is_built_then_runs(qtbot, monkeypatch):
    monkeypatch.setattr(collection, "LATER_MS", 1)
    assert gc.isenabled()
    with collection.collection_deferred():
        assert not gc.isenabled()
        with collection.collection_deferred():        # a second open before the first collection
            assert not gc.isenabled()
    assert not gc.isenabled()                          # not yet: the window paints first
    qtbot.waitUntil(gc.isenabled, timeout=2000)
    collection.collect_now()                           # a late second call changes nothing
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off(qtbot, monkeypatch):
    monkeypatch.setattr(collection, "LATER_MS", 1)
    gc.disable()
    try:
        with collection.collection_deferred():
            pass
        qtbot.waitUntil(lambda: not collection._state["pending"], timeout=2000)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_opening_a_file_defers_the_collection(qtbot, make_window, tmp_path):
    w = make_window("xor")
    path = tmp_path / "x.json"
    w.doc.project.save(str(path))
    assert w.open_path(str(path))
    assert not gc.isenabled() and collection._state["pending"]
    qtbot.waitUntil(gc.isenabled, timeout=3000)
