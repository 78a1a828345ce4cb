"""The headless command line, run as a user runs it."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backprop_viz.cli import main

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "assets" / "examples"


def run(*args):
    return subprocess.run([sys.executable, "-m", "backprop_viz", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_trace_prints_the_worked_example():
    res = run("trace", EX / "seed_worked_example.json", "--input", "0.1,0.3", "--target", "0.03")
    assert res.returncode == 0, res.stderr
    for text in ["s = X1·W1 + X2·W2 + b = 0.1·0.5 + 0.3·0.2 + 1.83 = 1.94",
                 "= 0.874352143", "= 0.356465271", "0.844352143 × 0.109860473 = 0.092760926",
                 "= 0.009276093", "= 0.027828278", "∂E/∂b = ∂E/∂s·∂s/∂b = 0.092760926 × 1 = 0.092760926",
                 "W1 ← 0.5 − 0.01 · 0.009276093 = 0.499907239"]:
        assert text in res.stdout, text


def test_trace_layer_level(capsys):
    assert main(["trace", str(EX / "xor.json"), "--input", "1,0", "--target", "1", "--level", "layer"]) == 0
    out = capsys.readouterr().out
    assert "layers.0.matmul = matmul(X, layers.0.weight)" in out
    assert "from layers.1.act" not in out  # BCE is computed from the logits
    assert "∂loss/∂layers.0.weight" in out


def test_gradcheck_passes_and_fails(tmp_path, capsys):
    assert main(["gradcheck", str(EX / "residual.json")]) == 0
    assert "largest relative error" in capsys.readouterr().out
    # A tolerance no float can meet must fail with status 1.
    assert main(["gradcheck", str(EX / "xor.json"), "--tolerance", "1e-30"]) == 1


def test_train_writes_history_and_network(tmp_path):
    out = tmp_path / "run"
    res = run("train", EX / "xor.json", "--data", "xor", "--steps", "300", "--lr", "0.5", "--out", out)
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader((out / "history.csv").open()))
    assert rows[0][:5] == ["step", "epoch", "loss", "val_loss", "lr"]
    assert len(rows) == 301
    assert float(rows[-1][2]) < float(rows[1][2])
    trained = json.loads((out / "network.json").read_text())
    assert trained["format"] == "backprop-viz/network"


def test_train_from_csv(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    res = run("train", EX / "xor.json", "--data", data, "--steps", "5", "--out", tmp_path / "o")
    assert res.returncode == 0, res.stderr


def test_train_reports_divergence(tmp_path):
    res = run("train", EX / "exploding.json", "--data", "plane", "--steps", "50", "--lr", "1",
              "--out", tmp_path / "o")
    assert res.returncode == 1
    assert "went non-finite first at node" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("args, text", [
    (["trace", "missing.json", "--input", "1", "--target", "1"], "no such file"),
    (["trace", EX / "xor.json", "--input", "1,2,3", "--target", "1"], "expected shape (samples, 2)"),
    (["trace", EX / "xor.json", "--input", "a,b", "--target", "1"], "expected numbers"),
    (["train", EX / "xor.json", "--data", "nope", "--steps", "3"], "neither a file nor a built-in"),
    (["train", EX / "xor.json", "--data", "xor", "--steps", "3", "--optimizer", "adamm"], "optimizer.name"),
    (["gradcheck", ROOT / "pyproject.toml"], "not valid JSON"),
])
def test_bad_input_is_one_clear_line(args, text, tmp_path):
    res = run(*args)
    assert res.returncode != 0
    assert text in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_bad_csv_names_line_and_column(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n0,0,0\n0,oops,1\n")
    res = run("train", EX / "xor.json", "--data", data, "--steps", "5", "--out", tmp_path / "o")
    assert res.returncode == 2
    assert "d.csv line 3, column 2: not a number: 'oops'" in res.stderr


def test_trace_of_a_recurrent_network_prints_the_unrolled_derivation():
    res = run("trace", EX / "remember_first_5.json", "--input", "1,0,0,0,0,0", "--target", "1")
    assert res.returncode == 0, res.stderr
    for t in range(1, 7):
        assert f"layers.0.t{t}.act = tanh(layers.0.t{t}.sum)" in res.stdout
    assert "∂loss/∂layers.0.weight_hidden" in res.stdout
    res = run("gradcheck", EX / "sine_prediction.json")
    assert res.returncode == 0 and "layers.0.weight_hidden" in res.stdout


def _project(tmp_path, template, **training):
    from backprop_viz.session.templates import open_template
    p = open_template(template)
    p = p.with_training({**p.training, **training})
    path = tmp_path / f"{template}.json"
    p.save(path)
    return path


def _printed_parameters(out: str, k: int) -> dict:
    import numpy as np
    tail = out.split(f"Parameters after update {k} (every value, full precision)")[1]
    values = {}
    for line in tail.strip().splitlines():
        if " = " not in line:
            break
        name, value = line.strip().split(" = ", 1)
        values[name] = np.array(json.loads(value))
    return values


@pytest.mark.parametrize("template, training, k", [
    ("worked_example", {}, 1),
    ("worked_example", {"optimizer": {"name": "adam", "lr": 0.1}}, 5),
    ("xor", {"optimizer": {"name": "sgd", "lr": 0.3, "momentum": 0.9, "nesterov": True}, "batch_size": 16,
             "clip_grad_norm": 0.2, "schedule": {"name": "step", "step_size": 2, "gamma": 0.5}}, 37),
    ("remember_5", {"optimizer": {"name": "rmsprop", "lr": 0.01, "centered": True}}, 4),
])
def test_trace_update_k_walks_what_train_steps_k_writes(tmp_path, template, training, k):
    import numpy as np
    from backprop_viz.engine import load_network
    path = _project(tmp_path, template, **training)
    res = run("trace", path, "--update", k)
    assert res.returncode == 0, res.stderr
    assert f"Walk of update {k} of this run" in res.stdout
    assert "the optimizer's own rule" in res.stdout
    printed = _printed_parameters(res.stdout, k)
    res = run("train", path, "--steps", k, "--out", tmp_path / "run", "--quiet")
    assert res.returncode == 0, res.stderr
    trained = load_network(tmp_path / "run" / "network.json")
    assert set(printed) == set(trained.params)
    for name, value in trained.params.items():
        assert np.array_equal(printed[name], value), name
    # The trained project opens with its own data and settings.
    from backprop_viz.session.project import Project
    again = Project.load(tmp_path / "run" / "project.json")
    assert again.training == Project.load(path).training


def test_trace_refuses_unclear_requests(tmp_path):
    path = _project(tmp_path, "xor")
    res = run("trace", EX / "xor.json")
    assert res.returncode == 2 and "needed for a network file" in res.stderr
    res = run("trace", path, "--update", 0)
    assert res.returncode == 2 and "--update: must be ≥ 1" in res.stderr
    res = run("trace", path, "--update", 3, "--input", "1,0", "--target", "1")
    assert res.returncode == 2 and "leave out --input" in res.stderr
    res = run("train", EX / "xor.json", "--steps", 3)
    assert res.returncode == 2 and "--data: needed for a network file" in res.stderr


def test_a_diverging_train_never_writes_non_finite_weights(tmp_path):
    from backprop_viz.session.project import Project
    path = _project(tmp_path, "worked_example", optimizer={"name": "adam", "lr": 1e308})
    res = run("train", path, "--steps", 5, "--out", tmp_path / "run", "--quiet")
    assert res.returncode == 1
    assert "was not applied" in res.stderr
    text = (tmp_path / "run" / "network.json").read_text()
    assert "Infinity" not in text and "NaN" not in text
    Project.load(tmp_path / "run" / "project.json")   # opens again
