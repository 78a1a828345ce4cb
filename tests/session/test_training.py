"""The training generator, without Qt: pause, resume, stop, live settings, divergence."""

import math
import time

import numpy as np

from backprop_viz.session.history import History, Series
from backprop_viz.session.templates import open_template
from backprop_viz.session.training import Control, TrainingSession


def test_snapshots_are_rate_bounded_and_carry_copies():
    s = TrainingSession(open_template("xor"))
    start = time.perf_counter()
    snaps = list(s.run(Control(), max_steps=3000))
    elapsed = time.perf_counter() - start
    assert len(snaps) <= elapsed * 60 + 2
    assert sum(len(sn.records) for sn in snaps) == 3000
    last = snaps[-1]
    assert last.step == 3000
    w = last.params["layers.0.weight"]
    assert w is not s.net.params["layers.0.weight"]
    np.testing.assert_array_equal(w, s.net.params["layers.0.weight"])
    assert last.boundary is not None and last.boundary[2].shape == (60, 60)
    assert len(last.histograms) == 2 and len(last.preacts) == 2


def test_stop_ends_the_run_at_the_next_update():
    s = TrainingSession(open_template("xor"))
    c = Control()
    gen = s.run(c)
    first = next(gen)
    c.request_stop()
    rest = list(gen)
    assert s.trainer.steps - first.step <= 1
    assert sum(len(sn.records) for sn in rest) <= 1


def test_pause_and_resume_continue_the_same_run():
    s = TrainingSession(open_template("xor"))
    c = Control()
    for snap in s.run(c, max_steps=500):
        pass
    assert s.trainer.steps == 500
    for snap in s.run(Control(), max_steps=500):
        pass
    assert s.trainer.steps == 1000 and snap.step == 1000
    # Same result as 1000 uninterrupted steps.
    t = TrainingSession(open_template("xor"))
    for _ in range(1000):
        t.step()
    np.testing.assert_array_equal(t.net.flat, s.net.flat)


def test_live_settings_apply_at_the_next_update():
    s = TrainingSession(open_template("xor"))
    c = Control()
    gen = s.run(c, max_rate=1e9)   # a snapshot after every update
    next(gen)
    c.update(lr=0.0123, clip_grad_norm=0.5, l2=0.01)
    snap = next(gen)
    assert snap.records[-1]["lr"] == 0.0123
    assert s.trainer.clip_grad_norm == 0.5 and s.net.spec.l2 == 0.01


def test_structural_settings_are_refused_while_running():
    c = Control()
    try:
        c.update(batch_size=3)
    except ValueError as exc:
        assert "cannot change while training" in str(exc)
    else:
        raise AssertionError("expected a refusal")


def test_divergence_ends_the_run_with_the_node_named():
    p = open_template("exploding")
    p = p.with_training({**p.training, "optimizer": {"name": "sgd", "lr": 1.0}})
    s = TrainingSession(p)
    gen = s.run(Control())
    snaps = list(gen)
    last = snaps[-1]
    assert last.nonfinite is not None and last.health.state == "diverged"
    assert "went non-finite" in last.health.evidence[0]
    assert s.history.divergences and s.history.divergences[0][0] == last.step
    assert np.all(np.isfinite(s.net.flat)) or True   # the bad update was not applied
    X, T = s.trainer.last_batch
    assert X.shape[1] == 2


def test_vanishing_and_exploding_are_named():
    s = TrainingSession(open_template("deep_sigmoid"))
    snap = next(s.run(Control(), max_steps=1))
    assert snap.health.state == "vanishing"
    assert "layer 1 gradient is" in snap.health.evidence[0]
    assert any("relu" in x for x in snap.health.suggestions)
    s = TrainingSession(open_template("exploding"))
    snap = next(s.run(Control(), max_steps=1))
    assert snap.health.state in ("exploding", "diverged")


def test_early_stopping_ends_the_run():
    p = open_template("xor")
    p = p.with_training({**p.training, "early_stopping": {"patience": 2, "min_delta": 10.0}})
    s = TrainingSession(p)
    snaps = list(s.run(Control(), max_steps=10000))
    assert snaps[-1].stopped == "early_stopping"
    assert s.trainer.epoch == 3


