"""A training run as an animated GIF: the replayed run's loss curve and decision boundary, frame by frame."""

import numpy as np
from PIL import Image, ImageSequence



def test_run_gif_from_the_export_menu(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    act = next(a for a in w.export_menu.actions() if a.text() == "Training run as animated GIF…")
    answers.save = str(tmp_path / "run")
    act.trigger()
    path = tmp_path / "run.gif"
    titles = w.exports.last_run_titles
    assert len(titles) == 30 and titles[0] == "update 0 of 300" and titles[-1].startswith("update 300 of 300 · loss ")
    with Image.open(path) as gif:
        frames = [np.asarray(f.convert("RGB")).astype(int) for f in ImageSequence.Iterator(gif)]
    assert len(frames) == 30 and len({f.shape for f in frames}) == 1
    h, wd, _ = frames[0].shape
    left, right = slice(wd // 10, wd // 2), slice(wd // 2 + wd // 20, wd - wd // 20)
    body = slice(h // 6, h - h // 6)
    # The loss curve grows from frame to frame; the boundary changes as the network learns.
    assert np.abs(frames[1][body, left] - frames[-1][body, left]).max() > 100
    assert np.abs(frames[1][body, right] - frames[-1][body, right]).mean() > 5
    assert "30 frames, 300 updates" in w.statusBar().currentMessage()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".gif"] == ["run.gif"]
