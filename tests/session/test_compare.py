"""Compared runs, without Qt: same start, same batches, the numbers of each variant trained alone."""

import csv
import math

import numpy as np
import pytest

from backprop_viz.engine import SpecError
from backprop_viz.session import compare
from backprop_viz.session.compare_files import write_all
from backprop_viz.session.templates import open_template
from backprop_viz.session.training import TrainingSession


def _xor(batch_size=4):
    p = open_template("xor")
    return p.with_training({**p.training, "batch_size": batch_size})


def _alone(project, steps):
    s = TrainingSession(project)
    return [s.step()["loss"] for _ in range(steps)], s.net


def test_optimizer_variants_start_from_the_same_weights_and_see_the_same_batches():
    base = _xor()
    runs = compare.make_runs(base, [compare.parse_vary("optimizer=sgd,momentum,nesterov,rmsprop,adam")])
    assert [r.name for r in runs] == ["SGD", "Momentum", "Nesterov", "RMSprop", "Adam"]
    sessions = [TrainingSession(r.project) for r in runs]
    for s in sessions[1:]:
        for name, w in sessions[0].net.params.items():
            np.testing.assert_array_equal(s.net.params[name], w)
    for name, w in base.network().params.items():
        np.testing.assert_array_equal(sessions[0].net.params[name], w)
    for _ in range(25):  # several epochs of 4-sample batches: reshuffles included
        rows = [s.trainer.peek_rows().tolist() for s in sessions]
        assert all(r == rows[0] for r in rows)
        for s in sessions:
            s.step()
    # ... and they did train differently.
    assert len({s.trainer.optimizer.settings["name"] for s in sessions}) == 3
    assert len({float(s.net.params["layers.0.weight"][0, 0]) for s in sessions}) == 5


def test_each_run_equals_training_that_variant_alone():
    runs = compare.make_runs(_xor(), [compare.parse_vary("optimizer=sgd,adam"), compare.parse_vary("lr=0.1,0.01")])
    assert [r.name for r in runs] == ["SGD lr 0.1", "SGD lr 0.01", "Adam lr 0.1", "Adam lr 0.01"]
    for run in runs:
        assert compare.train(run, 40) == "done"
        losses, net = _alone(run.project, 40)
        assert [r["loss"] for r in run.records] == losses
        for name, w in net.params.items():
            np.testing.assert_array_equal(run.net.params[name], w)
    adam = runs[3].project.training["optimizer"]
    assert adam["name"] == "adam" and adam["lr"] == 0.01 and "momentum" not in adam


def test_settings_that_reinitialise_draw_fresh_weights_and_the_rest_keep_them():
    base = _xor()
    w0 = base.network().params["layers.0.weight"]
    keep = compare.make_runs(base, [compare.parse_vary("batch_size=1,full"), compare.parse_vary("clip_grad_norm=1")])
    for r in keep:
        np.testing.assert_array_equal(r.project.network().params["layers.0.weight"], w0)
    assert [r.project.training["batch_size"] for r in keep] == [1, None]
    assert keep[1].name == "full batch clip norm 1"
    inits = compare.make_runs(base, [compare.parse_vary("init=zeros,small_normal,he_normal")])
    ws = [r.project.network().params["layers.0.weight"] for r in inits]
    assert not ws[0].any()
    assert 0 < np.abs(ws[1]).max() < 0.05
    assert np.abs(ws[2]).max() > 0.05
    acts = compare.make_runs(base, [compare.parse_vary("activation=relu,tanh")])
    layers = acts[0].project.network_spec["layers"]
    assert layers[0]["activation"] == "relu"
    assert layers[-1]["activation"] == base.network_spec["layers"][-1]["activation"]
    seeds = compare.make_runs(base, [compare.parse_vary("seed=1,2")])
    assert seeds[0].project.training["seed"] == 1
    assert not np.array_equal(seeds[0].project.network().params["layers.0.weight"],
                              seeds[1].project.network().params["layers.0.weight"])


def test_a_normalisation_variant_keeps_the_weights_and_starts_as_the_identity():
    base = _xor()
    w = base.network().params
    runs = compare.make_runs(base, [compare.parse_vary("norm=none,batch,layer")])
    assert [r.name for r in runs] == ["no norm", "batch norm", "layer norm"]
    for r in runs[1:]:
        net = r.project.network()
        for k in ("layers.0.weight", "layers.1.weight"):
            np.testing.assert_array_equal(net.params[k], w[k])
        np.testing.assert_array_equal(net.params["layers.0.gamma"], 1.0)
        np.testing.assert_array_equal(net.params["layers.0.beta"], 0.0)
        assert "layers.1.gamma" not in net.params     # the output layer keeps no normalisation
    compare.train(runs[1], 5)
    assert len(runs[1].records) == 5 and all(math.isfinite(r["loss"]) for r in runs[1].records)


