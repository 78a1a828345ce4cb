"""The window's comparison without a window: runs in turns, bounded histories, file form, summary."""

import json
import math
import queue
import threading

import numpy as np
import pytest

from backprop_viz.engine import SpecError
from backprop_viz.engine.files import dumps
from backprop_viz.session import compare
from backprop_viz.session.compare_runs import (X_EPOCHS, Comparison, RunHistory, compact, ema, overlay_csv,
                                               run_series, summary)
from backprop_viz.session.project import Project
from backprop_viz.session.templates import open_template


def _xor(batch_size=8):
    p = open_template("xor")
    return p.with_training({**p.training, "batch_size": batch_size})


def _train_in_turns(c, rounds_at_least):
    stop, ready, out = threading.Event(), threading.Event(), queue.Queue()
    ready.set()
    for _ in c.train(stop, out, ready, max_rate=1000.0):
        while not out.empty():
            c.add(out.get())
        ready.set()
        if min(r.steps for r in c.runs) >= rounds_at_least:
            stop.set()
    while not out.empty():
        c.add(out.get())


def test_runs_in_turns_equal_each_variant_trained_alone():
    c = Comparison.create(_xor(), [compare.parse_vary("optimizer=sgd,adam"), compare.parse_vary("lr=0.1,0.02")])
    _train_in_turns(c, 30)
    for run in c.runs:
        assert len(run.history.records) == run.steps >= 30
        alone = next(r for r in compare.make_runs(_xor(), c.axes) if r.name == run.name)
        compare.train(alone, run.steps)
        assert [r["loss"] for r in run.history.records] == [r["loss"] for r in alone.records]
        assert summary(run, 0.6) == {k: v for k, v in compare.summary(alone, 0.6).items()
                                     if k in summary(run, 0.6)}


def test_bounded_history_keeps_columns_with_the_records():
    h = RunHistory(capacity=10)
    for step in range(1, 101):
        h.add(compact({"step": step, "epoch": 0, "loss": 1.0 / step, "grad_norms": [step, 2 * step]}, step / 10))
    assert len(h.records) <= 10 and h.stride > 1
    assert list(h.column("step")) == [r["step"] for r in h.records]
    assert list(h.column("loss")) == [r["loss"] for r in h.records]
    assert h.column("step")[0] == 1 and h.column("step")[-1] >= 90


def test_ema_is_tensorboards_debiased_average():
    v = [1.0, 2.0, float("nan"), 3.0, float("inf"), 4.0]
    out = ema(v, 0.5)
    avg, n, want = 0.0, 0, []
    for x in v:
        if not math.isfinite(x):
            want.append(x)
            continue
        avg, n = 0.5 * avg + 0.5 * x, n + 1
        want.append(avg / (1 - 0.5 ** n))
    assert np.allclose(out[np.isfinite(out)], [w for w in want if math.isfinite(w)])
    assert math.isnan(out[2]) and math.isinf(out[4])
    assert list(ema(v, 0.0)[:2]) == [1.0, 2.0]


def test_series_and_csv_one_column_per_run():
    c = Comparison.create(_xor(), [compare.parse_vary("batch_size=8,full")])
    c.step_all(3)
    x, y = run_series(c.runs[0], "loss", X_EPOCHS)
    assert list(x) == [1 / 20, 2 / 20, 3 / 20]
    text = overlay_csv("update", c.names, [run_series(r, "loss") for r in c.runs])
    rows = [line.split(",") for line in text.splitlines()]
    assert rows[0] == ["update", "batch 8", "full batch"] and [r[0] for r in rows[1:]] == ["1", "2", "3"]


def test_file_round_trip_and_reset():
    project = _xor()
    c = Comparison.create(project, [compare.parse_vary("init=xavier_uniform,he_normal")])
    c.step_all(4)
    d = json.loads(dumps(project.with_runs(c.to_dict()).to_dict()))
    reopened = Project.from_dict(d)
    again = Comparison.from_dict(reopened.runs, reopened)
    for a, b in zip(c.runs, again.runs):
        assert (a.name, a.steps) == (b.name, b.steps)
        assert [r["loss"] for r in a.history.records] == [r["loss"] for r in b.history.records]
        for k, v in a.session.net.params.items():
            assert np.array_equal(v, b.session.net.params[k])
    first = [r.history.records[0]["loss"] for r in c.runs]
    c.reset()
    c.step_all(1)
    assert [r.history.records[0]["loss"] for r in c.runs] == first


def test_a_diverged_run_is_written_with_nulls_and_reads_back():
    from pathlib import Path
    p = Project.load(Path(__file__).resolve().parents[2] / "assets" / "examples" / "exploding.json")
    c = Comparison.create(p, [compare.parse_vary("clip_grad_norm=none,0.001")])
    c.step_all(40)
    big = c.runs[0]
    assert big.finished == "diverged" and big.steps == 3 and not math.isfinite(big.history.records[-1]["loss"])
    assert summary(big)["diverged"] and summary(big)["updates"] == 2
    d = json.loads(dumps(p.with_runs(c.to_dict()).to_dict()))
    again = Comparison.from_dict(Project.from_dict(d).runs, p)
    assert again.runs[0].finished == "diverged" and math.isnan(again.runs[0].history.records[-1]["loss"])
    assert again.runs[1].finished is None and again.runs[1].steps == 40


def test_too_many_runs_are_refused():
    with pytest.raises(SpecError, match="at most 8"):
        Comparison.create(_xor(), [compare.parse_vary("lr=0.1,0.2,0.3"), compare.parse_vary("seed=1,2,3")])
