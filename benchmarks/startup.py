"""Time from launching the app to its first painted window.

Run: QT_QPA_PLATFORM=offscreen python benchmarks/startup.py [--runs 7] [--template xor]

Each run is a fresh Python process that starts the way ``backprop-viz`` does (the command-line
module, then the application and the first window) and reports when the window has received
its first paint; the clock starts in this process just before the child is launched, so the
interpreter's own start-up is included. Prints every run, the median, and which heavy
libraries were loaded by then (none of these should be: they load when first used).

The package's bytecode is compiled first, as installing it does: with PYTHONDONTWRITEBYTECODE
set (or a read-only checkout) every run would otherwise compile the app's hundred-odd modules
again, a quarter of a second that no installed copy pays.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HEAVY = ("matplotlib", "torch", "PIL", "scipy", "networkx", "imageio")

CHILD = r"""
import json, os, sys, time
t0 = float(sys.argv[1])
import backprop_viz.cli  # noqa: F401  (the entry point's module, as `backprop-viz` imports it)
from backprop_viz.app import launch
args = launch.parse_args(sys.argv[2:])
from PySide6.QtCore import QEvent, QObject, QTimer
from backprop_viz.app.application import create_window, make_app
app = make_app()
window, error = create_window(args.file, args.template, welcome=False)
window.persist_layout = False


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "at"):
            self.at = time.time()
            QTimer.singleShot(0, app.quit)
        return False


watch = FirstPaint()
for w in [window, *window.findChildren(QObject)]:
    if hasattr(w, "installEventFilter") and hasattr(w, "isWindow"):
        w.installEventFilter(watch)
window.resize(1400, 900)
window.show()
app.exec()
heavy = [m for m in %r if m in sys.modules]
print(json.dumps({"paint": watch.at - t0, "heavy": heavy}))
window.doc.undo_stack.setClean()
window.close()
""" % (HEAVY,)


def one(template: str) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, repr(t0), "--template", template],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"the app did not start:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--template", default="xor")
    args = ap.parse_args()
    if not compileall.compile_dir(os.path.join(ROOT, "backprop_viz"), quiet=1):
        raise SystemExit("the package's bytecode could not be written (compileall failed)")
    one(args.template)          # warm the file cache: the first run after a change reads cold files
    times = []
    for i in range(args.runs):
        r = one(args.template)
        times.append(r["paint"])
        print(f"run {i + 1}: first paint after {r['paint'] * 1000:.0f} ms", flush=True)
    print(f"median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms, "
          f"worst {max(times) * 1000:.0f} ms over {len(times)} runs")
    print("heavy libraries loaded by the first paint: " + (", ".join(r["heavy"]) or "none"))


if __name__ == "__main__":
    main()
