import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_viz.engine import Network, SpecError, load_network, save_network

BASE = {"format": "backprop-viz/network", "version": 1, "inputs": 2,
        "layers": [{"units": 3, "activation": "tanh"}, {"units": 1, "activation": "sigmoid"}],
        "loss": "half_squared_error"}


def with_(**changes):
    d = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        target = d
        parts = key.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return d


DELETE = object()

BAD = [
    (with_(format="something/else"), "format", "expected 'backprop-viz/network'"),
    (with_(version=2), "version", "unsupported version 2"),
    (with_(version="1"), "version", "whole number"),
    (with_(inputs=0), "inputs", "positive whole number"),
    (with_(inputs=DELETE), "inputs", "missing"),
    (with_(inputs=True), "inputs", "positive whole number"),
    (with_(layers=[]), "layers", "non-empty list"),
    (with_(layers="dense"), "layers", "non-empty list"),
    (with_(layers__1="x"), "layers[1]", "expected an object"),
    (with_(layers__1__units=DELETE), "layers[1].units", "missing"),
    (with_(layers__1__units=2.5), "layers[1].units", "positive whole number"),
    (with_(layers__1__activation="sigmoud"), "layers[1].activation", "unknown 'sigmoud' (expected one of"),
    (with_(layers__0__activation={"name": "leaky_relu", "slope": 1}), "layers[0].activation.slope",
     "not a parameter of leaky_relu"),
    (with_(layers__0__activation={"name": "elu", "alpha": -1}), "layers[0].activation.alpha", "positive"),
    (with_(layers__0__activation={"negative_slope": 0.1}), "layers[0].activation", "needs a 'name'"),
    (with_(layers__0__activation="softmax"), "layers[0].activation", "only allowed on the output layer"),
    (with_(layers__0__init="glorot"), "layers[0].init", "unknown 'glorot'"),
    (with_(layers__0__init={"name": "normal", "std": -1}), "layers[0].init.std", "must not be negative"),
    (with_(layers__0__init={"name": "uniform", "low": 2, "high": 1}), "layers[0].init.low", "must not exceed"),
    (with_(layers__1__weight=[[0.5], [0.2]]), "layers[1].weight", "expected 3 entries"),
    (with_(layers__1__weight=[[0.5], [0.2], ["x"]]), "layers[1].weight[2][0]", "finite number"),
    (with_(layers__1__weight=[[0.5], [0.2], [0.1, 0.2]]), "layers[1].weight[2]", "expected 1 entries"),
    (with_(layers__1__bias=[1, 2]), "layers[1].bias", "expected 1 entries"),
    (with_(layers__1__use_bias=False, layers__1__bias=[1.0]), "layers[1].bias", "use_bias is false"),
    (with_(layers__1__use_bias="no"), "layers[1].use_bias", "true or false"),
    (with_(layers__0__norm="group"), "layers[0].norm", "unknown 'group'"),
    (with_(layers__0__gamma=[1, 1, 1]), "layers[0].gamma", "the layer has no norm"),
    (with_(layers__0__norm="layer", layers__0__running_mean=[0, 0, 0]), "layers[0].running_mean",
     "norm: batch"),
    (with_(layers__0__norm="batch", layers__0__running_var=[1, -1, 1]), "layers[0].running_var",
     "must not be negative"),
    (with_(layers__0__dropout=1.0), "layers[0].dropout", "below 1"),
    (with_(layers__0__dropout=-0.1), "layers[0].dropout", "at least 0"),
    (with_(layers__1__dropout=0.5), "layers[1].dropout", "not allowed on the output layer"),
    (with_(layers__0__residual=True), "layers[0].residual", "needs units == fan_in"),
    (with_(layers__0__residual=1), "layers[0].residual", "true or false"),
    (with_(layers__0__type="conv"), "layers[0].type", "unknown 'conv'"),
    (with_(layers__0__activaton="tanh"), "layers[0].activaton", "unknown key"),
    (with_(loss="mae"), "loss", "unknown 'mae'"),
    (with_(loss="cross_entropy"), "layers[1].activation", "needs a softmax output layer"),
    (with_(loss="binary_cross_entropy", layers__1__activation="tanh"), "layers[1].activation",
     "needs a sigmoid output layer"),
    (with_(loss="cross_entropy", layers__1__activation="softmax"), "layers[1].units", "at least 2"),
    (with_(l1=-0.1), "l1", "at least 0"),
    (with_(l2="big"), "l2", "finite number"),
    (with_(seed=-1), "seed", "whole number"),
    (with_(dtype="float16"), "dtype", "unknown 'float16'"),
    (with_(name=3), "name", "expected text"),
    (with_(extra=1), "extra", "unknown key"),
    ([1, 2], "", "JSON object"),
]


