"""Live training's costs kept in check, without Qt: validation on a time budget, costly views
only when shown, packed records, and a rate measured over training time only."""

import numpy as np

from backprop_viz.session.history import History, pack, unpack
from backprop_viz.session.templates import open_template
from backprop_viz.session.training import (BOUNDARY, DISTRIBUTIONS, EVERYTHING, Control,
                                           TrainingSession)


class FakeClock:
    """Each reading is ``dt`` later than the one before; ``idle`` jumps ahead."""

    def __init__(self, dt=0.001):
        self.t, self.dt = 0.0, dt

    def __call__(self):
        self.t += self.dt
        return self.t

    def idle(self, seconds):
        self.t += seconds


def records_of(snaps):
    return [r for sn in snaps for r in sn.records]


def test_live_validation_runs_on_a_budget_and_equals_a_direct_evaluation():
    s = TrainingSession(open_template("xor"))        # an epoch ends every 5 updates
    s.clock = FakeClock()
    recs = records_of(s.run(Control(), max_steps=1000))
    ends = [r for r in recs if r["epoch_end"]]
    measured = [r for r in ends if r["val_loss"] is not None]
    assert len(ends) == 200
    assert 0 < len(measured) < len(ends) / 3
    assert all(r["accuracy"] is not None and r["val_accuracy"] is not None for r in measured)
    # The same run replayed one step at a time, measured the engine's way (a graph) at every epoch end.
    t = TrainingSession(open_template("xor"))
    direct = {}
    Xv, Tv = t.trainer.X_val, t.trainer.T_val
    for _ in range(1000):
        rec = t.trainer.step()
        if rec["epoch_end"]:
            direct[rec["step"]] = (t.net.loss(Xv, Tv), t.trainer.accuracy(t.trainer.X, t.trainer.T),
                                   t.trainer.accuracy(Xv, Tv))
    for r in measured:
        assert (r["val_loss"], r["accuracy"], r["val_accuracy"]) == direct[r["step"]]
    # The trainer has its validation set back once the run is over.
    assert s.trainer.X_val is not None and np.array_equal(s.trainer.X_val, Xv)


def test_single_steps_still_validate_every_epoch():
    s = TrainingSession(open_template("xor"))
    recs = [s.step() for _ in range(20)]
    ends = [r for r in recs if r["epoch_end"]]
    assert len(ends) == 4 and all(r["val_loss"] is not None and r["val_accuracy"] is not None for r in ends)


def test_early_stopping_still_watches_every_epoch_while_live():
    p = open_template("xor")
    p = p.with_training({**p.training, "early_stopping": {"patience": 1000}})
    s = TrainingSession(p)
    s.clock = FakeClock()
    recs = records_of(s.run(Control(), max_steps=100))
    assert all(r["val_loss"] is not None for r in recs if r["epoch_end"])


def test_the_rate_counts_training_time_only():
    s = TrainingSession(open_template("xor"))
    clock = s.clock = FakeClock()
    rates = []
    for snap in s.run(Control(), max_steps=400):
        clock.idle(5.0)          # the window takes its time between snapshots: not training time
        rates.append(snap.steps_per_second)
    first = rates[-1]
    assert first > 100           # a few fake milliseconds per update, not seconds
    clock.idle(1000.0)           # paused for a long while
    for snap in s.run(Control(), max_steps=400):
        pass
    assert abs(snap.steps_per_second - first) / first < 0.2
    # A single step carries no rate: the label keeps the last run's.
    s.step()
    assert s.snapshot([s.last_record], boundary=True).steps_per_second is None


def test_costly_views_only_when_visible():
    s = TrainingSession(open_template("xor"))
    s.clock = FakeClock(dt=0.01)
    c = Control()
    c.visible = frozenset()
    snaps = list(s.run(c, max_steps=300))
    assert all(sn.boundary is None and sn.histograms is None and sn.preacts is None for sn in snaps[:-1])
    # The last snapshot of a run shows everything as it ended.
    assert snaps[-1].boundary is not None and snaps[-1].histograms is not None
    c = Control()
    c.visible = frozenset({BOUNDARY})
    snaps = list(s.run(c, max_steps=300))
    with_grid = [sn for sn in snaps[:-1] if sn.boundary is not None]
    assert with_grid and all(sn.histograms is None for sn in snaps[:-1])
    c = Control()
    c.visible = frozenset({DISTRIBUTIONS})
    snaps = list(s.run(c, max_steps=300))
    assert any(sn.histograms is not None for sn in snaps[:-1])
    assert all(sn.boundary is None for sn in snaps[:-1])
    assert Control().visible == EVERYTHING


def test_packed_records_round_trip_into_the_history():
    s = TrainingSession(open_template("deep_sigmoid"))
    recs = [s.step() for _ in range(30)]
    L = len(s.net.spec.layers)
    rows = pack(recs, L)
    assert rows.dtype == np.float64 and rows.shape[0] == 30
    back = unpack(rows, L)
    for a, b in zip(recs, back):
        for key in ("step", "epoch", "loss", "val_loss", "lr", "accuracy", "val_accuracy", "epoch_end",
                    "grad_norms", "weight_norms", "update_ratios"):
            assert a.get(key) == b[key], key
    one, many = History(L), History(L)
    for r in recs:
        one.add(r)
    many.add_rows(rows)
    for name in ("loss", "lr", "grad_norms", "weight_norms", "update_ratios", "val_loss", "accuracy"):
        for x, y in zip(getattr(one, name)(), getattr(many, name)()):
            np.testing.assert_array_equal(x, y)


def test_records_of_any_shape_pack_alike():
    """The fast packing of the trainer's records equals the careful one, and records with keys
    missing or lists of another length (hand-made, a non-finite report) still pack."""
    from backprop_viz.session.history import _pack_each
    s = TrainingSession(open_template("xor"))
    recs = [s.step() for _ in range(40)]
    L = len(s.net.spec.layers)
    np.testing.assert_array_equal(pack(recs, L), _pack_each(recs, L))
    odd = [dict(recs[0]), {"step": 7, "loss": 0.5, "epoch_end": True, "nonfinite": {"phase": "forward"}},
           dict(recs[1], grad_norms=[1.0])]
    rows = pack(recs[:2] + odd, L)
    np.testing.assert_array_equal(rows, _pack_each(recs[:2] + odd, L))
    assert rows[3, 0] == 7 and np.isnan(rows[3, 1]) and rows[3, 7] == 1.0 and rows[3, 8] == 1.0
    assert np.isnan(rows[4, 9:9 + L]).all()
    assert pack([], L).shape == (0, 9 + 3 * L)
