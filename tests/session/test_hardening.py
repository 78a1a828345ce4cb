"""Hostile project files: only SpecError escapes, sizes are refused before
allocating, and whatever is saved opens again."""

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz.engine import Network, SpecError, budget, load_network
from backprop_viz.engine.fields import SETTINGS
from backprop_viz.engine.files import MAX_BYTES, read_json
from backprop_viz.session import data as data_mod
from backprop_viz.session.project import Project
from tests.project_fuzz import BASES, HOSTILE, VARIANTS, variant, write_json


def test_every_base_file_is_valid():
    for base in BASES:
        Project.from_dict(base)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(VARIANTS) - 1), value=HOSTILE)
def test_fuzzed_project_files_raise_only_spec_error(tmp_path, index, value):
    f = tmp_path / "p.json"
    write_json(f, variant(index, value))
    try:
        Project.load(f)
    except SpecError as exc:
        assert str(exc).startswith(str(f))
        assert len(exc.detail) <= SpecError.MAX_DETAIL     # a huge number is not printed whole


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=[".".join(map(str, p)) for _, p in VARIANTS])
def test_every_field_refuses_every_kind_of_garbage(index):
    for value in (["x"], {"a": 1}, 10 ** 400, -10 ** 400, 2 ** 63, float("nan"), float("inf"), None, True, "zz"):
        try:
            Project.from_dict(variant(index, value))
        except SpecError:
            pass


@pytest.mark.parametrize("field, value, where", [
    ("loss", ["mse"], "loss"), ("dtype", {"a": 1}, "dtype"), ("l2", 10 ** 400, "l2"),
    ("seed", 2 ** 63, "seed"), ("inputs", 2 ** 63, "inputs"), ("inputs", 10 ** 400, "inputs"),
])
def test_network_field_errors_name_the_field(field, value, where):
    with pytest.raises(SpecError) as err:
        Network.from_dict({**BASES[0]["network"], field: value})
    assert err.value.path == where


