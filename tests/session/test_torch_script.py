"""The exported PyTorch training script against the app's own training, update for update."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from backprop_viz.session.project import Project
from backprop_viz.session.templates import open_template
from backprop_viz.session.torch_script import training_script, write_torch_export
from backprop_viz.session.training import TrainingSession

safetensors_numpy = pytest.importorskip("safetensors.numpy")

RTOL = 1e-10


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


needs_torch = pytest.mark.skipif(not _has_torch(), reason="PyTorch is not installed")


def app_weights(project: Project, steps: int) -> dict:
    session = TrainingSession(project)
    for _ in range(steps):
        rec = session.trainer.step()
        assert rec["nonfinite"] is None
    out = dict(session.net.params)
    for i, r in enumerate(session.net.running):
        if r is not None:
            out[f"layers.{i}.running_mean"] = r["mean"]
            out[f"layers.{i}.running_var"] = r["var"]
    return {k: np.array(v) for k, v in out.items()}


def assert_same(got: dict, want: dict, what: str) -> None:
    assert sorted(got) == sorted(want), what
    for name, w in want.items():
        scale = max(float(np.max(np.abs(w))), 1e-12)
        err = float(np.max(np.abs(got[name] - w))) / scale
        assert err <= RTOL, f"{what}: {name} differs by {err:.3e} relative"


def run_scripts(folders_steps: list, tmp_path) -> None:
    """Train every exported folder in one Python process (PyTorch imports once)."""
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import runpy, sys, json\n"
        "for folder, steps in json.loads(sys.argv[1]):\n"
        "    ns = runpy.run_path(folder + '/train.py', run_name='exported')\n"
        "    code = ns['main'](['--steps', str(steps), '--save', folder + '/trained.safetensors', '--quiet'])\n"
        "    assert code == 0, folder\n")
    res = subprocess.run([sys.executable, str(driver), json.dumps(folders_steps)], capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr


def regularised_project() -> Project:
    """Batch and layer norm, dropout, a residual layer, L1 and L2, cross-entropy on three classes."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(23, 3))
    labels = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    T = np.eye(3)[labels]
    network = {"format": "backprop-viz/network", "version": 1, "inputs": 3, "seed": 5,
               # No bias before batch norm: its gradient is rounding noise, which Adam would amplify.
               "layers": [{"units": 5, "activation": "tanh", "norm": "batch", "use_bias": False},
                          {"units": 5, "activation": {"name": "leaky_relu", "negative_slope": 0.1},
                           "norm": "layer", "dropout": 0.3, "residual": True},
                          {"units": 4, "activation": "elu", "dropout": 0.2},
                          {"units": 3, "activation": "softmax"}],
               "loss": "cross_entropy", "l1": 1e-3, "l2": 1e-2}
    return Project(network, {"kind": "samples", "X": X.tolist(), "T": T.tolist()},
                   {"optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 8,
                    "schedule": {"name": "step", "step_size": 2, "gamma": 0.5}, "clip_grad_norm": 0.5})


