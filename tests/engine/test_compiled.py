"""The compiled training step against the graph path it replays.

Two trainers on twin networks, one compiled and one on the graph, take the
same steps; weights, optimizer state and every record field must agree to
1e-14 relative (in practice: bit for bit) over many steps, for random
networks over every activation, loss, optimizer, penalty, dropout and
residual combination, with a last partial batch in every epoch.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz.engine import Network, Trainer
from backprop_viz.engine.graph import backward
from backprop_viz.engine.optimizers import NAMES as OPTIMIZERS

from .helpers import ACTIVATIONS, output_activation, targets_for

LOSSES = ["half_squared_error", "squared_error", "mse", "cross_entropy", "binary_cross_entropy", "hinge"]
RTOL = 1e-14


@st.composite
def runs(draw):
    inputs = draw(st.integers(1, 4))
    loss = draw(st.sampled_from(LOSSES))
    hidden = draw(st.integers(0, 3))
    layers, fan_in = [], inputs
    for _ in range(hidden):
        units = draw(st.sampled_from([fan_in, 1, 3, 5]))
        layer = {"units": units, "activation": draw(st.sampled_from(ACTIVATIONS)),
                 "use_bias": draw(st.booleans())}
        if draw(st.booleans()):
            layer["dropout"] = draw(st.sampled_from([0.2, 0.5]))
        if units == fan_in and draw(st.booleans()):
            layer["residual"] = True
        layers.append(layer)
        fan_in = units
    k = draw(st.integers(2, 3)) if loss == "cross_entropy" else draw(st.integers(1, 2))
    out_act = output_activation(loss, draw(st.sampled_from(ACTIVATIONS)))
    layers.append({"units": k, "activation": out_act, "use_bias": draw(st.booleans())})
    spec = {"inputs": inputs, "layers": layers, "loss": loss, "seed": draw(st.integers(0, 99)),
            "l1": draw(st.sampled_from([0.0, 0.0, 1e-3])), "l2": draw(st.sampled_from([0.0, 0.0, 1e-2]))}
    name = draw(st.sampled_from(OPTIMIZERS))
    optimizer = {"name": name, "lr": draw(st.sampled_from([1e-3, 0.05]))}
    if name == "sgd" and draw(st.booleans()):
        optimizer["momentum"] = 0.9
    train = {"optimizer": optimizer, "batch_size": draw(st.sampled_from([None, 4, 7])),
             "clip_grad_norm": draw(st.sampled_from([None, 0.5])),
             "clip_grad_value": draw(st.sampled_from([None, 0.05]))}
    n = draw(st.integers(9, 20))
    return spec, train, n, draw(st.integers(0, 999))


def twins(spec, train, n, data_seed, dtype=None):
    rng = np.random.default_rng(data_seed)
    X = rng.normal(size=(n, spec["inputs"]))
    T = targets_for(spec["loss"], rng, n, spec["layers"][-1]["units"])
    fast = Trainer(Network.from_dict(spec, dtype), X, T, **train)
    slow = Trainer(Network.from_dict(spec, dtype), X, T, **train)
    slow.compile = False
    return fast, slow


def assert_same_step(a, b, ra, rb):
    assert set(ra) == set(rb)
    for key in ra:
        if isinstance(ra[key], float):
            np.testing.assert_allclose(ra[key], rb[key], rtol=RTOL, atol=0, err_msg=key)
        elif isinstance(ra[key], list):
            np.testing.assert_allclose(ra[key], rb[key], rtol=RTOL, atol=1e-300, err_msg=key)
        else:
            assert ra[key] == rb[key], key
    np.testing.assert_allclose(a.net.flat, b.net.flat, rtol=RTOL, atol=1e-300)
    for key, value in b.optimizer.state.get("*", {}).items():
        np.testing.assert_allclose(a.optimizer.state["*"][key], value, rtol=RTOL, atol=1e-300, err_msg=key)


def _same(x, y, what):
    np.testing.assert_allclose(x, y, rtol=RTOL, atol=1e-300, err_msg=what)


def assert_same_stats(fast, slow, same=_same):
    """What the diagnosis and the distributions read of a compiled step, from its buffers (no graph
    rebuilt), equals what the graph path's pass gives."""
    a, b = fast.last_stats(), slow.last_stats()
    assert fast._last_pass is None, "the tape's statistics must not rebuild the graph"
    assert len(a.outputs) == len(b.outputs) == len(fast.net.spec.layers)
    for name in ("outputs", "preacts", "weight_grads"):
        for i, (x, y) in enumerate(zip(getattr(a, name), getattr(b, name))):
            same(x, y, f"{name}[{i}]")
    assert [len(t) for t in a.time_grads] == [len(t) for t in b.time_grads]
    for x, y in zip(a.time_grads, b.time_grads):
        same(x, y, "‖∂E/∂h_t‖")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_compiled_step_equals_the_graph_path(run):
    spec, train, n, data_seed = run
    fast, slow = twins(spec, train, n, data_seed)
    assert fast._compiled(fast.X[:1]).tape is not None
    for _ in range(12):
        ra, rb = fast.step(), slow.step()
        assert_same_step(fast, slow, ra, rb)
        if ra["nonfinite"]:
            break
        assert_same_stats(fast, slow)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_the_last_steps_graph_is_the_compiled_steps(run):
    """What a snapshot or a walk reads (values, gradients, loss) is what the step computed."""
    spec, train, n, data_seed = run
    fast, slow = twins(spec, train, n, data_seed)
    for _ in range(3):
        fast.step()
        slow.step()
    a, b = fast.last_pass, slow.last_pass
    assert [node.name for node in a.order] == [node.name for node in b.order]
    for x, y in zip(a.order, b.order):
        np.testing.assert_allclose(x.value, y.value, rtol=RTOL, atol=1e-300, err_msg=x.name)
        if y.grad is not None:
            np.testing.assert_allclose(x.grad, y.grad, rtol=RTOL, atol=1e-300, err_msg=x.name)
    for name in slow.last_update["used"]:
        np.testing.assert_allclose(fast.last_update["used"][name], slow.last_update["used"][name],
                                   rtol=RTOL, atol=1e-300)
        np.testing.assert_allclose(fast.last_update["raw"][name], slow.last_update["raw"][name],
                                   rtol=RTOL, atol=1e-300)


