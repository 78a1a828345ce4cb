"""The network file format ``backprop-viz/network`` v1: validation in one place.

``parse_spec`` turns a JSON-like dict into a :class:`NetworkSpec` or raises
:class:`SpecError` naming the field path. The engine trusts a parsed spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import budget, initializers
from .activations import Activation, parse_activation
from .errors import SpecError
from .fields import SEED_MAX, _show, choice, is_number, is_whole, whole
from .fields import boolean as _bool
from .fields import number as _checked_number
from .ops import LOGIT_LOSSES, LOSSES

FORMAT = "backprop-viz/network"
VERSION = 1

TOP_KEYS = ("format", "version", "name", "description", "inputs", "layers", "loss",
            "l1", "l2", "seed", "dtype", "time_reduction")
LAYER_KEYS = ("type", "units", "activation", "init", "weight", "bias", "use_bias", "norm",
              "gamma", "beta", "running_mean", "running_var", "dropout", "residual")
RECURRENT_KEYS = ("type", "units", "activation", "init", "weight_input", "weight_hidden", "bias",
                  "use_bias", "readout", "bptt")
RECURRENT_ACTIVATIONS = ("tanh", "sigmoid", "relu")
DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass
class LayerSpec:
    units: int
    activation: Activation
    init: dict
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    use_bias: bool = True
    norm: str | None = None
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None
    dropout: float = 0.0
    residual: bool = False
    kind: str = "dense"                  # or "recurrent"
    weight_hidden: np.ndarray | None = None
    readout: str = "sequence"            # recurrent: pass on every step's h, or only the last
    bptt: int | None = None              # recurrent: truncate backpropagation through time


@dataclass
class NetworkSpec:
    inputs: int
    layers: list[LayerSpec]
    loss: str = "half_squared_error"
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 0
    dtype: str = "float64"
    time_reduction: str = "mean"
    name: str = ""
    description: str = ""
    extra: dict = field(default_factory=dict)


_is_int = is_whole


def _positive_int(v, path):
    return whole(v, path, 1)


def _units(v, path):
    return whole(v, path, 1, budget.MAX_UNITS)


def _number(v, path, *, low=None, high=None, high_open=False):
    return _checked_number(v, path, low, high, high_open=high_open)


def _array(v, shape, path) -> np.ndarray:
    """A nested list of finite numbers of exactly ``shape``."""
    def walk(x, depth, p):
        if depth == len(shape):
            if not is_number(x):
                _checked_number(x, p)
            return
        if not isinstance(x, list):
            raise SpecError(p, f"expected a list of {shape[depth]}, got {type(x).__name__}")
        if len(x) != shape[depth]:
            what = "shape " + "×".join(map(str, shape))
            raise SpecError(p, f"expected {shape[depth]} entries for {what}, got {len(x)}")
        for i, item in enumerate(x):
            walk(item, depth + 1, f"{p}[{i}]")

    if isinstance(v, np.ndarray):
        v = v.tolist()
    walk(v, 0, path)
    return np.array(v, dtype=np.float64).reshape(shape)


def _check_keys(d: dict, allowed, path: str):
    for key in d:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise SpecError(where, f"unknown key (expected one of {', '.join(allowed)})")


def _parse_bias(d: dict, layer: LayerSpec, path: str) -> None:
    layer.use_bias = _bool(d.get("use_bias", True), f"{path}.use_bias")
    if d.get("bias") is not None:
        if not layer.use_bias:
            raise SpecError(f"{path}.bias", "given, but use_bias is false")
        layer.bias = _array(d["bias"], (layer.units,), f"{path}.bias")


def parse_layer(d, fan_in: int, path: str, is_output: bool) -> LayerSpec:
    if not isinstance(d, dict):
        raise SpecError(path, f"expected an object, got {type(d).__name__}")
    kind = d.get("type", "dense")
    if kind == "recurrent":
        return parse_recurrent(d, fan_in, path, is_output)
    _check_keys(d, LAYER_KEYS, path)
    if kind != "dense":
        raise SpecError(f"{path}.type", f"unknown {kind!r} (expected dense or recurrent)")
    if "units" not in d:
        raise SpecError(f"{path}.units", "missing (how many neurons the layer has)")
    units = _units(d["units"], f"{path}.units")
    act = parse_activation(d.get("activation", "identity"), f"{path}.activation")
    if act.name == "softmax" and not is_output:
        raise SpecError(f"{path}.activation", "softmax is only allowed on the output layer")
    init = initializers.parse_init(d.get("init", "xavier_uniform"), f"{path}.init")
    layer = LayerSpec(units=units, activation=act, init=init)
    if d.get("weight") is not None:
        layer.weight = _array(d["weight"], (fan_in, units), f"{path}.weight")
    _parse_bias(d, layer, path)
    norm = d.get("norm")
    if norm is not None and (not isinstance(norm, str) or norm not in ("batch", "layer")):
        raise SpecError(f"{path}.norm", f"unknown {norm!r} (expected batch, layer or null)")
    layer.norm = norm
    for key in ("gamma", "beta", "running_mean", "running_var"):
        if d.get(key) is None:
            continue
        if norm is None or (key.startswith("running") and norm != "batch"):
            need = "norm: batch" if key.startswith("running") else "norm"
            raise SpecError(f"{path}.{key}", f"given, but the layer has no {need}")
        arr = _array(d[key], (units,), f"{path}.{key}")
        if key == "running_var" and (arr < 0).any():
            raise SpecError(f"{path}.{key}", "variances must not be negative")
        setattr(layer, key, arr)
    layer.dropout = _number(d.get("dropout", 0.0), f"{path}.dropout", low=0.0, high=1.0,
                            high_open=True)
    if layer.dropout and is_output:
        raise SpecError(f"{path}.dropout", "not allowed on the output layer")
    layer.residual = _bool(d.get("residual", False), f"{path}.residual")
    if layer.residual and units != fan_in:
        raise SpecError(f"{path}.residual",
                        f"needs units == fan_in (this layer has {units} units, its input has {fan_in})")
    return layer


def parse_recurrent(d, fan_in: int, path: str, is_output: bool) -> LayerSpec:
    """h_t = act(x_t·W_x + h_{t−1}·W_h + b), unrolled over the sequence."""
    _check_keys(d, RECURRENT_KEYS, path)
    if is_output:
        raise SpecError(f"{path}.type", "a recurrent layer needs a dense read-out layer after it")
    if "units" not in d:
        raise SpecError(f"{path}.units", "missing (how many hidden units the layer has)")
    units = _units(d["units"], f"{path}.units")
    act = parse_activation(d.get("activation", "tanh"), f"{path}.activation")
    if act.name not in RECURRENT_ACTIVATIONS:
        raise SpecError(f"{path}.activation",
                        f"{act.name!r} is not offered for recurrent layers (expected {', '.join(RECURRENT_ACTIVATIONS)})")
    init = initializers.parse_init(d.get("init", "xavier_uniform"), f"{path}.init")
    layer = LayerSpec(units=units, activation=act, init=init, kind="recurrent")
    if d.get("weight_input") is not None:
        layer.weight = _array(d["weight_input"], (fan_in, units), f"{path}.weight_input")
    if d.get("weight_hidden") is not None:
        layer.weight_hidden = _array(d["weight_hidden"], (units, units), f"{path}.weight_hidden")
    _parse_bias(d, layer, path)
    readout = d.get("readout", "sequence")
    if not isinstance(readout, str) or readout not in ("sequence", "last"):
        raise SpecError(f"{path}.readout", f"unknown {readout!r} (expected sequence or last)")
    layer.readout = readout
    bptt = d.get("bptt")
    if bptt is not None:
        layer.bptt = _positive_int(bptt, f"{path}.bptt")
    return layer


def _check_read_out(layer: LayerSpec, path: str) -> None:
    """A dense layer after a recurrent one is applied to every time step on its own: no
    normalisation, dropout or skip connection over time (training would leave them out
    while prediction applied them)."""
    for key, on in (("norm", layer.norm), ("dropout", layer.dropout), ("residual", layer.residual)):
        if on:
            raise SpecError(f"{path}.{key}", f"not offered after a recurrent layer (got {on!r}); "
                                             "a read-out after it is a plain dense layer")


def _check_budget(inputs: int, layers_raw: list) -> None:
    """Refuse a network too large to hold before any weight is allocated."""
    count = 0
    fan_in = inputs
    for i, raw in enumerate(layers_raw):
        if not isinstance(raw, dict) or not is_whole(raw.get("units")):
            return     # parse_layer names the problem
        units = _units(raw["units"], f"layers[{i}].units")
        count += fan_in * units + 3 * units
        if raw.get("type") == "recurrent":
            count += units * units
        fan_in = units
    budget.check_parameters(count)


def parse_spec(d) -> NetworkSpec:
    if not isinstance(d, dict):
        raise SpecError("", f"a network must be a JSON object, got {type(d).__name__}")
    _check_keys(d, TOP_KEYS, "")
    if "format" in d and d["format"] != FORMAT:
        raise SpecError("format", f"expected {FORMAT!r}, got {d['format']!r}")
    if "version" in d:
        v = d["version"]
        if not _is_int(v):
            raise SpecError("version", f"expected a whole number, got {v!r}")
        if v != VERSION:
            newer = " (written by a newer backprop-viz)" if v > VERSION else ""
            raise SpecError("version", f"unsupported version {_show(v)}{newer}; this build reads {VERSION}")
    if "inputs" not in d:
        raise SpecError("inputs", "missing (how many input values a sample has)")
    inputs = _units(d["inputs"], "inputs")
    layers_raw = d.get("layers")
    if not isinstance(layers_raw, list) or not layers_raw:
        raise SpecError("layers", f"expected a non-empty list of layers, got {layers_raw!r}")
    _check_budget(inputs, layers_raw)
    layers: list[LayerSpec] = []
    fan_in = inputs
    for i, raw in enumerate(layers_raw):
        layer = parse_layer(raw, fan_in, f"layers[{i}]", i == len(layers_raw) - 1)
        if layer.kind == "recurrent" and layers and (layers[-1].kind != "recurrent" or layers[-1].readout == "last"):
            raise SpecError(f"layers[{i}].type", "recurrent layers come first, each passing on its whole sequence")
        if layer.kind == "dense" and layers and layers[0].kind == "recurrent":
            _check_read_out(layer, f"layers[{i}]")
        layers.append(layer)
        fan_in = layer.units
    loss = choice(d.get("loss", "half_squared_error"), tuple(LOSSES), "loss")
    out = layers[-1]
    if loss in LOGIT_LOSSES:
        need = LOGIT_LOSSES[loss]
        last = f"layers[{len(layers) - 1}]"
        if out.activation.name != need:
            raise SpecError(f"{last}.activation",
                            f"loss {loss} needs a {need} output layer, got {out.activation.name}")
        if out.residual:
            raise SpecError(f"{last}.residual", f"loss {loss} needs a plain {need} output layer")
        if loss == "cross_entropy" and out.units < 2:
            raise SpecError(f"{last}.units", "cross_entropy needs at least 2 output classes")
    spec = NetworkSpec(inputs=inputs, layers=layers, loss=loss)
    spec.l1 = _number(d.get("l1", 0.0), "l1", low=0.0)
    spec.l2 = _number(d.get("l2", 0.0), "l2", low=0.0)
    spec.seed = whole(d.get("seed", 0), "seed", 0, SEED_MAX)
    spec.dtype = choice(d.get("dtype", "float64"), tuple(DTYPES), "dtype")
    spec.time_reduction = choice(d.get("time_reduction", "mean"), ("mean", "sum"), "time_reduction")
    for key in ("name", "description"):
        if key in d:
            if not isinstance(d[key], str):
                raise SpecError(key, f"expected text, got {d[key]!r}")
            setattr(spec, key, d[key])
    return spec