@pytest.mark.parametrize("spec, path, text", BAD, ids=[f"{p or 'root'}-{i}" for i, (_, p, _) in enumerate(BAD)])
def test_spec_errors_name_the_field(spec, path, text):
    with pytest.raises(SpecError) as err:
        Network.from_dict(spec)
    assert err.value.path == path
    assert text in str(err.value)
    assert str(err.value).startswith(path) if path else True
    assert isinstance(err.value, ValueError)


def test_error_message_lists_the_choices():
    with pytest.raises(SpecError, match=r"layers\[1\]\.activation: unknown 'sigmoud' \(expected one of identity, sigmoid, tanh"):
        Network.from_dict(with_(layers__1__activation="sigmoud"))


def test_round_trip_keeps_weights_and_options():
    spec = with_(layers__0__norm="batch", layers__0__dropout=0.2,
                 layers__0__activation={"name": "leaky_relu", "negative_slope": 0.2},
                 layers__0__init={"name": "normal", "std": 0.3}, l2=0.01, seed=5)
    spec["layers"].insert(1, {"units": 3, "activation": "relu", "residual": True, "use_bias": False})
    net = Network.from_dict(spec)
    net.loss_and_gradients(np.ones((4, 2)), np.ones((4, 1)))  # moves the running statistics
    d = net.to_dict()
    again = Network.from_dict(d)
    assert again.to_dict() == d
    for name, value in net.parameters().items():
        np.testing.assert_array_equal(again.parameters()[name], value)
    np.testing.assert_array_equal(again.predict(np.ones((2, 2))), net.predict(np.ones((2, 2))))
    assert d["layers"][0]["activation"] == {"name": "leaky_relu", "negative_slope": 0.2}


def test_initialisation_is_deterministic_per_seed_and_layer():
    a, b = Network.from_dict(with_(seed=3)), Network.from_dict(with_(seed=3))
    c = Network.from_dict(with_(seed=4))
    np.testing.assert_array_equal(a.params["layers.0.weight"], b.params["layers.0.weight"])
    assert not np.array_equal(a.params["layers.0.weight"], c.params["layers.0.weight"])
    # Changing a later layer leaves earlier layers' initial weights alone.
    d = Network.from_dict(with_(seed=3, layers__1__units=1, layers__1__activation="tanh"))
    np.testing.assert_array_equal(a.params["layers.0.weight"], d.params["layers.0.weight"])


@pytest.mark.parametrize("init, check", [
    ("zeros", lambda w: np.all(w == 0)),
    ({"name": "uniform", "low": 2, "high": 3}, lambda w: np.all((w >= 2) & (w < 3))),
    ("he_uniform", lambda w: np.all(np.abs(w) <= np.sqrt(6 / 200))),
    ("xavier_uniform", lambda w: np.all(np.abs(w) <= np.sqrt(6 / 300))),
    ("he_normal", lambda w: abs(w.std() - np.sqrt(2 / 200)) < 0.01),
    ("lecun_normal", lambda w: abs(w.std() - np.sqrt(1 / 200)) < 0.01),
    ("xavier_normal", lambda w: abs(w.std() - np.sqrt(2 / 300)) < 0.01),
    ({"name": "normal", "mean": 1, "std": 0.5}, lambda w: abs(w.mean() - 1) < 0.05),
])
def test_initialisers(init, check):
    net = Network.from_dict({"inputs": 200, "layers": [{"units": 100, "init": init}]})
    assert check(net.params["layers.0.weight"])


def test_float32_is_selectable():
    net = Network.from_dict(with_(dtype="float32"))
    assert all(p.dtype == np.float32 for p in net.parameters().values())
    loss, grads = net.loss_and_gradients(np.ones((3, 2)), np.zeros((3, 1)))
    assert all(g.dtype == np.float32 for g in grads.values())
    assert net.to_dict()["dtype"] == "float32"


