"""Hostile variations of project files, shared by the engine, CLI and app fuzzers.

Every field of the project format appears in one of the BASES; a variation
replaces one field (found by its path) with a hostile value."""

from __future__ import annotations

import copy
import json

from hypothesis import strategies as st

NETWORK = {
    "format": "backprop-viz/network", "version": 1, "name": "n", "description": "d", "inputs": 2,
    "layers": [
        {"units": 4, "activation": {"name": "leaky_relu", "negative_slope": 0.1}, "init": {"name": "normal", "std": 0.1},
         "weight": [[0.1, 0.2, 0.3, 0.4]] * 2, "bias": [0.0] * 4, "use_bias": True, "norm": "batch",
         "gamma": [1.0] * 4, "beta": [0.0] * 4, "running_mean": [0.0] * 4, "running_var": [1.0] * 4,
         "dropout": 0.1, "residual": False},
        {"units": 1, "activation": "sigmoid"},
    ],
    "loss": "binary_cross_entropy", "l1": 0.0, "l2": 0.001, "seed": 3, "dtype": "float64", "time_reduction": "mean",
}
RECURRENT = {
    "format": "backprop-viz/network", "version": 1, "inputs": 1,
    "layers": [{"type": "recurrent", "units": 3, "activation": "tanh", "init": "xavier_uniform",
                "weight_input": [[0.1, 0.2, 0.3]], "weight_hidden": [[0.1, 0.0, 0.0]] * 3, "bias": [0.0] * 3,
                "use_bias": True, "readout": "last", "bptt": 5},
               {"units": 1, "activation": "identity"}],
    "loss": "mse",
}
TRAINING = {"optimizer": {"name": "adam", "lr": 0.01, "betas": [0.9, 0.999], "amsgrad": False}, "batch_size": 8,
            "clip_grad_norm": 1.0, "clip_grad_value": 1.0, "schedule": {"name": "step", "step_size": 10, "gamma": 0.5},
            "early_stopping": {"patience": 5, "min_delta": 0.0}, "seed": 0}
BASES = [
    {"format": "backprop-viz/project", "version": 1, "training": TRAINING, "view": {"digits": 9},
     "network": {**NETWORK, "inputs": 3, "layers": [{**NETWORK["layers"][0], "weight": [[0.1, 0.2, 0.3, 0.4]] * 3},
                                                    NETWORK["layers"][1]]},
     "data": {"kind": "builtin", "name": "xor", "samples": 50, "noise": 0.1, "seed": 0, "validation": 0.2,
              "features": ["x1*x2"]}},
    {"format": "backprop-viz/project", "version": 1, "network": NETWORK,
     "data": {"kind": "samples", "X": [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], "T": [[1.0], [0.0], [1.0]],
              "validation": 0.0, "validation_indices": [0], "seed": 0, "source": "a.csv", "task": "classification"}},
    {"format": "backprop-viz/project", "version": 1, "network": {**NETWORK, "inputs": 64, "layers": [
        {"units": 10, "activation": "softmax"}], "loss": "cross_entropy"},
     "data": {"kind": "digits", "samples": 20, "seed": 0, "validation": 0.2}},
    {"format": "backprop-viz/project", "version": 1, "network": RECURRENT,
     "data": {"kind": "builtin", "name": "remember_first", "samples": 20, "steps": 5, "noise": 0.1, "seed": 0,
              "validation": 0.2}},
]


def field_paths(x, path=()):
    """Every path into x (lists: their first two items)."""
    if path:
        yield path
    if isinstance(x, dict):
        for k, v in x.items():
            yield from field_paths(v, path + (k,))
    elif isinstance(x, list):
        for i, v in enumerate(x[:2]):
            yield from field_paths(v, path + (i,))


VARIANTS = [(b, p) for b in range(len(BASES)) for p in field_paths(BASES[b])]


def nested(depth: int):
    v: object = 1
    for _ in range(depth):
        v = [v]
    return v


HOSTILE = st.one_of(
    st.none(), st.booleans(), st.text(max_size=20),
    st.integers(), st.integers(min_value=2 ** 62, max_value=2 ** 70), st.integers(min_value=-2 ** 70, max_value=-1),
    st.sampled_from([10 ** 400, -10 ** 400, 2 ** 63, 2 ** 64 - 1, 10 ** 4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, -0.0]),
    st.lists(st.one_of(st.integers(), st.text(max_size=3), st.floats()), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.integers(min_value=1, max_value=3000).map(nested),
)


def variant(index: int, value) -> dict:
    base_index, path = VARIANTS[index]
    d = copy.deepcopy(BASES[base_index])
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return d


def write_json(path, d) -> None:
    """As a hostile file would hold it: NaN and Infinity tokens, huge integers in digits."""
    import sys
    old, old_digits = sys.getrecursionlimit(), sys.get_int_max_str_digits()
    sys.setrecursionlimit(max(old, 20000))
    sys.set_int_max_str_digits(0)
    try:
        text = json.dumps(d)
    finally:
        sys.setrecursionlimit(old)
        sys.set_int_max_str_digits(old_digits)
    path.write_text(text, encoding="utf-8")
