import math

import numpy as np
import pytest

from backprop_viz.engine import Network, SpecError, Trainer
from backprop_viz.engine.datasets import xor
from backprop_viz.engine.schedules import scheduled_lr

NET = {"inputs": 2, "layers": [{"units": 4, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
       "loss": "binary_cross_entropy", "seed": 1}


def make(**kw):
    X, T = xor(40, seed=0)
    return Trainer(Network.from_dict(NET), X, T, **kw)


def test_full_batch_step_is_plain_gradient_descent():
    net = Network.from_dict(NET)
    X, T = xor(40, seed=0)
    loss, grads = net.copy().loss_and_gradients(X, T)
    before = {k: v.copy() for k, v in net.parameters().items()}
    tr = Trainer(net, X, T, optimizer={"name": "sgd", "lr": 0.5})
    rec = tr.step()
    assert rec["loss"] == pytest.approx(loss, rel=1e-15)
    for name, p in net.parameters().items():
        np.testing.assert_allclose(p, before[name] - 0.5 * grads[name], rtol=1e-14)
    assert rec["epoch_end"] and rec["epoch"] == 1


def test_record_carries_loss_and_per_layer_norms():
    tr = make(optimizer={"name": "sgd", "lr": 0.1})
    rec = tr.step()
    assert set(rec) >= {"step", "epoch", "loss", "lr", "grad_norms", "weight_norms",
                        "update_ratios", "nonfinite", "val_loss"}
    assert len(rec["grad_norms"]) == len(rec["weight_norms"]) == 2
    assert rec["nonfinite"] is None
    w = tr.net.params["layers.0.weight"]
    assert rec["weight_norms"][0] == pytest.approx(float(np.linalg.norm(w)))


def test_mini_batches_and_epochs():
    tr = make(batch_size=16, optimizer={"name": "sgd", "lr": 0.1})
    assert tr.batches_per_epoch == 3
    recs = [tr.step() for _ in range(6)]
    assert [r["epoch_end"] for r in recs] == [False, False, True, False, False, True]
    assert tr.epoch == 2


def test_online_learning_visits_every_sample_once_per_epoch():
    tr = make(batch_size=1, shuffle=True, optimizer={"name": "sgd", "lr": 0.01})
    seen = []
    while True:
        rec = tr.step()
        seen.append(tuple(np.round(tr.last_batch[0][0], 12)))
        if rec["epoch_end"]:
            break
    assert len(seen) == 40 and len(set(seen)) == len(set(map(tuple, np.round(tr.X, 12))))


def test_shuffling_is_deterministic_under_a_seed():
    a, b = make(batch_size=8, seed=3), make(batch_size=8, seed=3)
    for _ in range(10):
        assert a.step()["loss"] == b.step()["loss"]


def test_clip_grad_norm_like_torch():
    tr = make(clip_grad_norm=0.01, optimizer={"name": "sgd", "lr": 1.0})
    net = tr.net
    before = net.flat.copy()
    _, grads = net.copy().loss_and_gradients(tr.X, tr.T)
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads.values()))
    rec = tr.step()
    assert rec["clipped"]
    step = np.linalg.norm(net.flat - before)
    assert step == pytest.approx(0.01 * total / (total + 1e-6), rel=1e-9)


def test_clip_grad_value():
    tr = make(clip_grad_value=1e-4, optimizer={"name": "sgd", "lr": 1.0})
    before = tr.net.flat.copy()
    tr.step()
    assert np.max(np.abs(tr.net.flat - before)) <= 1e-4 + 1e-15


@pytest.mark.parametrize("schedule, epoch, expected", [
    ({"name": "step", "step_size": 2, "gamma": 0.5}, 5, 0.1 * 0.25),
    ({"name": "exponential", "gamma": 0.9}, 3, 0.1 * 0.9 ** 3),
    ({"name": "cosine", "T_max": 10, "eta_min": 0.01}, 5, 0.01 + 0.09 * 0.5),
])
def test_schedules_step_once_per_epoch(schedule, epoch, expected):
    tr = make(schedule=schedule, optimizer={"name": "sgd", "lr": 0.1})
    for _ in range(epoch):
        tr.step()
    assert tr.lr == pytest.approx(expected)
    assert scheduled_lr(tr.schedule, 0.1, epoch) == pytest.approx(expected)


def test_schedule_matches_torch():
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.001)
    ours = {"name": "cosine", "T_max": 7, "eta_min": 0.001}
    for epoch in range(1, 12):
        opt.step()
        sched.step()
        assert scheduled_lr(ours, 0.1, epoch) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)


