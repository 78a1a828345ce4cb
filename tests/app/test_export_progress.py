"""Long exports never freeze the window without feedback: text is made off the GUI thread,
big drawings are painted in parts with progress and Cancel, too-big PNGs are refused with a reason."""

import threading

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QProgressDialog

from backprop_viz.app import exporters
from backprop_viz.session.templates import open_template


def long_walk(steps):
    p = open_template("remember_20")
    return p.with_data({**p.data, "steps": steps})


def test_a_big_graph_is_drawn_in_parts_with_progress(qtbot, make_window, monkeypatch, tmp_path):
    # 80 steps: about 500 nodes (edges are drawn a few hundred to an item, so they count little).
    w = make_window(project=long_walk(80))
    scene = w.stepper_panel.graph.scene()
    w.stepper_panel.graph.complete()
    assert len(scene.items()) > exporters.PAINT_IN_PARTS_ABOVE
    seen = []
    real = exporters.export_scene

    def spy(scene, path, progress=None, **kw):
        def watched(done, total):
            go_on = progress(done, total)
            seen.append((done, total, [d.labelText() for d in w.findChildren(QProgressDialog) if d.isVisible()]))
            return go_on
        return real(scene, path, progress=watched, **kw)
    monkeypatch.setattr(exporters, "export_scene", spy)    # read where it lives: loaded when first used
    for ext in ("png", "svg"):
        seen.clear()
        assert w.exports.graph(str(tmp_path / f"graph.{ext}"))
        drawn = [(d, t, labels) for d, t, labels in seen if d is not None]
        total = drawn[-1][1]
        assert total > 2 and [d for d, _, _ in drawn] == list(range(1, total + 1))
        assert all(f"Drawing graph.{ext}…" in labels for _, _, labels in drawn)   # what the person sees
        # Then the PNG is encoded in a worker thread while the window keeps answering.
        assert all(f"Writing graph.{ext}…" in labels for d, _, labels in seen if d is None)
    assert w.statusBar().currentMessage() == f"Exported {tmp_path / 'graph.svg'}"
    # Painted in parts, the same picture as painted in one go.
    real(scene, str(tmp_path / "whole.png"))
    assert QImage(str(tmp_path / "graph.png")) == QImage(str(tmp_path / "whole.png"))


def test_cancel_writes_nothing(qtbot, make_window, monkeypatch, tmp_path):
    w = make_window(project=long_walk(80))
    real = exporters.export_scene

    def cancel_on_first_part(scene, path, progress=None, **kw):
        def press_cancel(done, total):
            for d in w.findChildren(QProgressDialog):
                if d.isVisible():
                    d.cancel()
            return progress(done, total)
        return real(scene, path, progress=press_cancel, **kw)
    monkeypatch.setattr(exporters, "export_scene", cancel_on_first_part)
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.png").write_bytes(b"old")
    assert not w.exports.graph(str(out / "graph.png"))
    assert (out / "graph.png").read_bytes() == b"old"
    assert [p.name for p in out.iterdir()] == ["graph.png"]       # no temporary file left
    assert w.statusBar().currentMessage() == "Export cancelled; nothing written"


def test_a_png_too_big_to_read_is_refused_with_the_reason(qtbot, make_window, answers, tmp_path):
    w = make_window(project=long_walk(500))
    out = tmp_path / "out"
    out.mkdir()
    assert not w.exports.graph(str(out / "graph.png"))
    kind, args = answers.asked[-1]
    assert kind == "error" and "too small to read. Export it as SVG" in args[1]
    assert not list(out.iterdir())
    assert w.exports.graph(str(out / "graph.svg"))
    assert (out / "graph.svg").stat().st_size > 1_000_000


def test_derivation_and_history_are_written_off_the_gui_thread(qtbot, make_window, monkeypatch, tmp_path):
    w = make_window("worked_example")
    threads = []
    # The export code is loaded when first used, so the functions are replaced where they live.
    from backprop_viz.engine import derivation
    from backprop_viz.session import exports
    real_markdown, real_csv = derivation.markdown, exports.history_csv
    monkeypatch.setattr(derivation, "markdown",
                        lambda *a, **k: threads.append(threading.current_thread()) or real_markdown(*a, **k))
    monkeypatch.setattr(exports, "history_csv",
                        lambda *a, **k: threads.append(threading.current_thread()) or real_csv(*a, **k))
    assert w.exports.derivation(str(tmp_path / "d.md"))
    assert "0.009276093" in (tmp_path / "d.md").read_text()
    assert w.exports.history(str(tmp_path / "h.csv"))
    assert (tmp_path / "h.csv").read_text().startswith("step,loss")
    assert len(threads) == 2 and threading.main_thread() not in threads
    assert w.statusBar().currentMessage() == f"Exported {tmp_path / 'h.csv'}"
