import numpy as np
import pytest

from backprop_viz.engine import Network, SpecError
from backprop_viz.session import edits
from backprop_viz.session.templates import open_template


@pytest.fixture
def spec():
    return open_template("xor").network_spec


def test_set_units_keeps_overlapping_weights(spec):
    out = edits.set_units(spec, 0, 6)
    W0, W1 = np.array(spec["layers"][0]["weight"]), np.array(spec["layers"][1]["weight"])
    np.testing.assert_array_equal(np.array(out["layers"][0]["weight"])[:, :4], W0)
    np.testing.assert_array_equal(np.array(out["layers"][1]["weight"])[:4], W1)
    assert np.array(out["layers"][1]["weight"]).shape == (6, 1)


def test_remove_unit_removes_its_row_and_column(spec):
    out = edits.remove_unit(spec, 0, 1)
    W0, W1 = np.array(spec["layers"][0]["weight"]), np.array(spec["layers"][1]["weight"])
    np.testing.assert_array_equal(out["layers"][0]["weight"], np.delete(W0, 1, axis=1))
    np.testing.assert_array_equal(out["layers"][1]["weight"], np.delete(W1, 1, axis=0))


def test_remove_an_input(spec):
    out = edits.remove_unit(spec, -1, 0)
    assert out["inputs"] == 1
    assert np.array(out["layers"][0]["weight"]).shape == (1, 4)


def test_last_neuron_cannot_go(spec):
    s = edits.set_units(spec, 0, 1)
    with pytest.raises(SpecError, match="at least one neuron"):
        edits.remove_unit(s, 0, 0)


def test_insert_and_remove_layer_round_trip(spec):
    s = edits.insert_layer(spec, 1)
    assert [layer["units"] for layer in s["layers"]] == [4, 4, 1]
    back = edits.remove_layer(s, 1)
    np.testing.assert_array_equal(back["layers"][0]["weight"], spec["layers"][0]["weight"])
    with pytest.raises(SpecError, match="only hidden layers"):
        edits.remove_layer(spec, 1)


def test_options_are_validated(spec):
    with pytest.raises(SpecError, match="needs units == fan_in"):
        edits.set_layer_option(spec, 0, "residual", True)
    with pytest.raises(SpecError, match="only allowed on the output layer"):
        edits.set_layer_option(spec, 0, "activation", "softmax")
    s = edits.set_layer_option(spec, 0, "norm", "batch")
    assert "gamma" in s["layers"][0]
    s = edits.set_layer_option(s, 0, "norm", None)
    assert "gamma" not in s["layers"][0]
    s = edits.set_layer_option(spec, 0, "use_bias", False)
    assert "bias" not in s["layers"][0]
    s = edits.set_layer_option(spec, 0, "init", "zeros")
    assert not np.any(s["layers"][0]["weight"])


def test_set_parameter_element(spec):
    s = edits.set_parameter_element(spec, "layers.1.weight", (2, 0), 0.25)
    assert s["layers"][1]["weight"][2][0] == 0.25
    with pytest.raises(SpecError):
        edits.set_parameter_element(spec, "layers.1.weight", (9, 0), 0.25)


def test_reinitialise_restores_the_initial_weights(spec):
    fresh = Network.from_dict({**spec, "layers": [{k: v for k, v in la.items() if k not in ("weight", "bias")}
                                                  for la in spec["layers"]]})
    s = edits.set_parameter_element(spec, "layers.0.weight", (0, 0), 9.0)
    back = edits.reinitialise(s)
    np.testing.assert_array_equal(back["layers"][0]["weight"], fresh.params["layers.0.weight"])


def test_apply_to_hidden_layers_is_one_edit_that_leaves_the_output_alone():
    spec = open_template("deep_sigmoid").network_spec
    n = len(spec["layers"])
    assert n >= 4
    s = edits.set_layer_option(spec, 0, "activation", "relu")
    s = edits.set_layer_option(s, 0, "init", "he_normal")
    s = edits.set_layer_option(s, 0, "dropout", 0.1)
    out = edits.apply_to_hidden_layers(s, 0)
    for layer in out["layers"][:-1]:
        assert (layer["activation"], layer["init"], layer.get("dropout")) == ("relu", "he_normal", 0.1)
    assert out["layers"][-1] == s["layers"][-1]
    # New initial weights where the initialiser changed; the source layer keeps its own.
    assert out["layers"][0]["weight"] == s["layers"][0]["weight"]
    assert out["layers"][1]["weight"] != s["layers"][1]["weight"]
    Network.from_dict(out)


def test_apply_to_hidden_layers_keeps_weights_where_nothing_changes():
    spec = open_template("deep_sigmoid").network_spec
    out = edits.apply_to_hidden_layers(spec, 1)
    assert [la["weight"] for la in out["layers"]] == [la["weight"] for la in spec["layers"]]


def test_apply_to_hidden_layers_names_a_missing_layer():
    with pytest.raises(SpecError, match="no such layer"):
        edits.apply_to_hidden_layers(open_template("xor").network_spec, 7)