def deep_tanh(**kw):
    spec = {"inputs": 2, "layers": [{"units": 8, "activation": "tanh"}, {"units": 8, "activation": "tanh"},
                                    {"units": 1, "activation": "sigmoid"}],
            "loss": "binary_cross_entropy", "seed": 3, **kw}
    return spec


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_many_steps_stay_equal_bit_for_bit(opt):
    fast, slow = twins(deep_tanh(), {"optimizer": {"name": opt, "lr": 0.05}, "batch_size": 7}, 50, 1)
    for _ in range(300):
        fast.step()
        slow.step()
    np.testing.assert_array_equal(fast.net.flat, slow.net.flat)


def test_float32_networks_compile_too():
    fast, slow = twins(deep_tanh(l2=1e-3), {"optimizer": "adam", "batch_size": 8}, 30, 2, dtype="float32")
    assert fast._compiled(fast.X[:8]).tape.grad.dtype == np.float32
    for _ in range(20):
        assert_same_step(fast, slow, fast.step(), slow.step())


def test_the_last_partial_batch_has_its_own_tape_and_both_are_reused():
    fast, slow = twins(deep_tanh(), {"optimizer": "adam", "batch_size": 8, "shuffle": False}, 20, 0)
    shapes, tapes = [], []
    for _ in range(6):            # two epochs: batches of 8, 8, 4
        assert_same_step(fast, slow, fast.step(), slow.step())
        shapes.append(fast._work.tape.n)
        tapes.append(fast._work.tape)
    assert shapes == [8, 8, 4, 8, 8, 4]
    assert tapes[0] is tapes[1] and tapes[1] is not tapes[2]
    # Both shapes are kept: the next epoch reuses them.
    assert tapes[3] is tapes[0] and tapes[5] is tapes[2]


def test_the_tape_follows_changed_settings_and_a_new_network():
    fast, slow = twins(deep_tanh(), {"optimizer": "sgd", "batch_size": 5}, 20, 0)
    for _ in range(3):
        fast.step()
        slow.step()
    first = fast._work.tape
    for tr in (fast, slow):
        tr.net.spec.l2 = 0.01
        tr.net.spec.loss = "mse"
    for _ in range(3):
        assert_same_step(fast, slow, fast.step(), slow.step())
    assert fast._work.tape is not first and fast._work.tape.l2 == 0.01
    # A structural edit makes a new network: the trainer compiles for it.
    for tr in (fast, slow):
        tr.net = Network.from_dict(deep_tanh(loss="mse"))
        tr._layer_weights = [tr.net.params[n] for n in tr.net.weight_names]
    for _ in range(3):
        assert_same_step(fast, slow, fast.step(), slow.step())
    assert fast._work.tape.flat is fast.net.flat