@pytest.mark.parametrize("X, T, path, text", [
    (np.ones((3, 3)), np.ones((3, 1)), "X", "expected shape (samples, 2)"),
    (np.ones((0, 2)), np.ones((0, 1)), "X", "no samples"),
    ([[1, float("nan")]], [[1]], "X", "not a finite number"),
    ([["a", "b"]], [[1]], "X", "expected numbers"),
    (np.ones((3, 2)), np.ones((2, 1)), "T", "expected shape (3, 1)"),
    (np.ones((3, 2)), np.full((3, 1), np.inf), "T", "not a finite number"),
])
def test_bad_data_is_a_spec_error(X, T, path, text):
    net = Network.from_dict(BASE)
    with pytest.raises(SpecError) as err:
        net.loss_and_gradients(X, T)
    assert err.value.path == path and text in str(err.value)


def test_class_labels_for_cross_entropy():
    net = Network.from_dict(with_(loss="cross_entropy", layers__1__units=3, layers__1__activation="softmax"))
    a, _ = net.loss_and_gradients(np.ones((3, 2)), [0, 2, 1])
    b, _ = net.loss_and_gradients(np.ones((3, 2)), np.eye(3)[[0, 2, 1]])
    assert a == b
    with pytest.raises(SpecError, match="0..2"):
        net.loss_and_gradients(np.ones((2, 2)), [0, 3])
    with pytest.raises(SpecError, match="whole numbers"):
        net.loss_and_gradients(np.ones((2, 2)), [0.5, 1])


def test_hinge_targets_must_be_plus_minus_one():
    net = Network.from_dict(with_(loss="hinge", layers__1__activation="tanh"))
    with pytest.raises(SpecError, match="−1 or \\+1"):
        net.loss_and_gradients(np.ones((2, 2)), [[0.0], [1.0]])


def test_set_parameter_validates():
    net = Network.from_dict(BASE)
    net.set_parameter("layers.1.bias", [0.25])
    assert net.params["layers.1.bias"][0] == 0.25
    with pytest.raises(SpecError, match="expected shape"):
        net.set_parameter("layers.1.bias", [1, 2])
    with pytest.raises(SpecError, match="finite"):
        net.set_parameter("layers.1.bias", [float("inf")])
    with pytest.raises(SpecError, match="no such parameter"):
        net.set_parameter("layers.9.bias", [1])


# -- files -------------------------------------------------------------------


def test_save_load_save_is_identical(tmp_path):
    net = Network.from_dict(BASE)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    save_network(net, a)
    save_network(load_network(a), b)
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("content, text", [
    (b"", "not valid JSON"),
    (b"{\"format\": ", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"[1, 2, 3]", "JSON object"),
    (b"{\"inputs\": 2, \"layers\": [{\"units\": 1}]}", "format: missing"),
    (b"[" * 100000, "nested too deeply"),
])
def test_damaged_files(tmp_path, content, text):
    f = tmp_path / "net.json"
    f.write_bytes(content)
    with pytest.raises(SpecError, match=text):
        load_network(f)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_network(tmp_path / "nope.json")
    with pytest.raises(SpecError, match="folder"):
        load_network(tmp_path)


def test_file_errors_carry_the_path_and_field(tmp_path):
    f = tmp_path / "net.json"
    f.write_text(json.dumps(with_(layers__1__activation="sigmoud")))
    with pytest.raises(SpecError) as err:
        load_network(f)
    assert str(err.value).startswith(f"{f}: layers[1].activation: unknown 'sigmoud'")


def test_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    f = tmp_path / "net.json"
    save_network(Network.from_dict(BASE), f)
    before = f.read_bytes()
    import backprop_viz.engine.files as files

    def boom(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError):
        save_network(Network.from_dict(with_(seed=9)), f)
    assert f.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["format", "version", "inputs", "layers", "units", "activation", "loss",
                         "weight", "bias", "norm", "seed", "l1", "residual", "dropout", "x"]),
        children, max_size=6),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_raises_only_spec_error(value):
    try:
        Network.from_dict(value)
    except SpecError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["units", "activation", "init", "weight", "bias", "norm",
                                        "dropout", "residual", "use_bias", "gamma"]),
                       json_values, max_size=5))
def test_arbitrary_layers_raise_only_spec_error(layer):
    try:
        Network.from_dict({"inputs": 2, "layers": [layer]})
    except SpecError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_spec_error(tmp_path_factory, data):
    f = tmp_path_factory.mktemp("bytes") / "x.json"
    f.write_bytes(data)
    try:
        load_network(f)
    except SpecError:
        pass