# Every optimizer with its settings, each with a batch mode and a schedule.
CASES = {
    "sgd_momentum_online": ({"name": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.1}, 1,
                            {"name": "exponential", "gamma": 0.9}),
    "sgd_nesterov_minibatch": ({"name": "sgd", "lr": 0.1, "momentum": 0.8, "nesterov": True,
                                "weight_decay": 1e-3}, 32, {"name": "step", "step_size": 2, "gamma": 0.5}),
    "adam_amsgrad_full": ({"name": "adam", "lr": 0.02, "amsgrad": True, "weight_decay": 1e-4}, None,
                          {"name": "cosine", "T_max": 10, "eta_min": 0.001}),
    "adamw_minibatch": ({"name": "adamw", "lr": 0.01, "betas": [0.8, 0.99]}, 50,
                        {"name": "cosine", "T_max": 4}),
    "rmsprop_centered_momentum": ({"name": "rmsprop", "lr": 0.003, "centered": True, "momentum": 0.5,
                                   "weight_decay": 1e-3}, 64, {"name": "exponential", "gamma": 0.8}),
    "rmsprop_plain_full": ({"name": "rmsprop", "lr": 0.001}, None, {"name": "step", "step_size": 3,
                                                                     "gamma": 0.7}),
    "adagrad": ({"name": "adagrad", "lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1}, 40,
                {"name": "exponential", "gamma": 0.95}),
    "adadelta": ({"name": "adadelta", "lr": 1.0, "rho": 0.8, "weight_decay": 1e-3}, 1,
                 {"name": "step", "step_size": 1, "gamma": 0.9}),
}


@needs_torch
def test_every_optimizer_and_batch_mode_matches_the_app(tmp_path):
    steps = 40
    base = open_template("xor")          # 160 training samples, clipping by value too
    jobs, projects = [], {}
    for key, (opt, batch, schedule) in CASES.items():
        project = base.with_training({**base.training, "optimizer": opt, "batch_size": batch,
                                      "schedule": schedule, "seed": 7, "clip_grad_value": 0.5})
        write_torch_export(project, tmp_path / key)
        jobs.append((str(tmp_path / key), steps))
        projects[key] = project
    rp = regularised_project()
    write_torch_export(rp, tmp_path / "regularised")
    jobs.append((str(tmp_path / "regularised"), 25))
    for key in ("remember_5", "sine_prediction"):
        write_torch_export(open_template(key), tmp_path / key)
        jobs.append((str(tmp_path / key), 12))
    run_scripts(jobs, tmp_path)
    for key, project in projects.items():
        got = safetensors_numpy.load_file(str(tmp_path / key / "trained.safetensors"))
        assert_same(got, app_weights(project, steps), key)
    got = safetensors_numpy.load_file(str(tmp_path / "regularised" / "trained.safetensors"))
    assert_same(got, app_weights(rp, 25), "batch/layer norm, dropout, penalties")
    for key in ("remember_5", "sine_prediction"):
        got = safetensors_numpy.load_file(str(tmp_path / key / "trained.safetensors"))
        assert_same(got, app_weights(open_template(key), 12), key)


@needs_torch
def test_the_command_line_run_prints_progress_and_reopens_in_the_app(tmp_path):
    project_file = tmp_path / "residual.json"
    project = open_template("residual")
    project.save(project_file)
    out = tmp_path / "torch"
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "export", str(project_file), "--out", str(out),
                          "--format", "torch"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "train.py" in res.stdout
    res = subprocess.run([sys.executable, "train.py", "--steps", "15", "--save", "w.safetensors"],
                         capture_output=True, text=True, timeout=300, cwd=out)
    assert res.returncode == 0, res.stderr
    assert "step 15/15" in res.stdout and "loss" in res.stdout and "wrote w.safetensors" in res.stdout
    trained = tmp_path / "trained.json"
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "import-weights", str(project_file),
                          str(out / "w.safetensors"), "--out", str(trained)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    reopened = Project.load(trained).network()
    assert_same({k: np.array(v) for k, v in reopened.params.items()},
                {k: v for k, v in app_weights(project, 15).items()}, "reopened project")
    # float32 runs too (agreement then is float32's, not checked to 1e-10).
    res = subprocess.run([sys.executable, "train.py", "--steps", "3", "--dtype", "float32", "--save",
                          "w32.safetensors", "--quiet"], capture_output=True, text=True, timeout=300, cwd=out)
    assert res.returncode == 0, res.stderr
    w32 = safetensors_numpy.load_file(str(out / "w32.safetensors"))
    assert w32["layers.0.weight"].dtype == np.float32


@needs_torch
def test_the_script_predicts_what_the_app_predicts(tmp_path):
    for key in ("xor", "residual", "mlp"):
        p = open_template(key)
        write_torch_export(p, tmp_path / key)
        X = np.random.default_rng(0).normal(size=(6, p.network().n_inputs))
        code = (f"import runpy, json; ns = runpy.run_path({str(tmp_path / key / 'train.py')!r}, run_name='x'); "
                f"print(json.dumps(ns['predict']({X.tolist()!r})))")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        np.testing.assert_allclose(json.loads(res.stdout), p.network().predict(X), rtol=1e-10, atol=1e-12)


def test_the_script_is_valid_python_for_every_template():
    from backprop_viz.session.templates import TEMPLATES
    for t in TEMPLATES:
        text = training_script(open_template(t.key))
        compile(text, f"{t.key}.py", "exec")
        assert "np.random.SeedSequence(SEED).spawn(2)" in text and "import pickle" not in text


def test_export_writes_the_data_without_pickle(tmp_path):
    project = open_template("xor")
    paths = write_torch_export(project, tmp_path)
    assert [p.rsplit("/", 1)[1] for p in paths] == ["data.npz", "initial_weights.safetensors", "train.py"]
    data = np.load(tmp_path / "data.npz", allow_pickle=False)
    X, T, Xv, Tv = project.arrays()
    np.testing.assert_array_equal(data["X"], X)
    np.testing.assert_array_equal(data["T_val"], Tv)
    weights = safetensors_numpy.load_file(str(tmp_path / "initial_weights.safetensors"))
    np.testing.assert_array_equal(weights["layers.0.weight"], project.network().params["layers.0.weight"])


@needs_torch
def test_a_diverging_run_stops_before_the_bad_update_as_in_the_app(tmp_path):
    base = open_template("exploding")
    project = base.with_training({**base.training, "optimizer": {"name": "sgd", "lr": 1.0}})
    session = TrainingSession(project)
    rec = None
    while rec is None or not rec["nonfinite"]:
        rec = session.trainer.step()
    bad_step = rec["step"]
    write_torch_export(project, tmp_path)
    res = subprocess.run([sys.executable, "train.py", "--steps", "50", "--save", "w.safetensors"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 1
    assert f"step {bad_step}: the loss or a gradient is not a finite number" in res.stderr
    assert f"trained {bad_step - 1} steps" in res.stdout
    got = safetensors_numpy.load_file(str(tmp_path / "w.safetensors"))
    assert_same(got, app_weights(project, bad_step - 1), "weights before the non-finite update")


@needs_torch
def test_early_stopping_ends_the_script_where_the_app_stops(tmp_path):
    base = open_template("xor")
    project = base.with_training({**base.training, "optimizer": {"name": "sgd", "lr": 1e-6},
                                  "early_stopping": {"patience": 2, "min_delta": 0.5}})
    session = TrainingSession(project)
    while not session.trainer.stopped:
        session.trainer.step()
    stop_step, stop_epoch = session.trainer.steps, session.trainer.epoch
    write_torch_export(project, tmp_path)
    res = subprocess.run([sys.executable, "train.py", "--steps", "500", "--save", "w.safetensors"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"early stopping after epoch {stop_epoch}" in res.stdout
    assert f"trained {stop_step} steps" in res.stdout


def test_the_export_command_refuses_with_a_message(tmp_path):
    project = tmp_path / "p.json"
    open_template("xor").save(project)
    for args, text in ((["--format", "torch,png"], "exported on its own"),
                       (["--format", "torch", "--steps", "5"], "--steps"),):
        res = subprocess.run([sys.executable, "-m", "backprop_viz", "export", str(project), "--out",
                              str(tmp_path / "out"), *args], capture_output=True, text=True, timeout=120)
        assert res.returncode == 2 and text in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "export", str(tmp_path / "absent.json"),
                          "--out", str(tmp_path / "out"), "--format", "torch"], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2 and "absent.json" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_the_script_defines_the_modules_its_layers_are_exported_as():
    xor = training_script(open_template("xor"))
    assert "class Dense(nn.Module):" in xor and "Recurrent" not in xor
    sine = training_script(open_template("sine_prediction"))
    assert sine.index("class Dense(nn.Module):") < sine.index("class Recurrent(nn.Module):") < sine.index("class Net(")
    net = open_template("sine_prediction").network()
    for layer in net.layers:
        assert f"\n    {layer.torch_layer()},\n" in sine
    assert sine.count("Recurrent(") == 2           # the class and the one layer