@pytest.mark.parametrize("spec", [
    {"inputs": 2, "layers": [{"units": 4, "activation": "relu", "norm": "batch"},
                             {"units": 1, "activation": "identity"}], "loss": "mse"},
    {"inputs": 2, "layers": [{"units": 4, "activation": "tanh", "norm": "layer"},
                             {"units": 1, "activation": "identity"}], "loss": "mse"},
], ids=["batch-norm", "layer-norm"])
def test_networks_the_tape_does_not_cover_train_on_the_graph(spec):
    rng = np.random.default_rng(0)
    net = Network.from_dict(spec)
    X, T = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    tr = Trainer(net, X, T, optimizer="adam", batch_size=4)
    reference = net.copy()
    loss, _ = reference.loss_and_gradients(*tr.peek_batch())
    rec = tr.step()
    assert tr._work.tape is None
    assert rec["loss"] == pytest.approx(loss, rel=1e-15)
    assert tr.last_pass is not None and tr.last_pass.loss.value == rec["loss"]


@pytest.mark.parametrize("lr", [10.0, 1e300])
def test_a_diverging_compiled_step_names_the_node_like_the_graph_path(lr):
    spec = {"inputs": 2, "layers": [{"units": 3, "activation": "relu"}, {"units": 1, "activation": "identity"}],
            "loss": "mse", "seed": 0}
    fast, slow = twins(spec, {"optimizer": {"name": "sgd", "lr": lr}}, 20, 0)
    for _ in range(200):
        ra, rb = fast.step(), slow.step()
        assert_same_step(fast, slow, ra, rb)
        if ra["nonfinite"]:
            break
    assert ra["nonfinite"] is not None and ra["nonfinite"] == rb["nonfinite"]


def test_the_rebuilt_graph_uses_the_weights_before_the_update():
    fast, _ = twins(deep_tanh(), {"optimizer": {"name": "sgd", "lr": 0.5}}, 20, 0)
    before = fast.net.copy()
    rec = fast.step()
    res = before.build(*fast.last_batch)
    backward(res.order)
    assert fast.last_pass.loss.value == res.loss.value == rec["loss"]
    assert not np.array_equal(before.flat, fast.net.flat)


def test_an_update_to_non_finite_weights_is_undone_on_the_compiled_path():
    spec = {"inputs": 1, "layers": [{"units": 1, "activation": "identity", "weight": [[1.0]], "bias": [0.0]}],
            "loss": "mse"}
    out = []
    for compile_ in (True, False):
        tr = Trainer(Network.from_dict(spec), [[10.0]], [[0.0]], optimizer={"name": "adam", "lr": 1e-3})
        tr.compile = compile_
        tr.step()
        state = {k: v.copy() for k, v in tr.optimizer.state["*"].items() if isinstance(v, np.ndarray)}
        before = tr.net.flat.copy()
        tr.set_lr(1e308)
        tr.optimizer.state["*"]["exp_avg_sq"][...] = 1e-300    # a tiny denominator: the step overflows
        rec = tr.step()
        assert rec["nonfinite"]["phase"] == "update"
        np.testing.assert_array_equal(tr.net.flat, before)
        np.testing.assert_array_equal(tr.optimizer.state["*"]["exp_avg"], state["exp_avg"])
        out.append(rec)
    assert out[0] == out[1]


# -- recurrent networks -------------------------------------------------------------------------
# Sums over time come from one matmul on the tape and from a step-by-step
# accumulation on the graph: equal to round-off, compared relative to each
# array's largest element.


def assert_close(a, b, what):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(b).max(initial=0.0), 1e-300)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * scale, err_msg=what)


