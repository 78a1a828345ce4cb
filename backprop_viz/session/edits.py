"""Edits of a network spec, as the editor offers them. Pure functions on dicts.

Each returns a new, validated spec (``SpecError`` if the engine would reject
the result) and keeps every weight the edit does not touch: resizing a layer
keeps the overlapping weights and initialises only the new ones.
"""

from __future__ import annotations

import copy

import numpy as np

from ..engine import Network, SpecError
from ..engine.initializers import initial_weight, parse_init
from ..engine.layers import kind_of

MAX_UNITS = 4096
MAX_LAYERS = 64


def weight_key(layer: dict) -> str:
    """The key of a layer's input weights: ``weight``, or ``weight_input`` for a recurrent layer."""
    return kind_of(layer).weight_keys[0]


def _validated(spec: dict) -> dict:
    return Network.from_dict(spec).to_dict()


def _fresh_weight(spec: dict, i: int, fan_in: int, units: int) -> np.ndarray:
    layer = spec["layers"][i]
    init = parse_init(layer.get("init", "xavier_uniform"), f"layers[{i}].init")
    rng = np.random.default_rng([spec.get("seed", 0), i, fan_in, units])
    return initial_weight(init, fan_in, units, rng)


def _resize(spec: dict, i: int, fan_in: int, units: int) -> None:
    """Give layer i a weight of shape (fan_in, units), keeping the overlap."""
    layer = spec["layers"][i]
    key = weight_key(layer)
    new = _fresh_weight(spec, i, fan_in, units)
    old = layer.get(key)
    if old is not None:
        old = np.asarray(old, dtype=float)
        r, c = min(old.shape[0], fan_in), min(old.shape[1], units)
        new[:r, :c] = old[:r, :c]
    layer[key] = new.tolist()
    if key == "weight_input":
        hidden = _fresh_weight(spec, i, units, units)
        old = layer.get("weight_hidden")
        if old is not None:
            old = np.asarray(old, dtype=float)
            n = min(old.shape[0], units)
            hidden[:n, :n] = old[:n, :n]
        layer["weight_hidden"] = hidden.tolist()
    for key, fill in (("bias", 0.0), ("gamma", 1.0), ("beta", 0.0), ("running_mean", 0.0),
                      ("running_var", 1.0)):
        if layer.get(key) is not None:
            vec = np.full(units, fill)
            old_vec = np.asarray(layer[key], dtype=float)
            n = min(len(old_vec), units)
            vec[:n] = old_vec[:n]
            layer[key] = vec.tolist()


def _fan_in(spec: dict, i: int) -> int:
    return spec["inputs"] if i == 0 else spec["layers"][i - 1]["units"]


def set_units(spec: dict, i: int, units: int) -> dict:
    """Change layer i's width (i = -1 means the input layer)."""
    if not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        raise SpecError(f"layers[{i}].units" if i >= 0 else "inputs",
                        f"expected 1 to {MAX_UNITS} neurons, got {units!r}")
    s = copy.deepcopy(spec)
    if i < 0:
        s["inputs"] = units
    else:
        s["layers"][i]["units"] = units
        _resize(s, i, _fan_in(s, i), units)
    nxt = i + 1
    if nxt < len(s["layers"]):
        _resize(s, nxt, units, s["layers"][nxt]["units"])
    return _validated(s)


def remove_unit(spec: dict, i: int, j: int) -> dict:
    """Remove neuron j of layer i (i = -1: an input), with all its weights."""
    units = spec["inputs"] if i < 0 else spec["layers"][i]["units"]
    where = "inputs" if i < 0 else f"layers[{i}].units"
    if units <= 1:
        raise SpecError(where, "a layer needs at least one neuron")
    if not 0 <= j < units:
        raise SpecError(where, f"no neuron {j + 1}")
    s = copy.deepcopy(Network.from_dict(spec).to_dict())
    if i < 0:
        s["inputs"] = units - 1
    else:
        layer = s["layers"][i]
        layer["units"] = units - 1
        key = weight_key(layer)
        layer[key] = [row[:j] + row[j + 1:] for row in layer[key]]
        if "weight_hidden" in layer:
            wh = layer["weight_hidden"]
            layer["weight_hidden"] = [row[:j] + row[j + 1:] for r, row in enumerate(wh) if r != j]
        for key in ("bias", "gamma", "beta", "running_mean", "running_var"):
            if layer.get(key) is not None:
                layer[key] = layer[key][:j] + layer[key][j + 1:]
    nxt = i + 1
    if nxt < len(s["layers"]):
        key = weight_key(s["layers"][nxt])
        w = s["layers"][nxt][key]
        s["layers"][nxt][key] = w[:j] + w[j + 1:]
    return _validated(s)


def add_units(spec: dict, i: int, delta: int) -> dict:
    current = spec["inputs"] if i < 0 else spec["layers"][i]["units"]
    return set_units(spec, i, current + delta)


