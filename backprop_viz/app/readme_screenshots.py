"""The README's screenshots: each workspace at 1280×800 and 1920×1080, into assets/screenshots/.

    QT_QPA_PLATFORM=offscreen python -m backprop_viz.app.readme_screenshots [OUT_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("BACKPROP_VIZ_DATA_DIR", tempfile.mkdtemp(prefix="bpv-shots-"))

from backprop_viz.app.application import make_app, wait_until_drawn  # noqa: E402
from backprop_viz.app.main_window import MainWindow  # noqa: E402
from backprop_viz.session.layout_geometry import BUILD, TRAIN, WALK  # noqa: E402
from backprop_viz.session.templates import open_template  # noqa: E402

SIZES = [(1280, 800), (1920, 1080)]


def wait(app, condition, seconds=60.0) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def save(w, app, path: str) -> None:
    wait_until_drawn(w, app)
    for _ in range(10):
        app.processEvents()
    image = w.grab().toImage()
    if not image.save(path, "PNG", 0):     # 0: the smallest file Qt's PNG writer makes
        raise SystemExit(f"could not write {path}")
    print(f"saved {path} ({os.path.getsize(path) // 1024} KB)")


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    app = make_app()
    for width, height in SIZES:
        tag = f"{width}x{height}"
        # Build: a deep network being edited, a hidden layer selected in the inspector.
        w = MainWindow(open_template("deep_relu"), welcome=False)
        w.persist_layout = False
        w.resize(width, height)
        w.show()
        w.set_workspace(BUILD)
        w.doc.select(("layer", 2))
        save(w, app, os.path.join(out, f"build_{tag}.png"))
        # Walk: the textbook example in the backward pass, the chain rule of W1 shown.
        w.replace_document(open_template("worked_example"), None)
        w.set_workspace(WALK)
        w.act_legends.setChecked(True)
        w.show_legends(True)
        sp = w.stepper_panel
        sp.run_to_loss()
        for _ in range(4):
            sp.step_forward()
        w.doc.select(("edge", 0, 0, 0))
        save(w, app, os.path.join(out, f"walk_{tag}.png"))
        w.act_legends.setChecked(False)
        w.show_legends(False)
        # Train: a deep sigmoid network whose first layers stop learning.
        w.replace_document(open_template("deep_sigmoid"), None)
        w.set_workspace(TRAIN)
        for target in range(1, 41):
            w.training.step_epoch()
            wait(app, lambda: w.training.epoch >= target)
        save(w, app, os.path.join(out, f"train_{tag}.png"))
        # Compare: the optimizers raced on XOR from the same initial weights.
        w.replace_document(open_template("xor"), None)
        from backprop_viz.session import compare
        w.compare.compare([(key, [compare.parse_value(key, v) for v in values])
                           for key, values in compare.PRESETS["optimizers"]])
        w.compare_panel.controller.step(300)
        save(w, app, os.path.join(out, f"compare_{tag}.png"))
        w.doc.undo_stack.setClean()
        w.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "assets",
                                                                "screenshots"))