@st.composite
def recurrent_runs(draw):
    loss = draw(st.sampled_from(LOSSES))
    readout = draw(st.sampled_from(["sequence", "last"]))
    rec = {"type": "recurrent", "units": draw(st.integers(1, 4)),
           "activation": draw(st.sampled_from(["tanh", "sigmoid", "relu"])), "readout": readout,
           "use_bias": draw(st.booleans())}
    if draw(st.booleans()):
        rec["bptt"] = draw(st.integers(1, 3))
    layers = [rec]
    if draw(st.booleans()):
        layers.append({"units": 3, "activation": draw(st.sampled_from(ACTIVATIONS))})
    k = draw(st.integers(2, 3)) if loss == "cross_entropy" else draw(st.integers(1, 2))
    layers.append({"units": k, "activation": output_activation(loss, draw(st.sampled_from(ACTIVATIONS))),
                   "use_bias": draw(st.booleans())})
    inputs = draw(st.integers(1, 3))
    spec = {"inputs": inputs, "layers": layers, "loss": loss, "seed": draw(st.integers(0, 99)),
            "time_reduction": draw(st.sampled_from(["mean", "sum"])),
            "l1": draw(st.sampled_from([0.0, 1e-3])), "l2": draw(st.sampled_from([0.0, 1e-2]))}
    name = draw(st.sampled_from(OPTIMIZERS))
    train = {"optimizer": {"name": name, "lr": 0.01}, "batch_size": draw(st.sampled_from([None, 4, 7])),
             "clip_grad_norm": draw(st.sampled_from([None, 1.0]))}
    return spec, train, draw(st.integers(9, 16)), draw(st.integers(1, 6)), draw(st.integers(0, 999))


def recurrent_twins(spec, train, n, steps, data_seed):
    rng = np.random.default_rng(data_seed)
    X = rng.normal(size=(n, steps, spec["inputs"]))
    k = spec["layers"][-1]["units"]
    if spec["layers"][0].get("readout", "sequence") == "sequence":
        T = targets_for(spec["loss"], rng, n * steps, k).reshape(n, steps, k)
    else:
        T = targets_for(spec["loss"], rng, n, k)
    fast = Trainer(Network.from_dict(spec), X, T, **train)
    slow = Trainer(Network.from_dict(spec), X, T, **train)
    slow.compile = False
    return fast, slow


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recurrent_runs())
def test_recurrent_tape_equals_the_graph_path(run):
    spec, train, n, steps, data_seed = run
    fast, slow = recurrent_twins(spec, train, n, steps, data_seed)
    assert type(fast._compiled(fast.X[:1])).__name__ == "_Work" and fast._work.tape is not None
    for _ in range(8):
        ra, rb = fast.step(), slow.step()
        for key in ("loss", "data_loss", "grad_norm", "grad_norms", "weight_norms"):
            assert_close(ra[key], rb[key], key)
        assert ra["nonfinite"] == rb["nonfinite"] and ra["epoch_end"] == rb["epoch_end"]
        assert_close(fast.net.flat, slow.net.flat, "weights")
        if ra["nonfinite"]:
            break
        assert_same_stats(fast, slow, assert_close)


def test_recurrent_last_pass_gives_the_gradients_through_time():
    spec = {"inputs": 1, "layers": [{"type": "recurrent", "units": 4, "activation": "tanh"},
                                    {"units": 1, "activation": "identity"}], "loss": "mse"}
    fast, slow = recurrent_twins(spec, {"optimizer": "adam", "batch_size": 5}, 12, 6, 0)
    for _ in range(4):
        fast.step()
        slow.step()
    from backprop_viz.engine.health import time_gradient_norms
    assert_close(time_gradient_norms(fast.last_pass)[0], time_gradient_norms(slow.last_pass)[0], "‖∂E/∂h_t‖")
    assert fast._work.tape.steps == 6


def test_stacked_recurrent_layers_train_on_the_graph():
    spec = {"inputs": 1, "layers": [{"type": "recurrent", "units": 3, "activation": "tanh"},
                                    {"type": "recurrent", "units": 2, "activation": "tanh"},
                                    {"units": 1, "activation": "identity"}], "loss": "mse"}
    fast, slow = recurrent_twins(spec, {"optimizer": "adam"}, 6, 4, 0)
    assert_same_step(fast, slow, fast.step(), slow.step())
    assert fast._work.tape is None


def test_a_non_finite_gradient_with_a_finite_loss_never_reaches_the_weights():
    fast, _ = twins(deep_tanh(), {"optimizer": "adam"}, 20, 0)
    fast.step()
    before = fast.net.flat.copy()
    state = fast.optimizer.state["*"]["exp_avg"].copy()
    tape = fast._work.tape
    run = tape.run

    def poisoned(*args):
        loss = run(*args)
        tape.grad[3] = np.nan
        return loss
    tape.run = poisoned
    rec = fast.step()
    assert rec["nonfinite"] is not None and np.isfinite(rec["loss"])
    np.testing.assert_array_equal(fast.net.flat, before)
    np.testing.assert_array_equal(fast.optimizer.state["*"]["exp_avg"], state)
    assert fast.optimizer.steps == 1
