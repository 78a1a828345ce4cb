"""The walk as an MP4 video where an encoder is installed; no menu entry where none is."""

import numpy as np
import pytest

from backprop_viz.app import export_actions
from backprop_viz.app.walk_animation import BASE_MS, MAX_MS, MS_PER_CHAR
from backprop_viz.app.mp4_writer import FPS


def test_walk_mp4_holds_each_captioned_frame(qtbot, make_window, tmp_path):
    av = pytest.importorskip("av")
    w = make_window("worked_example")
    assert w.exports.act_walk_mp4.isVisible() or w.exports.act_walk_mp4.isEnabled()
    out = tmp_path / "out"
    out.mkdir()
    path = out / "walk"
    assert w.exports.walk_mp4(str(path))
    path = out / "walk.mp4"
    captions = w.exports.last_gif_captions
    assert len(captions) == 14
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    held = [max(1, round(min(BASE_MS + MS_PER_CHAR * len(c), MAX_MS) * FPS / 1000)) for c in captions]
    assert len(frames) == sum(held)
    assert frames[0].shape[0] % 2 == 0 and frames[0].shape[1] % 2 == 0
    # The first video frame of each walk frame shows its own caption: the strips differ.
    starts = np.cumsum([0] + held[:-1])
    strip = frames[0].shape[0] // 5
    firsts = [frames[i][-strip:].astype(int) for i in starts]
    for a, b in zip(firsts, firsts[1:]):
        assert np.abs(a - b).max() > 100
    # Within one walk frame the picture holds (only compression noise).
    assert np.abs(frames[0].astype(int) - frames[held[0] - 1].astype(int)).mean() < 2
    assert "14 frames" in w.statusBar().currentMessage()
    assert [p.name for p in out.iterdir()] == ["walk.mp4"]      # no temporary file left


def test_no_encoder_no_menu_entry(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(export_actions, "mp4_available", lambda: False)
    w = make_window("worked_example")
    assert not w.exports.act_walk_mp4.isVisible()
    assert "Walk as animated GIF…" in [a.text() for a in w.export_menu.actions() if a.isVisible()]