def insert_layer(spec: dict, index: int, units: int | None = None, activation="tanh") -> dict:
    """A new hidden layer at position ``index`` (0 = right after the inputs)."""
    if len(spec["layers"]) >= MAX_LAYERS:
        raise SpecError("layers", f"at most {MAX_LAYERS} layers")
    if not 0 <= index <= len(spec["layers"]) - 1:
        raise SpecError("layers", "a hidden layer goes between the inputs and the output layer")
    s = copy.deepcopy(spec)
    fan_in = _fan_in(s, index)
    units = units or fan_in
    layer = {"units": units, "activation": activation, "init": "xavier_uniform"}
    s["layers"].insert(index, layer)
    _resize(s, index, fan_in, units)
    layer["bias"] = [0.0] * units
    _resize(s, index + 1, units, s["layers"][index + 1]["units"])
    return _validated(s)


def remove_layer(spec: dict, index: int) -> dict:
    if len(spec["layers"]) <= 1:
        raise SpecError("layers", "the output layer cannot be removed")
    if not 0 <= index < len(spec["layers"]) - 1:
        raise SpecError("layers", "only hidden layers can be removed")
    s = copy.deepcopy(spec)
    del s["layers"][index]
    if index < len(s["layers"]):
        _resize(s, index, _fan_in(s, index), s["layers"][index]["units"])
        if s["layers"][index].get("residual") and s["layers"][index]["units"] != _fan_in(s, index):
            s["layers"][index]["residual"] = False
    return _validated(s)


def set_layer_option(spec: dict, i: int, key: str, value) -> dict:
    """Activation, init, norm, dropout, residual or use_bias of layer i."""
    s = copy.deepcopy(spec)
    layer = s["layers"][i]
    if key == "norm":
        for k in ("gamma", "beta", "running_mean", "running_var"):
            layer.pop(k, None)
        if value is None:
            layer.pop("norm", None)
        else:
            layer["norm"] = value
    elif key == "use_bias":
        layer["use_bias"] = value
        if value:
            layer.setdefault("bias", [0.0] * layer["units"])
            if layer["bias"] is None:
                layer["bias"] = [0.0] * layer["units"]
        else:
            layer.pop("bias", None)
    elif key == "init":
        layer["init"] = value
        # A new initialiser means new initial weights for this layer.
        keys = kind_of(layer).weight_keys
        for key in keys:
            layer.pop(key, None)
        fresh = Network.from_dict({**s, "layers": [dict(la) for la in s["layers"]]})
        for key in keys:
            layer[key] = fresh.params[f"layers.{i}.{key}"].tolist()
    elif value is None and key == "bptt":
        layer.pop("bptt", None)
    else:
        layer[key] = value
    return _validated(s)


HIDDEN_LAYER_OPTIONS = ("activation", "init", "norm", "dropout")


def hidden_layers(spec: dict) -> list[int]:
    """Indices of the hidden layers (every layer but the output layer)."""
    return list(range(len(spec["layers"]) - 1))


def apply_to_hidden_layers(spec: dict, source: int, keys=HIDDEN_LAYER_OPTIONS) -> dict:
    """Give every hidden layer the activation, initialiser, normalisation and dropout of layer
    ``source``, as one edit. Recurrent layers take only what they have (activation, initialiser);
    a layer that already has a setting keeps its weights."""
    layers = spec["layers"]
    if not 0 <= source < len(layers):
        raise SpecError(f"layers[{source}]", "no such layer")
    src = layers[source]
    s = copy.deepcopy(spec)
    for i in hidden_layers(spec):
        if i == source:
            continue
        kind = kind_of(s["layers"][i])
        if kind is not kind_of(src):
            continue       # dense and recurrent layers have different settings and activations
        for key in keys:
            if key not in kind.shared_options:
                continue
            value = src.get(key, {"init": "xavier_uniform", "dropout": 0.0}.get(key))
            current = s["layers"][i].get(key, {"init": "xavier_uniform", "dropout": 0.0}.get(key))
            if value != current:
                try:
                    s = set_layer_option(s, i, key, copy.deepcopy(value))
                except SpecError as exc:
                    raise SpecError(f"layers[{i}].{key}", exc.detail) from None
    return _validated(s)


def set_network_option(spec: dict, key: str, value) -> dict:
    s = copy.deepcopy(spec)
    s[key] = value
    return _validated(s)


def set_parameter_element(spec: dict, name: str, index: tuple, value: float) -> dict:
    """One weight or bias typed by hand."""
    net = Network.from_dict(spec)
    if name not in net.params:
        raise SpecError(name, "no such parameter")
    arr = net.params[name].copy()
    try:
        arr[index] = value
    except (IndexError, TypeError, ValueError):
        raise SpecError(name, f"no element {index}") from None
    net.set_parameter(name, arr)
    return net.to_dict()


def reinitialise(spec: dict, seed: int | None = None) -> dict:
    """Fresh weights from the initialisers (and seed), as at the start."""
    s = copy.deepcopy(spec)
    if seed is not None:
        s["seed"] = seed
    for layer in s["layers"]:
        for key in ("weight", "weight_input", "weight_hidden", "bias", "gamma", "beta", "running_mean",
                    "running_var"):
            layer.pop(key, None)
    return _validated(s)
