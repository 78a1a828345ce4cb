"""What each neuron has learned: its activation over the input plane.

For a network with two inputs, every hidden neuron (and the output) computes
a function of the plane; drawn as a small heatmap in the neuron's circle it
shows the feature the neuron detects (a line for the first layer, curves
and regions deeper in). Prediction mode, as ``Network.predict``.
"""

from __future__ import annotations

import numpy as np

from .network import Network


def layer_activations(net: Network, X: np.ndarray) -> list[np.ndarray]:
    """Each layer's output (after the activation, and the skip sum if any) for inputs X."""
    with np.errstate(all="ignore"):
        return net.layer_outputs(X)


def neuron_maps(net: Network, pts: np.ndarray, size: int) -> list[np.ndarray]:
    """Per layer, an array (units, size, size): row r is the r-th y value, column c the c-th x."""
    return [a.T.reshape(a.shape[1], size, size) for a in layer_activations(net, pts)]


def centre_of(activation: str) -> float:
    """The neutral value an activation's map is coloured around (0.5 for sigmoid and softmax)."""
    return 0.5 if activation in ("sigmoid", "softmax") else 0.0
