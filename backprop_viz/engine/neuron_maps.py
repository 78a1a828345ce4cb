"""What each neuron has learned: its activation over the input plane.

For a network with two inputs, every hidden neuron (and the output) computes
a function of the plane; drawn as a small heatmap in the neuron's circle it
shows the feature the neuron detects (a line for the first layer, curves
and regions deeper in). Prediction mode, as ``Network.predict``.
"""

from __future__ import annotations

import numpy as np

from . import ops
from .network import Network


def layer_activations(net: Network, X: np.ndarray) -> list[np.ndarray]:
    """Each layer's output (after the activation, and the skip sum if any) for inputs X."""
    if net.recurrent:
        raise ValueError("a recurrent network has no single map per neuron")
    X = net.check_inputs(X)
    out, h = [], X
    with np.errstate(all="ignore"):
        for i, layer in enumerate(net.spec.layers):
            p = f"layers.{i}"
            z = h @ net.params[f"{p}.weight"]
            if layer.use_bias:
                z = z + net.params[f"{p}.bias"]
            if layer.norm == "batch":
                r = net.running[i]
                z = (z - r["mean"]) / np.sqrt(r["var"] + ops.EPS)
                z = z * net.params[f"{p}.gamma"] + net.params[f"{p}.beta"]
            elif layer.norm == "layer":
                z = (z - z.mean(axis=1, keepdims=True)) / np.sqrt(z.var(axis=1, keepdims=True) + ops.EPS)
                z = z * net.params[f"{p}.gamma"] + net.params[f"{p}.beta"]
            a = layer.activation.forward(z)
            h = a + h if layer.residual else a
            out.append(h)
    return out


def neuron_maps(net: Network, pts: np.ndarray, size: int) -> list[np.ndarray]:
    """Per layer, an array (units, size, size): row r is the r-th y value, column c the c-th x."""
    return [a.T.reshape(a.shape[1], size, size) for a in layer_activations(net, pts)]


def centre_of(activation: str) -> float:
    """The neutral value an activation's map is coloured around (0.5 for sigmoid and softmax)."""
    return 0.5 if activation in ("sigmoid", "softmax") else 0.0