def test_early_stopping_on_validation_loss():
    X, T = xor(40, seed=0)
    Xv, Tv = xor(40, seed=1)
    tr = Trainer(Network.from_dict(NET), X, T, X_val=Xv, T_val=1 - Tv,   # unlearnable validation
                 optimizer={"name": "adam", "lr": 0.05}, early_stopping={"patience": 3})
    for _ in range(500):
        rec = tr.step()
        assert rec["val_loss"] is not None
        if tr.stopped:
            break
    assert tr.stopped == "early_stopping" and rec["stopped"] == "early_stopping"
    assert tr.epoch < 500


def test_learning_rate_change_takes_effect_at_the_next_update():
    tr = make(optimizer={"name": "sgd", "lr": 0.1})
    tr.step()
    tr.set_lr(0.0001)
    assert tr.step()["lr"] == 0.0001


def test_divergence_is_reported_not_raised():
    net = Network.from_dict({"inputs": 1, "layers": [{"units": 1, "weight": [[1.0]], "bias": [0.0]}],
                             "loss": "mse"})
    tr = Trainer(net, [[10.0]], [[0.0]], optimizer={"name": "sgd", "lr": 10.0})
    for _ in range(100):
        rec = tr.step()
        if rec["nonfinite"]:
            break
    nf = rec["nonfinite"]
    assert nf is not None and tr.diverged == nf
    assert nf["node"] in ("layers.0.matmul", "layers.0.sum", "loss.data")
    # The update that would have been non-finite was not applied.
    assert np.all(np.isfinite(net.flat))


def test_nan_in_the_weights_names_the_first_node():
    net = Network.from_dict(NET)
    net.params["layers.1.weight"][0, 0] = np.nan
    tr = Trainer(net, *xor(8, seed=0), optimizer={"name": "sgd", "lr": 0.1})
    rec = tr.step()
    assert rec["nonfinite"]["node"] == "layers.1.weight"
    assert rec["nonfinite"]["phase"] == "forward"


def test_overflow_names_the_node_that_overflowed():
    net = Network.from_dict({"inputs": 1, "layers": [{"units": 1, "weight": [[1e200]], "bias": [0.0]},
                                                     {"units": 1, "weight": [[1e200]]}], "loss": "mse"})
    rec = Trainer(net, [[1e10]], [[0.0]], optimizer="sgd").step()
    assert rec["nonfinite"] == {"step": 1, "phase": "forward", "node": "layers.1.matmul",
                                "op": "matmul", "layer": 1}


def test_bad_settings():
    for kw, path in [({"batch_size": 0}, "batch_size"), ({"clip_grad_norm": -1}, "clip_grad_norm"),
                     ({"schedule": "linear"}, "schedule"), ({"seed": -2}, "seed"),
                     ({"early_stopping": {"patience": 0}}, "early_stopping.patience"),
                     ({"X_val": np.ones((2, 2))}, "T_val")]:
        with pytest.raises(SpecError) as err:
            make(**kw)
        assert err.value.path == path


def test_batch_norm_running_statistics_follow_torch_momentum():
    net = Network.from_dict({"inputs": 2, "layers": [{"units": 2, "norm": "batch", "weight": [[1, 0], [0, 1]],
                                                      "bias": [0, 0]}], "loss": "mse"})
    X = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    net.loss_and_gradients(X, np.zeros((3, 2)))
    np.testing.assert_allclose(net.running[0]["mean"], 0.1 * X.mean(axis=0))
    np.testing.assert_allclose(net.running[0]["var"], 0.9 + 0.1 * X.var(axis=0, ddof=1))


def test_dropout_only_in_training():
    net = Network.from_dict({"inputs": 4, "layers": [{"units": 50, "activation": "relu", "dropout": 0.5},
                                                     {"units": 1}], "loss": "mse"})
    X = np.ones((3, 4))
    a = net.predict(X)
    np.testing.assert_array_equal(a, net.predict(X))
    res = net.build(X, np.zeros((3, 1)), rng=np.random.default_rng(0))
    mask = res.layers[0]["dropout"].attrs
    assert set(np.unique(mask)) <= {0.0, 2.0} and 0 < (mask == 0).mean() < 1


def test_float32_training():
    X, T = xor(40, seed=0)
    tr = Trainer(Network.from_dict(NET, dtype="float32"), X, T, optimizer={"name": "adam", "lr": 0.05})
    for _ in range(50):
        rec = tr.step()
    assert tr.net.flat.dtype == np.float32 and rec["loss"] < 0.7