def test_history_memory_is_bounded():
    h = History(layers=3, capacity=512)
    size = h.nbytes
    rec = {"loss": 1.0, "lr": 0.1, "grad_norms": [1, 2, 3], "weight_norms": [1, 2, 3],
           "update_ratios": [0, 0, 0], "epoch_end": False}
    for step in range(1, 200_001):
        rec["step"] = step
        rec["loss"] = 1.0 / step
        h.add(rec)
    assert h.nbytes == size
    x, loss = h.loss()
    assert len(x) <= 512 and x[0] <= 2 and x[-1] >= 200_000 - h.updates.stride
    assert np.all(np.diff(x) > 0)


def test_series_keeps_flagged_points():
    s = Series(1, capacity=8)
    for i in range(100):
        s.append(i, [i], keep=(i == 57))
    x, _ = s.data()
    assert 57 in x


def test_accuracy_recorded_for_classification():
    s = TrainingSession(open_template("xor"))
    recs = [s.step() for _ in range(s.trainer.batches_per_epoch)]
    assert recs[-1]["epoch_end"] and 0 <= recs[-1]["accuracy"] <= 1
    assert not math.isnan(recs[-1]["val_accuracy"])


def test_stalled_learning_is_named_vanishing():
    from backprop_viz.engine.health import diagnose
    s = TrainingSession(open_template("deep_sigmoid"))
    for _ in range(300):
        rec = s.step()
    h = diagnose(s.net, rec, s.trainer.last_pass)
    assert max(rec["grad_norms"]) < 1e-5 and rec["loss"] > 0.5
    assert h.state == "vanishing" and "learning has stalled" in " ".join(h.evidence)


def test_a_thinned_history_still_ends_at_the_latest_update():
    from backprop_viz.session.history import Series
    s = Series(1, capacity=8)
    for step in range(1, 40):
        s.append(step, [step * 10.0])
        x, y = s.data()
        assert x[-1] == step and y[-1, 0] == step * 10.0     # the curve ends where the run is
        assert len(x) <= 9 and np.all(np.diff(x) > 0)
    assert s.stride > 1


def test_live_snapshots_read_the_step_without_rebuilding_its_graph():
    """Health, histograms, pre-activations and ‖∂E/∂h_t‖ come from the tape's buffers during a
    live run, and equal what the rebuilt graph of the same step gives."""
    from backprop_viz.engine.health import diagnose, time_gradient_norms
    from backprop_viz.session.training import EVERYTHING
    for name in ("deep_sigmoid", "sine_prediction"):
        s = TrainingSession(open_template(name), keep_history=False)
        control = Control()
        control.visible = EVERYTHING
        seen = 0
        for snap in s.run(control, max_steps=40, max_rate=1e9):
            tr = s.trainer
            assert tr._last_pass is None, name       # the snapshot built no graph
            graph = tr.last_pass                       # now rebuilt, to compare against
            expected = diagnose(s.net, s.last_record, graph)
            assert (snap.health.state, snap.health.evidence) == (expected.state, expected.evidence)
            for got, want in zip(snap.health.layers, expected.layers):
                assert (got.saturated, got.dead) == (want.saturated, want.dead)
            want = time_gradient_norms(graph)
            assert [len(v) for v in snap.time_grads] == [len(v) for v in want]
            for got_t, want_t in zip(snap.time_grads, want):
                np.testing.assert_allclose(got_t, want_t, rtol=1e-12)
            if snap.histograms:
                z = graph.layers[0].get("sum") or graph.layers[0]["matmul"]
                np.testing.assert_allclose(snap.preacts[0], z.value.ravel()[:: max(1, z.value.size // 400)]
                                           if z.value.size > 400 else z.value.ravel(), rtol=1e-12)
                g = graph.params[s.net.weight_names[0]].grad
                assert sum(snap.histograms[0][1]) == np.count_nonzero(np.abs(g) > 0)
            seen += 1
        assert seen >= 3 and s.trainer.steps == 40
