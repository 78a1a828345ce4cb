"""Weights from a safetensors file into a project: what fits goes in, what does not is named."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from backprop_viz.engine import SpecError
from backprop_viz.session.project import Project
from backprop_viz.session.templates import open_template
from backprop_viz.session.torch_script import weight_tensors
from backprop_viz.session.weights_import import import_weights

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def tensors_of(project: Project, scale: float = 1.0) -> dict:
    return {k: np.ascontiguousarray(v * scale) for k, v in weight_tensors(project.network()).items()}


def write(path, tensors) -> str:
    safetensors_numpy.save_file(tensors, str(path))
    return str(path)


def refused(project, path) -> str:
    with pytest.raises(SpecError) as info:
        import_weights(project, path)
    return str(info.value)


def test_matching_weights_replace_the_project_s(tmp_path):
    project = open_template("xor")
    new = tensors_of(project, 0.5)
    imported = import_weights(project, write(tmp_path / "w.safetensors", new))
    net = imported.network()
    for name, value in net.params.items():
        np.testing.assert_array_equal(value, new[name])
    assert imported.data == project.data and imported.training == project.training
    # What the walk and the diagnosis need works on them.
    X, T, _, _ = imported.arrays()
    assert np.isfinite(net.loss(X, T))


def test_batch_norm_statistics_come_back_too(tmp_path):
    network = {"format": "backprop-viz/network", "version": 1, "inputs": 2,
               "layers": [{"units": 3, "activation": "relu", "norm": "batch"}, {"units": 1, "activation": "identity"}]}
    project = Project(network)
    new = tensors_of(project, 2.0)
    new["layers.0.running_var"] = np.array([1.5, 2.5, 3.5])
    net = import_weights(project, write(tmp_path / "w.safetensors", new)).network()
    np.testing.assert_array_equal(net.running[0]["var"], [1.5, 2.5, 3.5])


def test_a_missing_tensor_is_named_with_its_shape(tmp_path):
    project = open_template("xor")
    t = tensors_of(project)
    del t["layers.1.bias"]
    msg = refused(project, write(tmp_path / "w.safetensors", t))
    assert "w.safetensors" in msg and "layers.1.bias: missing (the project needs shape (1,))" in msg


def test_an_extra_tensor_is_named(tmp_path):
    project = open_template("xor")
    t = tensors_of(project)
    t["layers.2.weight"] = np.zeros((1, 1))
    msg = refused(project, write(tmp_path / "w.safetensors", t))
    assert "layers.2.weight: not a tensor of this project's network (extra)" in msg


def test_a_wrong_shape_says_expected_and_got(tmp_path):
    project = open_template("xor")
    t = tensors_of(project)
    shape = t["layers.0.weight"].shape
    t["layers.0.weight"] = np.ascontiguousarray(t["layers.0.weight"].T)    # PyTorch's nn.Linear layout
    t["layers.0.bias"] = np.zeros(7)
    msg = refused(project, write(tmp_path / "w.safetensors", t))
    assert f"layers.0.weight: expected shape ({shape[0]}, {shape[1]}), got ({shape[1]}, {shape[0]})" in msg
    assert "looks transposed" in msg
    assert f"layers.0.bias: expected shape ({shape[1]},), got (7,)" in msg


def test_non_finite_values_are_refused_with_their_place(tmp_path):
    project = open_template("xor")
    t = tensors_of(project)
    t["layers.0.weight"][1, 2] = np.nan
    t["layers.1.bias"][0] = np.inf
    msg = refused(project, write(tmp_path / "w.safetensors", t))
    assert "layers.0.weight: contains nan at [1, 2]" in msg and "layers.1.bias: contains inf at [0]" in msg


def test_whole_numbers_and_unreadable_files_are_refused(tmp_path):
    project = open_template("xor")
    t = tensors_of(project)
    t["layers.1.bias"] = np.zeros(1, dtype=np.int32)
    assert "layers.1.bias: expected floating-point numbers, got int32" in refused(
        project, write(tmp_path / "w.safetensors", t))
    (tmp_path / "text.safetensors").write_text("not weights")
    assert "not a readable safetensors file" in refused(project, str(tmp_path / "text.safetensors"))
    assert "no such file" in refused(project, str(tmp_path / "absent.safetensors"))


def test_the_command_writes_a_new_project_and_refuses_with_a_message(tmp_path):
    project = open_template("xor")
    project.save(tmp_path / "p.json")
    good = write(tmp_path / "good.safetensors", tensors_of(project, -1.0))
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "import-weights", str(tmp_path / "p.json"), good,
                          "--out", str(tmp_path / "new.json")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    new = Project.load(tmp_path / "new.json").network()
    np.testing.assert_array_equal(new.params["layers.0.weight"], -project.network().params["layers.0.weight"])
    t = tensors_of(project)
    del t["layers.0.weight"]
    bad = write(tmp_path / "bad.safetensors", t)
    res = subprocess.run([sys.executable, "-m", "backprop_viz", "import-weights", str(tmp_path / "p.json"), bad,
                          "--out", str(tmp_path / "bad.json")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert "layers.0.weight: missing" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "bad.json").exists()
