"""One display name per parameter element, used everywhere the element is named.

``W2[3,1]`` is the weight of layer 2 from unit 3 of the layer before to unit 1
(1-based, as a learner counts); the file name beside it is
``layers.1.weight[2,0]`` (0-based, as the network file and PyTorch count).
The textbook's single-neuron network keeps the textbook's names: W1, W2, b.
"""

from __future__ import annotations

from typing import Any

SYMBOLS = {"weight": "W", "weight_input": "Wx", "weight_hidden": "Wh", "bias": "b", "gamma": "γ",
           "beta": "β"}


def textbook_style(spec) -> bool:
    """One layer of one unit with a few inputs: the worked example's picture.
    ``spec`` is a network file's dict or an engine NetworkSpec."""
    if isinstance(spec, dict):
        layers = [(la["units"], la.get("type", "dense")) for la in spec["layers"]]
        inputs = spec["inputs"]
    else:
        layers = [(la.units, la.kind) for la in spec.layers]
        inputs = spec.inputs
    return len(layers) == 1 and layers[0] == (1, "dense") and inputs <= 9


def _parts(param: str) -> tuple[int, str]:
    _, i, kind = param.split(".", 2)
    return int(i), kind


def tensor_name(spec: Any, param: str) -> str:
    """``layers.0.weight`` → ``W1`` (``W`` in the textbook picture)."""
    i, kind = _parts(param)
    symbol = SYMBOLS.get(kind, kind)
    if textbook_style(spec):
        return symbol
    return f"{symbol}{i + 1}"


def element_name(spec: Any, param: str, idx: tuple) -> str:
    """``("layers.1.weight", (2, 0))`` → ``W2[3,1]``; in the textbook picture ``W3`` and ``b``."""
    i, kind = _parts(param)
    idx = tuple(int(k) for k in idx)
    if textbook_style(spec):
        if kind == "weight":
            return f"W{idx[0] + 1}"
        return SYMBOLS.get(kind, kind)
    return f"{tensor_name(spec, param)}[{','.join(str(k + 1) for k in idx)}]"


def file_name(param: str, idx: tuple | None = None) -> str:
    """The name in network files and PyTorch: ``layers.1.weight[2,0]``."""
    if idx is None:
        return param
    return f"{param}[{','.join(str(int(k)) for k in idx)}]"


def labelled(spec: Any, param: str, idx: tuple | None = None) -> str:
    """``W2[3,1] (layers.1.weight[2,0])``, or ``W2 (layers.1.weight)`` for a whole tensor."""
    shown = tensor_name(spec, param) if idx is None else element_name(spec, param, idx)
    return f"{shown} ({file_name(param, idx)})"
