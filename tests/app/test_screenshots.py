"""backprop-viz --screenshot: one PNG of the main window per template, for docs and slides."""

import subprocess
import sys
from pathlib import Path

import pytest

from backprop_viz.session.templates import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "screenshots"


@pytest.mark.parametrize("key", [t.key for t in TEMPLATES])
def test_screenshot_of_each_template(key, tmp_path):
    from PySide6.QtGui import QImage
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = SHOTS / f"{key}.png"
    env = {"QT_QPA_PLATFORM": "offscreen", "BACKPROP_VIZ_DATA_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "--screenshot", str(out),
                          "--template", key, "--size", "1280x860"], capture_output=True, text=True,
                         timeout=120, env=env, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1280, 860)
    colours = {img.pixel(x, y) for x in range(0, 1280, 37) for y in range(0, 860, 29)}
    assert len(colours) > 8, "the screenshot is blank"


def test_screenshot_of_a_file(tmp_path):
    from PySide6.QtGui import QImage
    out = tmp_path / "s.png"
    net = ROOT / "assets" / "examples" / "residual.json"
    res = subprocess.run([sys.executable, "-m", "backprop_viz", str(net), "--screenshot", str(out)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={"QT_QPA_PLATFORM": "offscreen", "BACKPROP_VIZ_DATA_DIR": str(tmp_path),
                              "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert QImage(str(out)).width() == 1400


def test_no_display_gives_advice_not_an_abort(tmp_path):
    res = subprocess.run([sys.executable, "-m", "backprop_viz"], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert res.returncode == 3
    assert "No display" in res.stderr and "xvfb-run backprop-viz" in res.stderr
    assert "Aborted" not in res.stderr and "core dumped" not in res.stderr
