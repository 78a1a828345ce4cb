import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_viz.engine import SpecError
from backprop_viz.session.project import Project
from backprop_viz.session.templates import TEMPLATES, open_template


@pytest.mark.parametrize("key", [t.key for t in TEMPLATES])
def test_templates_open_ready_to_use(key):
    p = open_template(key)
    X, T, Xv, Tv = p.arrays()
    net = p.network()
    assert net.predict(X[:1]).shape[0] == 1 and net.predict(X[:1]).shape[-1] == net.n_outputs
    loss, _ = net.loss_and_gradients(X, T)
    assert np.isfinite(loss)


def test_save_load_save_is_identical(tmp_path):
    p = open_template("xor")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    p.save(a)
    Project.load(a).save(b)
    assert a.read_bytes() == b.read_bytes()
    assert Project.load(a) == p


def test_network_file_opens_as_a_project(tmp_path):
    from backprop_viz.session.assets import examples_dir
    p = Project.load(examples_dir() / "seed_mlp.json")
    assert p.data["kind"] == "samples"
    assert p.training["optimizer"]["name"] == "sgd"


def test_validation_split_is_deterministic():
    p = open_template("xor")
    X, T, Xv, Tv = p.arrays()
    assert len(X) == 160 and len(Xv) == 40
    X2, *_ = p.arrays()
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize("change, path", [
    ({"training": {"optimizer": {"name": "sgdd"}}}, "training.optimizer.name"),
    ({"training": {"batch_size": 0}}, "training.batch_size"),
    ({"training": {"learning_rate": 1}}, "training.learning_rate"),
    ({"training": {"clip_grad_norm": -1}}, "training.clip_grad_norm"),
    ({"training": {"schedule": {"name": "step", "gamma": "x"}}}, "training.schedule.gamma"),
    ({"data": {"kind": "builtin", "name": "xorr"}}, "data.name"),
    ({"data": {"kind": "builtin", "name": "xor", "samples": 1}}, "data.samples"),
    ({"data": {"kind": "builtin", "name": "xor", "validation": 1}}, "data.validation"),
    ({"data": {"kind": "builtin", "name": "blobs"}}, "data"),
    ({"data": {"kind": "samples", "X": [[1, 2, 3]], "T": [[1]]}}, "data"),
    ({"data": {"kind": "samples", "X": [[1, "a"]], "T": [[1]]}}, "data.X[0][1]"),
    ({"data": {"kind": "file"}}, "data.kind"),
    ({"view": {"digits": 40}}, "view.digits"),
    ({"version": 2}, "version"),
    ({"format": "other"}, "format"),
    ({"extra": 1}, "extra"),
])
def test_bad_project_fields(change, path):
    d = open_template("xor").to_dict()
    d.update(change)
    with pytest.raises(SpecError) as err:
        Project.from_dict(d)
    assert err.value.path == path


def test_network_errors_are_prefixed():
    d = open_template("xor").to_dict()
    d["network"]["layers"][0]["activation"] = "sigmoud"
    with pytest.raises(SpecError, match=r"^network\.layers\[0\]\.activation: unknown 'sigmoud'"):
        Project.from_dict(d)


def test_with_network_replaces_data_that_no_longer_fits():
    p = open_template("xor")
    spec = p.network_spec
    spec = {**spec, "inputs": 3, "layers": [dict(spec["layers"][0], weight=None), spec["layers"][1]]}
    q = p.with_network(spec)
    assert q.data["kind"] == "samples" and len(q.data["X"][0]) == 3


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.sampled_from(["format", "version", "network", "data", "training", "view",
                                         "kind", "name", "X", "T", "optimizer", "inputs", "layers"]),
                        c, max_size=5), max_leaves=20))
def test_arbitrary_json_raises_only_spec_error(value):
    try:
        Project.from_dict(value)
    except SpecError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_spec_error(tmp_path_factory, data):
    f = tmp_path_factory.mktemp("p") / "p.json"
    f.write_bytes(data)
    try:
        Project.load(f)
    except SpecError:
        pass


def test_truncated_file(tmp_path):
    f = tmp_path / "p.json"
    text = open_template("xor").to_json()
    f.write_text(text[: len(text) // 2])
    with pytest.raises(SpecError, match="not valid JSON"):
        Project.load(f)
    assert json.loads(text)
