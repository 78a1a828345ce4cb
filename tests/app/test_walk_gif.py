"""The walk as an animated GIF: decoded, one captioned frame per walk position."""

import numpy as np
from PIL import Image, ImageSequence

from backprop_viz.app.walk_animation import START_CAPTION


def frames_of(path):
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]


def test_walk_gif_has_one_captioned_frame_per_step(qtbot, make_window, tmp_path):
    w = make_window("worked_example")
    panel = w.stepper_panel
    panel.stepper.run_to_loss()
    kept = panel.stepper.position
    path = tmp_path / "walk.gif"
    assert w.exports.walk_gif(str(path))
    captions = w.exports.last_gif_captions
    assert len(captions) == len(panel.stepper.steps) + 1 == 14        # the start and 13 steps
    assert captions[0] == START_CAPTION
    text = "\n".join(captions)
    assert "∂E/∂W1 = ∂E/∂s·∂s/∂W1 = 0.092760926 × 0.1 = 0.009276093" in text
    assert "= 0.499907239" in text and "Loss after the update: 0.356370591" in text
    frames = frames_of(path)
    assert len(frames) == len(captions)
    assert len({f.shape for f in frames}) == 1
    # Each frame's caption strip (below the graph) differs from the one before: its own caption.
    strip = frames[0].shape[0] // 5
    for a, b in zip(frames, frames[1:]):
        assert not np.array_equal(a[-strip:], b[-strip:])
    # The caption strip holds dark text on white.
    assert (frames[5][-strip:] < 80).any() and (frames[5][-strip:] > 240).any()
    # The walk is left where the user had it.
    assert panel.stepper.position == kept
    assert "14 frames" in w.statusBar().currentMessage()


def test_walk_gif_to_an_unwritable_place_reports_and_writes_nothing(qtbot, make_window, answers, tmp_path):
    w = make_window("worked_example")
    target = tmp_path / "missing" / "walk.gif"
    assert not w.exports.walk_gif(str(target))
    assert answers.kinds()[-1] == "error"
    assert not target.exists()


def test_walk_gif_is_in_the_export_menu(qtbot, make_window):
    w = make_window("worked_example")
    titles = [a.text() for m in w.menuBar().findChildren(type(w.menuBar().actions()[0].menu()))
              for a in m.actions()]
    assert "Walk as animated GIF…" in titles
