"""The walk's update is the update training makes, for every optimizer configuration."""

import re

import numpy as np
import pytest

from backprop_viz.engine import trace
from backprop_viz.engine.update_plan import preview
from backprop_viz.engine.update_text import plan_lines, update_lines
from backprop_viz.session.stepper import Stepper, per_sample_contributions
from backprop_viz.session.templates import open_template
from backprop_viz.session.training import TrainingSession
from backprop_viz.session.walk import WHOLE, WalkSource, local_plan

CONFIGS = [
    {"name": "sgd", "lr": 0.1},
    {"name": "sgd", "lr": 0.1, "momentum": 0.9},
    {"name": "sgd", "lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
    {"name": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"name": "adam", "lr": 0.01},
    {"name": "adam", "lr": 0.01, "amsgrad": True, "weight_decay": 0.01},
    {"name": "adamw", "lr": 0.01, "weight_decay": 0.1},
    {"name": "rmsprop", "lr": 0.01},
    {"name": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.5},
    {"name": "adagrad", "lr": 0.05, "lr_decay": 0.01},
    {"name": "adadelta", "lr": 1.0},
]


def project_with(optimizer, batch_size=16, clip=None, schedule=None, template="xor", l2=0.0):
    p = open_template(template)
    t = dict(p.training)
    t.update(optimizer=optimizer, batch_size=batch_size, clip_grad_norm=clip, schedule=schedule)
    p = p.with_training(t)
    if l2:
        spec = dict(p.network_spec)
        spec["l2"] = l2
        p = p.with_network(spec)
    return p


@pytest.mark.parametrize("opt", CONFIGS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_the_walks_update_is_the_next_step_and_applying_it_continues_the_same_run(opt):
    p = project_with(opt, clip=0.4, schedule={"name": "step", "step_size": 3, "gamma": 0.5})
    straight = TrainingSession(p).trainer
    walked = TrainingSession(p).trainer
    for _ in range(14):
        straight.step()
    for k in range(14):
        plan = preview(walked)
        assert plan.step == k + 1
        if k in (0, 5, 13):
            walk = trace(walked.net, plan.X, plan.T, plan=plan)
            for u in walk.updates:
                assert u.detail is not None
        walked.step()
        for pu in plan.params:
            assert np.array_equal(pu.new, walked.net.params[pu.name])   # bit for bit
    for name in straight.net.params:
        assert np.array_equal(straight.net.params[name], walked.net.params[name])
    assert _state_equal(straight.optimizer.state, walked.optimizer.state)


def _state_equal(a, b):
    return all(np.array_equal(np.asarray(a[k][n]), np.asarray(b[k][n])) for k in a for n in a[k])


NUMBER = re.compile(r"−?-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.mark.parametrize("opt", CONFIGS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_the_optimizer_formula_evaluates_to_the_new_weight(opt):
    """The last line's numbers, put through the optimizer's formula, give the real new weight."""
    tr = TrainingSession(project_with(opt, batch_size=None, template="worked_example")).trainer
    for _ in range(3):
        tr.step()
    plan = preview(tr)
    pu = plan.param("layers.0.weight").element((0, 0))
    lines = update_lines(plan, pu, "W1", digits=17)
    last = lines[-1]
    assert last.startswith("W1 ← ")
    nums = [float(x.replace("−", "-")) for x in NUMBER.findall(last.split("=", 1)[1])]
    assert nums[-1] == pytest.approx(float(pu.new), rel=1e-14)
    name = opt["name"]
    if name == "sgd" and not opt.get("momentum") and not opt.get("weight_decay"):
        old, lr, g = nums[0], nums[1], nums[2]
        assert old - lr * g == pytest.approx(nums[-1], rel=1e-12)
    if name in ("adam", "adamw"):
        # W ← start − lr·m̂/(√v̂ + ε) = start − step = new
        start, lr, m_hat, v_hat, eps, start2, step = nums[:7]
        assert start - lr * m_hat / (np.sqrt(v_hat) + eps) == pytest.approx(nums[-1], rel=1e-12)
        assert start2 - step == pytest.approx(nums[-1], rel=1e-12)


def test_clipping_and_the_scheduled_rate_are_shown_when_they_act():
    p = project_with({"name": "sgd", "lr": 0.2}, batch_size=None, clip=0.01,
                     schedule={"name": "exponential", "gamma": 0.5})
    tr = TrainingSession(p).trainer
    tr.step()
    tr.step()
    plan = preview(tr)
    text = "\n".join(plan_lines(plan))
    assert "learning rate 0.05 (base 0.2, exponential schedule after 2 epochs)" in text
    assert "Clipping by norm acts" in text and f"{plan.clip_coef:.6f}"[:6] in text
    pu = plan.param("layers.0.weight")
    assert np.allclose(pu.used, pu.grad * plan.clip_coef)
    assert "after clipping" in update_lines(plan, pu.element((0, 0)), "W")[0]


def test_a_local_plan_is_what_a_freshly_loaded_run_does_next():
    """The window's walk when no training process holds the run: the same as loading it."""
    p = project_with({"name": "adam", "lr": 0.01}, schedule={"name": "step", "step_size": 1, "gamma": 0.5})
    plan = local_plan(p, steps=40, epoch=3)
    session = TrainingSession(p)
    session.trainer.resume_at(40, 3)
    session.trainer.step()
    assert plan.step == 41 and plan.lr == pytest.approx(0.01 * 0.5 ** 3)
    for pu in plan.params:
        assert np.array_equal(pu.new, session.net.params[pu.name])


def test_the_neuron_level_walks_a_sample_of_the_batch_and_names_it():
    p = project_with({"name": "sgd", "lr": 0.1}, batch_size=4, template="xor")
    tr = TrainingSession(p).trainer
    plan = preview(tr)
    src = WalkSource(plan, "initial", 2, 0)
    X, T = src.samples()
    assert np.array_equal(X[0], tr.X[plan.rows[2]])
    st = Stepper(tr.net, X, T, level="neuron", plan=plan, source=src)
    assert st.level == "neuron"
    header = st.source.header("neuron")
    assert f"sample 3 of its 4-sample batch (data set row {plan.rows[2] + 1})" in header
    assert "update 1 of this run" in header
    st.run_updates()
    first_update = next(s for s in st.steps if s.phase == "update")
    text = st.describe(first_update)
    assert "the whole batch (4 samples)" in text
    whole = WalkSource(plan, "initial", WHOLE, 0)
    assert "the whole batch: 4 rows" in whole.header()


def test_a_non_finite_update_is_never_applied():
    """Finite gradients, a step that overflows the weights: the update is refused."""
    p = project_with({"name": "adam", "lr": 1e308}, batch_size=None, template="worked_example")
    tr = TrainingSession(p).trainer
    before = tr.net.flat.copy()
    state = {}
    for _ in range(3):
        state = {k: dict(v) for k, v in tr.optimizer.state.items()}
        before = tr.net.flat.copy()
        rec = tr.step()
        if rec["nonfinite"]:
            break
    assert rec["nonfinite"] is not None and rec["nonfinite"]["phase"] == "update"
    assert rec["nonfinite"]["node"].startswith("layers.0.")
    assert np.isfinite(tr.net.flat).all() and np.array_equal(tr.net.flat, before)
    assert tr.optimizer.state.keys() == state.keys()


def test_penalty_parts_add_up_for_recurrent_weights():
    p = open_template("remember_5")
    spec = dict(p.network_spec)
    spec["l2"] = 0.05
    spec["l1"] = 0.01
    p = p.with_network(spec)
    net = p.network()
    X, T, _, _ = p.arrays()
    for name in ("layers.0.weight_input", "layers.0.weight_hidden", "layers.1.weight"):
        idx = (0, 0)
        contributions, penalty, total = per_sample_contributions(net, X[:4], T[:4], name, idx)
        assert penalty != 0
        assert sum(contributions) + penalty == pytest.approx(total, rel=1e-9, abs=1e-12)
