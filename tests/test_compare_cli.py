"""`backprop-viz compare`, run as a user runs it: each run's numbers equal `train` of that variant alone."""

import csv
from pathlib import Path

import pytest

from backprop_viz.cli import main

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "assets" / "examples"


def _project(tmp_path, batch_size=8):
    from backprop_viz.session.project import Project
    p = Project.load(EX / "xor.json")
    p = p.with_training({**p.training, "batch_size": batch_size})
    path = tmp_path / "xor-project.json"
    p.save(path)
    return path


def _column(path, name):
    with open(path) as fh:
        return [row[name] for row in csv.DictReader(fh)]


def test_compare_equals_train_of_each_variant_alone(tmp_path, capsys):
    project = _project(tmp_path)
    out = tmp_path / "cmp"
    assert main(["compare", str(project), "--vary", "optimizer=sgd,adam", "--vary", "lr=0.1,0.02",
                 "--steps", "60", "--out", str(out), "--target-loss", "0.69"]) == 0
    said = capsys.readouterr().out
    assert "compared 4 runs" in said
    header = next(csv.reader(open(out / "loss.csv")))
    assert header == ["update", "SGD lr 0.1", "SGD lr 0.02", "Adam lr 0.1", "Adam lr 0.02"]
    for name, opt, lr in [("SGD lr 0.02", "sgd", "0.02"), ("Adam lr 0.1", "adam", "0.1")]:
        alone = tmp_path / f"alone-{opt}-{lr}"
        assert main(["train", str(project), "--optimizer", opt, "--lr", lr, "--steps", "60",
                     "--out", str(alone), "--quiet"]) == 0
        assert [float(v) for v in _column(out / "loss.csv", name)] == \
               [float(v) for v in _column(alone / "history.csv", "loss")]
    rows = {r["run"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    assert set(rows) == set(header[1:])
    assert rows["Adam lr 0.1"]["optimizer"] == "adam" and rows["Adam lr 0.1"]["lr"] == "0.1"
    for f in ("loss.png", "loss.svg", "summary.md", "grad_ratio.csv"):
        assert (out / f).stat().st_size > 0


def test_batch_preset_equals_train_with_that_batch_size(tmp_path, capsys):
    project = _project(tmp_path)
    out = tmp_path / "cmp"
    assert main(["compare", str(project), "--preset", "batch", "--steps", "20", "--out", str(out)]) == 0
    header = next(csv.reader(open(out / "loss.csv")))
    assert header == ["update", "batch 1", "batch 32", "full batch"]
    alone = tmp_path / "alone"
    assert main(["train", str(project), "--batch-size", "32", "--steps", "20", "--out", str(alone),
                 "--quiet"]) == 0
    assert [float(v) for v in _column(out / "loss.csv", "batch 32")] == \
           [float(v) for v in _column(alone / "history.csv", "loss")]


def test_optimizer_preset_races_five_optimizers(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(_project(tmp_path)), "--preset", "optimizers", "--vary", "lr=0.05",
                 "--steps", "5", "--out", str(out)]) == 0
    header = next(csv.reader(open(out / "loss.csv")))
    assert header[1:] == ["SGD lr 0.05", "Momentum lr 0.05", "Nesterov lr 0.05", "RMSprop lr 0.05", "Adam lr 0.05"]
    first = next(csv.DictReader(open(out / "loss.csv")))
    assert len({first[h] for h in header[1:]}) == 1   # the same start: the same first loss


def test_init_preset_on_a_deep_network(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(EX / "deep_sigmoid_vanishing.json"), "--preset", "init", "--steps", "3",
                 "--out", str(out), "--quiet"]) == 0
    header = next(csv.reader(open(out / "grad_ratio.csv")))
    assert header[1:] == ["zeros", "small normal", "xavier uniform", "he normal"]
    # Zero first-layer gradients cannot go on a log axis: the run stays in the legend, marked.
    assert "zeros (no positive values: not drawn)" in (out / "grad_ratio.svg").read_text()


@pytest.mark.parametrize("args, words", [
    (["--vary", "colour=red"], "unknown key 'colour'"),
    (["--vary", "lr=fast"], "--vary lr: expected a number, got 'fast'"),
    (["--vary", "optimizer=lbfgs"], "unknown optimizer 'lbfgs'"),
    (["--vary", "batch_size=0"], "must be ≥ 1"),
    ([], "nothing to compare"),
    (["--preset", "batch", "--vary", "batch_size=2,4"], "--preset batch already varies batch_size"),
    (["--vary", "optimizer=adam", "--vary", "momentum=0.5"], "adam has no momentum setting"),
    (["--vary", "lr=0.1", "--steps", "0"], "--steps: must be ≥ 1"),
])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path, capsys, args, words):
    out = tmp_path / "cmp"
    argv = ["compare", str(_project(tmp_path)), "--out", str(out), *args]
    if "--steps" not in args:
        argv += ["--steps", "5"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and words in err[0], err
    assert not out.exists()


def test_a_missing_project_is_one_error_line(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nope.json"), "--vary", "lr=0.1", "--steps", "2",
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
