"""What a click on the canvas or the graph selects, named as a find check names it.

A find check's answer is a walk label (``W1``, ``predicted``) or a parameter element
(``layers.9.weight[1,0]``); :func:`~backprop_viz.session.lessons.check_find` compares either
form element by element. These turn a selection into such a name.
"""

from __future__ import annotations

import numpy as np

from ..engine import SpecError
from .edits import weight_key
from .stepper import LAYER, Stepper


def _element(name: str, index) -> str:
    return f"{name}[{','.join(str(int(i)) for i in index)}]" if len(index) else name


def canvas_pick(network_spec: dict, key) -> str | None:
    """The name of a canvas selection: ``("edge", layer, i, j)``, ``("bias", layer, j)`` or
    ``("neuron", column, unit)`` (column 0 is the inputs); None for anything else."""
    if not isinstance(key, tuple) or not key:
        return None
    layers = network_spec["layers"]
    kind = key[0]
    if kind == "edge" and len(key) == 4 and 0 <= key[1] < len(layers):
        return _element(f"layers.{key[1]}.{weight_key(layers[key[1]])}", key[2:])
    if kind == "bias" and len(key) == 3 and 0 <= key[1] < len(layers):
        return _element(f"layers.{key[1]}.bias", key[2:])
    if kind == "neuron" and len(key) == 3:
        # The first sample's row: the lesson's walks are of one sample.
        return f"X[0,{key[2]}]" if key[1] == 0 else f"layers.{key[1] - 1}.act[0,{key[2]}]"
    return None


def graph_pick(stepper: Stepper, nid: int) -> str | None:
    """The name of a node clicked in the graph of ``stepper``'s walk. At layer level a node is a whole
    tensor, named as such (a find check wants one value: the canvas names single weights); a
    one-value tensor names its value."""
    if stepper.level != LAYER and stepper.view is not None:
        if not 0 <= nid < len(stepper.view.nodes):
            return None
        node = stepper.view.nodes[nid]
        if node.param is not None:
            return _element(*node.param)
        return node.label
    if not 0 <= nid < len(stepper.trace.nodes):
        return None
    tnode = stepper.trace.nodes[nid]
    shape = np.shape(tnode.value)
    if int(np.prod(shape)) == 1:
        return _element(tnode.name, (0,) * len(shape))
    return tnode.name


def label_of(stepper: Stepper, name: str) -> str:
    """``name`` as the walk labels it at neuron level (``layers.0.weight[0,0]`` → ``W1``), so feedback
    uses the names the student sees; unchanged at layer level or when the walk has no such label."""
    from .lessons import resolve
    if stepper.level == LAYER or stepper.view is None:
        return name
    try:
        t = resolve(stepper, name)
    except SpecError:
        return name
    if t.level != LAYER:
        return name
    tensor = (stepper.trace.nodes[t.node].name, tuple(t.index or ()))
    return next((n.label for n in stepper.view.nodes
                 if n.tensor is not None and (n.tensor[0], tuple(n.tensor[1])) == tensor), name)
