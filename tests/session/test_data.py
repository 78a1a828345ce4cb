import csv
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_viz.engine import Network, SpecError
from backprop_viz.engine.datasets import CLASSIFICATION, GENERATORS, generate
from backprop_viz.session import data
from backprop_viz.session.project import Project
from backprop_viz.session.templates import open_template


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generators_shape_balance_and_determinism(name):
    X, T = generate(name, 300, 0.1, seed=5)
    assert X.shape[0] == T.shape[0] == 300
    assert np.all(np.isfinite(X)) and np.all(np.isfinite(T))
    X2, T2 = generate(name, 300, 0.1, seed=5)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(T, T2)
    X3, _ = generate(name, 300, 0.1, seed=6)
    assert not np.array_equal(X, X3)
    if name in CLASSIFICATION:
        counts = T.sum(axis=0) if T.shape[1] > 1 else np.array([T.sum(), len(T) - T.sum()])
        assert counts.min() >= 0.9 * counts.max()


def test_expected_shapes():
    assert generate("blobs", 30)[1].shape == (30, 3)
    assert generate("spiral3", 30)[1].shape == (30, 3)
    assert generate("sine", 30)[0].shape == (30, 1)
    assert generate("gaussian_mix_1d", 30)[0].shape == (30, 1)
    assert generate("gaussian_mix", 30)[0].shape == (30, 2)


def test_digits_are_shipped():
    d = data.normalise({"kind": "digits"})
    X, T, Xv, Tv = data.arrays(d)
    assert X.shape[1] == 64 and T.shape[1] == 10
    assert len(X) + len(Xv) == 1797
    assert X.min() == 0 and X.max() == 1
    assert set(T.argmax(axis=1)) == set(range(10))
    sub = data.arrays(data.normalise({"kind": "digits", "samples": 100, "validation": 0.0}))
    assert sub[0].shape == (100, 64) and sub[2] is None


def test_derived_features():
    d = data.normalise({"kind": "builtin", "name": "xor", "features": ["x1*x2", "x1^2"]})
    X, T = data.full_arrays(d)
    assert X.shape[1] == 4
    np.testing.assert_allclose(X[:, 2], X[:, 0] * X[:, 1])
    np.testing.assert_allclose(X[:, 3], X[:, 0] ** 2)
    with pytest.raises(SpecError, match="two-input"):
        data.normalise({"kind": "builtin", "name": "sine", "features": ["x1^2"]})
    with pytest.raises(SpecError, match="data.features"):
        data.normalise({"kind": "builtin", "name": "xor", "features": ["x3"]})


def test_split_is_deterministic_and_complete():
    d = data.normalise({"kind": "builtin", "name": "moons", "samples": 100, "validation": 0.25})
    X, T, Xv, Tv = data.arrays(d)
    assert len(X) == 75 and len(Xv) == 25
    train, val = data.split_order(100, d)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))


def test_adapt_network_to_the_digits():
    spec = open_template("xor").network_spec
    d = data.normalise({"kind": "digits"})
    out = data.adapt_network(spec, d)
    assert out["inputs"] == 64 and out["layers"][-1]["units"] == 10
    assert out["loss"] == "cross_entropy" and out["layers"][-1]["activation"] == "softmax"
    p = Project(out, d)
    assert p.network().n_inputs == 64
    reg = data.adapt_network(spec, data.normalise({"kind": "builtin", "name": "sine"}))
    assert reg["inputs"] == 1 and reg["loss"] == "mse" and reg["layers"][-1]["activation"] == "identity"


def test_data_that_does_not_fit_is_refused():
    p = open_template("xor")
    with pytest.raises(SpecError, match="the data has 64 inputs; the network has 2"):
        p.with_data({"kind": "digits"})


def test_points_can_be_added_and_removed_keeping_the_split():
    d = data.normalise({"kind": "builtin", "name": "xor", "samples": 20})
    X, T, Xv, Tv = data.arrays(d)
    s = data.normalise(data.with_point(d, [0.5, 0.5], [1.0]))
    assert s["kind"] == "samples" and len(s["X"]) == 21 and s["X"][-1] == [0.5, 0.5]
    X2, T2, Xv2, Tv2 = data.arrays(s)
    np.testing.assert_array_equal(Xv2, Xv)                  # validation set unchanged
    np.testing.assert_array_equal(X2[:-1], X)
    assert X2[-1].tolist() == [0.5, 0.5]                    # the new point is for training
    i = data.nearest_point(s, 0.49, 0.52, 0.1)
    assert i == 20
    s2 = data.normalise(data.without_points(s, [i]))
    np.testing.assert_array_equal(data.arrays(s2)[0], X)
    with pytest.raises(SpecError, match="at least one training sample"):
        data.without_points(s2, range(20))


