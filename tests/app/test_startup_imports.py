"""The first window loads only what it shows: the heavy libraries load when first used."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LATER = ("matplotlib", "torch", "PIL", "backprop_viz.session.torch_script", "backprop_viz.app.exporters",
         "pyqtgraph.exporters", "backprop_viz.session.lessons", "backprop_viz.app.lesson_panel",
         "backprop_viz.app.walk_animation")


def test_the_main_window_module_does_not_load_heavy_libraries():
    code = ("import json, sys\n"
            "import backprop_viz.app.main_window\n"
            f"print(json.dumps([m for m in {LATER!r} if m in sys.modules]))\n")
    env = dict(os.environ, PYTHONPATH=ROOT, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
