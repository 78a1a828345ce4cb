"""Every exporter writes a file that parses, with the numbers and curves it should hold."""

import csv
import os
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

from backprop_viz.engine import trace
from backprop_viz.engine.derivation import csv_rows, latex, markdown
from backprop_viz.session.exports import history_csv, run_json
from backprop_viz.session.torch_script import training_script
from backprop_viz.session.templates import open_template

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def not_blank(path, size=None):
    img = QImage(str(path))
    assert not img.isNull()
    if size:
        assert (img.width(), img.height()) == size
    colours = {img.pixel(x, y) for x in range(0, img.width(), max(img.width() // 40, 1))
               for y in range(0, img.height(), max(img.height() // 40, 1))}
    assert len(colours) > 5
    return img


def svg_paths(path, kinds=("path",)):
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [e for k in kinds for e in root.findall(f".//{SVG}{k}") + root.findall(f".//{k}")]


def seed_trace():
    p = open_template("worked_example")
    X, T, _, _ = p.arrays()
    return trace(p.network(), X, T, lr=0.01)


def test_markdown_has_the_seed_numbers():
    md = markdown(seed_trace())
    for number in ["1.94", "0.874352143", "0.356465271", "0.844352143", "0.109860473", "0.009276093",
                   "0.027828278", "0.092760926", "0.499907239"]:
        assert number in md
    assert md.startswith("# Derivation")


def test_latex_fragment_is_balanced():
    tex = latex(seed_trace())
    assert tex.count("{") == tex.count("}")
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") > 0
    assert "0.009276093" in tex and r"\partial" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_fragment_compiles(tmp_path):
    for tr in (seed_trace(), trace(open_template("xor").network(), np.ones((3, 2)), np.ones((3, 1)))):
        doc = ("\\documentclass{article}\\usepackage{amsmath}\\usepackage[utf8]{inputenc}"
               "\\begin{document}\n" + latex(tr) + "\\end{document}\n")
        (tmp_path / "d.tex").write_text(doc)
        res = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stdout[-2000:]


def test_derivation_csv_rows():
    rows = list(csv.reader(csv_rows(seed_trace()).splitlines()))
    assert rows[0] == ["phase", "node", "value", "upstream", "local", "product", "text", "rule"]
    phases = [r[0] for r in rows[1:]]
    assert phases.count("forward") == 3 and phases.count("update") == 3 and phases[-1] == "loss_after"
    w1 = next(r for r in rows if r[0] == "backward" and r[1] == "W1")
    assert float(w1[2]) == pytest.approx(0.009276093, abs=5e-10)


def test_plot_and_scene_exports_from_the_app(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    for _ in range(3):
        w.act_step_epoch.trigger()
    w.plots._dirty = True
    w.plots._slow_update()
    ex = w.exports
    assert ex.plot("loss", str(tmp_path / "loss.png"))
    not_blank(tmp_path / "loss.png")
    assert ex.plot("gradient_norms", str(tmp_path / "g.svg"))
    assert len(svg_paths(tmp_path / "g.svg")) >= 2          # one curve per layer
    assert ex.plot("loss", str(tmp_path / "loss.csv"))
    rows = list(csv.reader(open(tmp_path / "loss.csv")))
    assert len(rows) - 1 == len(w.training.history.loss()[0])
    assert ex.network_drawing(str(tmp_path / "net.png"))
    not_blank(tmp_path / "net.png")
    assert ex.network_drawing(str(tmp_path / "net.svg"))
    # Qt's SVG writer draws lines as polylines and neurons as circles.
    assert len(svg_paths(tmp_path / "net.svg", ("path", "polyline", "circle"))) > 10
    assert ex.graph(str(tmp_path / "graph.png"))
    not_blank(tmp_path / "graph.png")
    answers.save = str(tmp_path / "hist")
    assert ex.history()
    text = (tmp_path / "hist.csv").read_text()
    assert text.startswith("step,loss,val_loss,lr,grad_norm_1,grad_norm_2")
    assert ex.history(str(tmp_path / "run.json"))
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["format"] == "backprop-viz/run" and run["steps"] == w.training.steps
    assert run["project"]["network"]["layers"][0]["units"] == 4
    assert "numpy" in run["versions"] and run["seeds"]["training"] == 0
    assert ex.torch(str(tmp_path / "torch" / "anything.py"))
    assert sorted(os.listdir(tmp_path / "torch")) == ["data.npz", "initial_weights.safetensors", "train.py"]
    compile((tmp_path / "torch" / "train.py").read_text(), "train.py", "exec")


def test_derivation_export_from_the_stepper(qtbot, make_window, answers, tmp_path):
    w = make_window("worked_example")
    for ext in ("md", "tex", "csv"):
        assert w.exports.derivation(str(tmp_path / f"d.{ext}"))
    assert "0.009276093" in (tmp_path / "d.md").read_text()


def test_step_sequence(qtbot, make_window, tmp_path):
    w = make_window("worked_example")
    assert w.exports.step_sequence(str(tmp_path / "seq"))
    files = sorted((tmp_path / "seq").glob("step_*.png"))
    assert len(files) == 14                                 # the start and 13 steps
    first, last = QImage(str(files[0])), QImage(str(files[-1]))
    assert first.size() == last.size() and first != last


def test_failed_export_keeps_nothing_half_written(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    missing = tmp_path / "no" / "such" / "folder" / "net.png"
    assert not w.exports.network_drawing(str(missing))
    assert answers.kinds()[-1] == "error"


def test_history_csv_without_the_app():
    from backprop_viz.session.training import TrainingSession
    s = TrainingSession(open_template("xor"))
    for _ in range(20):
        s.step()
    rows = list(csv.reader(history_csv(s.history).splitlines()))
    assert len(rows) == 21 and rows[1][0] == "1"
    assert json.loads(run_json(s.project, s.history, 20, s.trainer.epoch))["history"]["columns"]["step"][-1] == 20


def test_headless_export(tmp_path):
    project = tmp_path / "p.json"
    open_template("xor").save(project)
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "export", str(project), "--steps", "200",
                          "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                              "BACKPROP_VIZ_DATA_DIR": str(tmp_path / "data")})
    assert res.returncode == 0, res.stderr
    names = {p.name for p in out.iterdir()}
    for fig in ("loss", "gradient_norms", "gradient_heatmap", "decision_boundary"):
        assert {f"{fig}.png", f"{fig}.svg", f"{fig}.csv"} <= names
    assert {"network.png", "network.svg", "graph.png", "graph.svg", "derivation.md", "derivation.tex",
            "derivation.csv", "history.csv", "history.json", "network.json"} <= names
    not_blank(out / "decision_boundary.png")
    assert "500/500" not in res.stderr and "200/200" in res.stderr
    rows = list(csv.reader(open(out / "history.csv")))
    assert len(rows) == 201


def test_headless_export_refuses_bad_input(tmp_path):
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "export", str(tmp_path / "missing.json"),
                          "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert res.returncode == 2 and "no such file" in res.stderr and "Traceback" not in res.stderr


def test_png_size_is_asked_and_used(qtbot, make_window, answers, tmp_path, monkeypatch):
    from backprop_viz.app import dialogs
    w = make_window("xor")
    w.act_step.trigger()
    answers.save = str(tmp_path / "loss.png")
    monkeypatch.setattr(dialogs, "png_size", lambda parent: (640, 480))
    assert w.exports.plot("loss")
    img = QImage(str(tmp_path / "loss.png"))
    assert (img.width(), img.height()) == (640, 480)


def test_headless_export_of_a_recurrent_project(tmp_path):
    project = tmp_path / "r.json"
    open_template("remember_5").save(project)
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "export", str(project), "--steps", "20",
                          "--out", str(out), "--format", "png", "--quiet"], capture_output=True, text=True,
                         timeout=300, cwd=ROOT, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin",
                                                     "HOME": str(tmp_path),
                                                     "BACKPROP_VIZ_DATA_DIR": str(tmp_path / "data")})
    assert res.returncode == 0, res.stderr
    md = (out / "derivation.md").read_text()
    assert "a sequence of 6 steps" in md and "layers.0.t6.act" in md
    compile(training_script(open_template("remember_5")), "rnn.py", "exec")