# -- CSV ---------------------------------------------------------------------------------



def test_csv_with_header_classification_and_standardisation():
    header, M, note = data.parse_csv("x1,x2,label\n0,0,0\n1,0,1\n0,1,1\n1,1,0\n2,2,0\n", "xor.csv")
    assert header == ["x1", "x2", "label"] and M.shape == (5, 3) and note is None
    d = data.import_samples(M, [0, 1], [2], "classification", standardise=True, source="xor.csv", header=header)
    X = np.array(d["X"])
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1)
    assert np.array(d["T"]).shape == (5, 1) and d["task"] == "classification"


def test_csv_multiclass_and_regression():
    text = "1;2;0\n2;3;1\n3;4;2\n4;5;1\n"
    header, M, _ = data.parse_csv(text)
    assert header is None and M.shape == (4, 3)
    d = data.import_samples(M, [0, 1], [2], "classification")
    assert np.array(d["T"]).shape == (4, 3)
    r = data.import_samples(M, [0], [1, 2], "regression")
    assert np.array(r["X"]).shape == (4, 1) and np.array(r["T"]).shape == (4, 2)


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("   \n\n", "the file is empty"),
    ("a,b\n", "has a header but no data rows"),
    ("a,b\n1,2\n", "at least 2 are needed"),
    ("a,b\n1,2\n3\n", "line 3: has 1 columns, expected 2"),
    ("a,b\n1,2\n3,x\n", "line 3, column 2: not a number: 'x'"),
    ("a,b\n1,2\n3,\n", "line 3, column 2: missing value"),
    ("a,b\n1,2\n3,inf\n", "line 3, column 2: not a finite number"),
    ("1,2\n3,4,5\n", "line 2: has 3 columns"),
])
def test_malformed_csv_messages(text, message):
    with pytest.raises(SpecError) as err:
        data.parse_csv(text, "f.csv")
    assert message in str(err.value)
    assert str(err.value).startswith("f.csv")


@pytest.mark.parametrize("inputs, targets, task, message", [
    ([0], [1], "classification", "class labels must be whole numbers"),
    ([], [1], "regression", "at least one input column"),
    ([0], [], "regression", "at least one target column"),
    ([0, 1], [1], "regression", "cannot be input and target"),
    ([0], [1, 2], "classification", "one class column"),
    ([0], [2], "classification", "at least two classes"),
])
def test_target_columns_that_do_not_fit(inputs, targets, task, message):
    M = np.array([[1.0, 0.5, 3.0], [2.0, 1.5, 3.0], [3.0, 2.5, 3.0]])
    with pytest.raises(SpecError, match=message):
        data.import_samples(M, inputs, targets, task)


def test_very_large_files_are_sampled(monkeypatch):
    monkeypatch.setattr(data, "MAX_IMPORT_ROWS", 50)
    text = "\n".join(f"{i},{i % 2}" for i in range(500))
    _, M, note = data.parse_csv(text)
    assert M.shape == (50, 2) and "random sample of 50" in note


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    from backprop_viz.engine import budget, csvdata
    monkeypatch.setattr(budget, "MAX_CSV_BYTES", 100)
    f = tmp_path / "big.csv"
    f.write_text("1,2\n" * 100)
    with pytest.raises(SpecError, match="at most"):
        csvdata.read_csv_file(f)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,;-e\n\t \"abcinf")), max_size=200))
def test_arbitrary_csv_text_raises_only_the_documented_error(text):
    try:
        header, M, _ = data.parse_csv(text)
    except SpecError:
        return
    assert M.ndim == 2 and np.all(np.isfinite(M))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode_csv_raises_only_the_documented_error(text):
    try:
        data.parse_csv(text)
    except SpecError:
        pass


def test_export_csv_with_the_split():
    d = data.normalise({"kind": "builtin", "name": "xor", "samples": 40, "validation": 0.25})
    text = data.export_csv(d)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["x1", "x2", "t1", "split"]
    assert len(rows) == 41
    assert sum(r[-1] == "validation" for r in rows[1:]) == 10
    header, M, _ = data.parse_csv(text.replace(",train", ",0").replace(",validation", ",1"))
    X, T = data.full_arrays(d)
    np.testing.assert_array_equal(M[:, :2], X)


def test_seed_samples_fit_their_networks():
    from backprop_viz.session.assets import examples_dir
    from backprop_viz.engine import load_network
    for key, file in [("seed_worked_example", "seed_worked_example.json"), ("seed_mlp", "seed_mlp.json")]:
        net = load_network(examples_dir() / file)
        d = data.normalise({"kind": "samples", "X": data.SEED_SAMPLES[key]["X"], "T": data.SEED_SAMPLES[key]["T"]})
        assert data.fits(net, d) is None
    assert isinstance(Network, type)