def test_summary_reports_final_best_accuracy_and_the_update_that_reached_the_target():
    run = compare.make_runs(_xor(None), [compare.parse_vary("optimizer=adam"), compare.parse_vary("lr=0.1")])[0]
    compare.train(run, 150)
    losses = [r["loss"] for r in run.records]
    target = losses[60]
    s = compare.summary(run, target)
    assert s["final_loss"] == losses[-1] and s["best_loss"] == min(losses)
    assert s["reached_target_at"] == next(i + 1 for i, v in enumerate(losses) if v <= target)
    assert s["accuracy"] is not None and 0 <= s["accuracy"] <= 1
    assert s["best_val_loss"] is not None
    assert compare.summary(run, 1e-12)["reached_target_at"] is None


@pytest.mark.parametrize("text, where", [
    ("colour=red", "--vary"), ("lr=fast", "--vary lr"), ("lr=-1", "--vary lr"), ("optimizer=lbfgs", "--vary optimizer"),
    ("init=ones", "--vary init"), ("activation=softmax", "--vary activation"), ("batch_size=0", "--vary batch_size"),
    ("batch_size=2.5", "--vary batch_size"), ("norm=group", "--vary norm"), ("lr", "--vary"), ("lr=", "--vary lr"), ("seed=-3", "--vary seed"),
])
def test_bad_vary_input_names_key_and_value(text, where):
    with pytest.raises(SpecError) as info:
        compare.parse_vary(text)
    assert info.value.path == where


def test_a_key_given_twice_or_duplicate_runs_is_refused():
    with pytest.raises(SpecError, match="given twice"):
        compare.make_runs(_xor(), [compare.parse_vary("lr=0.1"), compare.parse_vary("lr=0.2")])
    with pytest.raises(SpecError, match="both be"):
        compare.make_runs(_xor(), [compare.parse_vary("lr=0.1,0.1")])


def test_files_hold_one_column_per_run_and_a_summary_row_per_run(tmp_path):
    runs = compare.make_runs(_xor(40), [compare.parse_vary("optimizer=sgd,adam")])
    for r in runs:
        compare.train(r, 30)
    written = write_all(runs, str(tmp_path), target_loss=0.7)
    names = sorted(p.split("/")[-1] for p in written)
    assert set(names) == {f"{plot}.{fmt}" for plot in ("loss", "val_loss", "accuracy", "grad_ratio")
                          for fmt in ("csv", "png", "svg")} | {"summary.csv", "summary.md"}
    val = list(csv.reader(open(tmp_path / "val_loss.csv")))
    # Validation is first measured at the first epoch's end (4 batches of 40): no empty rows before.
    assert [int(r[0]) for r in val[1:]] == [r["step"] for r in runs[0].records if r["val_loss"] is not None]
    assert val[1][0] == "4"
    assert [float(r[1]) for r in val[1:]] == [r["val_loss"] for r in runs[0].records if r["val_loss"] is not None]
    acc = list(csv.reader(open(tmp_path / "accuracy.csv")))
    assert [float(r[2]) for r in acc[1:]] == [r["accuracy"] for r in runs[1].records if r.get("accuracy") is not None]
    rows = list(csv.reader(open(tmp_path / "loss.csv")))
    assert rows[0] == ["update", "SGD", "Adam"]
    assert len(rows) == 31
    assert [float(r[2]) for r in rows[1:]] == [r["loss"] for r in runs[1].records]
    summary = list(csv.DictReader(open(tmp_path / "summary.csv")))
    assert [s["run"] for s in summary] == ["SGD", "Adam"]
    assert float(summary[1]["final_loss"]) == runs[1].records[-1]["loss"]
    md = (tmp_path / "summary.md").read_text()
    assert "| SGD |" in md and "| Adam |" in md and "≤ 0.7" in md
    svg = (tmp_path / "loss.svg").read_text()
    assert "SGD" in svg and "Adam" in svg   # the legend names each run
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ratio = list(csv.reader(open(tmp_path / "grad_ratio.csv")))
    g = runs[0].records[0]["grad_norms"]
    assert math.isclose(float(ratio[1][1]), g[0] / g[-1])


def test_a_diverging_run_stops_and_is_marked(tmp_path):
    from backprop_viz.session.project import Project
    from pathlib import Path
    p = Project.load(Path(__file__).resolve().parents[2] / "assets" / "examples" / "exploding.json")
    run = compare.make_runs(p, [compare.parse_vary("lr=5")])[0]
    assert compare.train(run, 100) == "diverged"
    assert run.records[-1]["nonfinite"] and len(run.records) < 100
    s = compare.summary(run)
    assert s["diverged"] is True and s["updates"] == len(run.records) - 1
    write_all([run], str(tmp_path))
    assert "| yes |" in (tmp_path / "summary.md").read_text()