def test_five_thousand_digit_integer_and_deep_nesting_in_a_file(tmp_path):
    f = tmp_path / "n.json"
    f.write_text('{"format": "backprop-viz/network", "version": 1, "inputs": ' + "9" * 5000 + ', "layers": []}')
    with pytest.raises(SpecError, match="usable JSON"):
        load_network(f)
    f.write_text('{"format": "backprop-viz/network", "inputs": 2, "layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SpecError, match="nested too deeply"):
        load_network(f)
    for depth in (200, 900):
        f.write_text('{"format": "backprop-viz/network", "version": 1, "inputs": 2, "name": '
                     + "[" * depth + "]" * depth + ', "layers": [{"units": 1}]}')
        with pytest.raises(SpecError):
            load_network(f)


def test_a_huge_network_is_refused_before_allocating():
    import tracemalloc
    tracemalloc.start()
    try:
        for sizes, where in (([20000, 20000], "layers[0].units"), ([3000, 3000], "layers"),
                             ([10 ** 7], "layers[0].units")):
            spec = {"format": "backprop-viz/network", "inputs": 2, "loss": "mse",
                    "layers": [{"units": u} for u in sizes] + [{"units": 1}]}
            with pytest.raises(SpecError) as err:
                Network.from_dict(spec)
            assert err.value.path == where
        assert tracemalloc.get_traced_memory()[1] < 50_000_000
    finally:
        tracemalloc.stop()
    with pytest.raises(SpecError, match="parameters; at most"):
        Network.from_dict({"inputs": 2, "layers": [{"units": 3000}, {"units": 3000}, {"units": 1}]})


def test_sample_and_time_step_budgets():
    with pytest.raises(SpecError, match="at most 100,000"):
        data_mod.full_arrays({"kind": "builtin", "name": "xor", "samples": 10 ** 8, "noise": 0.1, "seed": 0})
    from backprop_viz.engine.datasets import generate, generate_sequence
    with pytest.raises(SpecError, match="samples"):
        generate("xor", 10 ** 8)
    with pytest.raises(SpecError, match="time steps"):
        generate_sequence("remember_first", 10, 0.1, 0, steps=10 ** 6)


def test_csv_with_too_many_columns_is_refused_before_parsing():
    text = ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" for _ in range(10_000)) + "\n"
    with pytest.raises(SpecError, match="10,000 columns; at most 1,000"):
        data_mod.parse_csv(text, "wide.csv")


@pytest.mark.parametrize("loss, out, targets, text", [
    ("binary_cross_entropy", {"units": 1, "activation": "sigmoid"}, [[0.0], [999.0]], "from 0 to 1"),
    ("cross_entropy", {"units": 3, "activation": "softmax"}, [[1.0, 1.0, 0.0], [0, 0, 1]], "one-hot"),
    ("cross_entropy", {"units": 3, "activation": "softmax"}, [[0], [7]], "0..2"),
    ("hinge", {"units": 1, "activation": "identity"}, [[1.0], [0.0]], r"−1 or \+1"),
])
def test_targets_are_checked_against_the_loss(loss, out, targets, text):
    net = Network.from_dict({"inputs": 2, "layers": [{"units": 3, "activation": "tanh"}, out], "loss": loss})
    with pytest.raises(SpecError, match=text):
        net.check_targets(targets, 2)
    project = {"format": "backprop-viz/project", "version": 1, "network": net.to_dict(),
               "data": {"kind": "samples", "X": [[0.0, 0.0], [1.0, 1.0]], "T": targets}}
    with pytest.raises(SpecError, match="data"):
        Project.from_dict(project)


def test_bce_on_regression_csv_adapts_to_mse():
    net = Network.from_dict({"inputs": 1, "layers": [{"units": 1, "activation": "sigmoid"}],
                             "loss": "binary_cross_entropy"})
    d = data_mod.import_samples(np.array([[0.0, 5.0], [1.0, 999.0], [2.0, 3.5]]), [0], [1], "regression")
    assert data_mod.fits(net, d) is not None
    spec = data_mod.adapt_network(net.to_dict(), d)
    assert spec["loss"] == "mse" and spec["layers"][-1]["activation"] == "identity"


def test_seed_limit_is_declared_once():
    assert SETTINGS["seed"].high == 2 ** 31 - 1
    for where in ("training", "data", "network"):
        d = json.loads(json.dumps(BASES[0]))
        {"training": d["training"], "data": d["data"], "network": d["network"]}[where]["seed"] = 2 ** 31
        with pytest.raises(SpecError, match="seed"):
            Project.from_dict(d)


@pytest.mark.slow
def test_the_largest_allowed_project_saves_and_opens_again(tmp_path):
    rows = budget.MAX_SAMPLES
    n_in = budget.MAX_DATA_VALUES // rows - 2
    rng = np.random.default_rng(0)
    # The worst case for the file size: full-precision negative numbers with exponents.
    X = -rng.uniform(1e-5, 9e-5, (rows, n_in))
    T = -rng.uniform(1e-5, 9e-5, (rows, 2))
    net = {"format": "backprop-viz/network", "inputs": n_in, "loss": "mse",
           "layers": [{"units": 8, "activation": "tanh"}, {"units": 2}]}
    p = Project(net, {"kind": "samples", "X": X.tolist(), "T": T.tolist()})
    f = tmp_path / "big.json"
    p.save(f)
    assert os.path.getsize(f) < MAX_BYTES
    q = Project.load(f)
    assert np.array_equal(np.array(q.data["X"]), X) and np.array_equal(np.array(q.data["T"]), T)


def test_one_row_more_than_allowed_is_refused():
    X = [[0.0]] * (budget.MAX_SAMPLES + 1)
    with pytest.raises(SpecError, match="at most 100,000"):
        data_mod.normalise({"kind": "samples", "X": X, "T": X})


def test_saved_files_keep_arrays_compact(tmp_path):
    p = Project.from_dict(BASES[1])
    f = tmp_path / "p.json"
    p.save(f)
    text = f.read_text()
    assert '"X": [[0.0,1.0],[1.0,0.0],[1.0,1.0]]' in text
    assert '\n "network": {' in text            # objects stay one key per line
    assert Project.load(f) == p
    assert read_json(f) == p.to_dict()


def test_a_deep_network_at_neuron_level_counts_its_paths_instead_of_listing_them():
    from backprop_viz.engine import trace
    from backprop_viz.engine.neuron_view import neuron_view
    from backprop_viz.engine.report import trace_report
    net = Network.from_dict({"inputs": 2, "loss": "mse",
                             "layers": [{"units": 3, "activation": "tanh"}] * 20 + [{"units": 1}]})
    tr = trace(net, [[0.3, 0.3]], [[0.1]])
    view = neuron_view(tr)
    first = view.node("W1") if "W1" in view.by_label else view.nodes[[n.kind for n in view.nodes].index("weight")]
    assert view.path_count(first.id) == 3 ** 19
    assert f"the sum over {3 ** 19:,} paths" in view.chain_text(first.id)
    last = [n for n in view.nodes if n.kind == "weight"][-1]
    assert view.path_count(last.id) == 1 == len(view.paths(last.id))
    assert "paths" in trace_report(tr, "neuron", 6)
