"""Layer kinds: what each owns (parameter names, first values, file form, prediction).

A network is a list of these over its spec's layers; adding a kind means
one class here, not a kind check in every function of the network. A
dense layer also builds its part of the computational graph; a recurrent
layer's is unrolled in network.py together with the read-outs at every
time step (the walk's node names and order are part of what learners see).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from . import initializers, ops
from .spec import LayerSpec


class Layer(ABC):
    kind = ""

    def __init__(self, index: int, spec: LayerSpec, fan_in: int):
        self.index = index
        self.spec = spec
        self.fan_in = fan_in
        self.prefix = f"layers.{index}"

    def name(self, what: str) -> str:
        return f"{self.prefix}.{what}"

    @abstractmethod
    def create(self, seed: int, dtype) -> dict[str, np.ndarray]:
        """First values of the parameters, by name, in the file's order."""

    def running(self, dtype):  # noqa: ARG002 - only some kinds keep statistics
        """Statistics kept beside the parameters (batch norm), or None."""
        return None

    @property
    @abstractmethod
    def weight_name(self) -> str:
        """The weight the per-layer norms and health are about."""

    @property
    @abstractmethod
    def penalised(self) -> list[str]:
        """Parameters L1/L2 penalise (weights, not biases or norm parameters)."""

    @abstractmethod
    def to_dict(self, params: dict, running) -> dict:
        """The layer as the network file writes it."""

    @abstractmethod
    def predict(self, h: np.ndarray, params: dict, running) -> np.ndarray:
        """The layer's output in prediction mode."""

    def graph(self, x, params: dict, *, training: bool, rng, running) -> tuple[dict, Any]:  # noqa: ARG002
        """This layer's part of the computational graph for one batch."""
        # A recurrent layer's graph is unrolled through time by the network, step by step.
        raise TypeError(f"a {self.kind} layer has no graph of its own; the network unrolls it")

    def _bias(self, d: dict, params: dict) -> None:
        if self.spec.use_bias:
            d["bias"] = params[self.name("bias")].astype(float).tolist()
        else:
            d["use_bias"] = False

    def _first_weight(self, seed, dtype, rows, cols, given, stream=()):
        w = given if given is not None else initializers.initial_weight(
            self.spec.init, rows, cols, np.random.default_rng([seed, self.index, *stream]))
        return np.array(w, dtype=dtype)


class DenseLayer(Layer):
    """``z = x @ W + b`` → optional norm → activation → optional residual."""

    kind = "dense"

    def create(self, seed, dtype):
        s = self.spec
        params = {self.name("weight"): self._first_weight(seed, dtype, self.fan_in, s.units, s.weight)}
        if s.use_bias:
            params[self.name("bias")] = np.array(s.bias if s.bias is not None else np.zeros(s.units), dtype=dtype)
        if s.norm:
            params[self.name("gamma")] = np.array(s.gamma if s.gamma is not None else np.ones(s.units), dtype=dtype)
            params[self.name("beta")] = np.array(s.beta if s.beta is not None else np.zeros(s.units), dtype=dtype)
        return params

    def running(self, dtype):
        s = self.spec
        if s.norm != "batch":
            return None
        return {"mean": np.array(s.running_mean if s.running_mean is not None else np.zeros(s.units), dtype=dtype),
                "var": np.array(s.running_var if s.running_var is not None else np.ones(s.units), dtype=dtype)}

    @property
    def weight_name(self):
        return self.name("weight")

    @property
    def penalised(self):
        return [self.name("weight")]

    def to_dict(self, params, running):
        s = self.spec
        d: dict = {"units": s.units, "activation": s.activation.to_json(), "init": initializers.to_json(s.init),
                   "weight": params[self.name("weight")].astype(float).tolist()}
        self._bias(d, params)
        if s.norm:
            d["norm"] = s.norm
            d["gamma"] = params[self.name("gamma")].astype(float).tolist()
            d["beta"] = params[self.name("beta")].astype(float).tolist()
        if s.norm == "batch":
            d["running_mean"] = running["mean"].astype(float).tolist()
            d["running_var"] = running["var"].astype(float).tolist()
        if s.dropout:
            d["dropout"] = s.dropout
        if s.residual:
            d["residual"] = True
        return d

    def graph(self, x, params: dict, *, training: bool, rng, running):
        """This layer's nodes on input node ``x`` ({"input", "matmul", "sum", "norm", "act",
        "dropout", "residual", "output"} as present) and its logits (the node before the activation).

        ``params``: parameter leaves by name; ``running``: batch norm's statistics to
        read in prediction or update in training, None to leave them alone.
        """
        s, i = self.spec, self.index
        nodes = {"input": x}
        h = ops.matmul(x, params[self.name("weight")], name=self.name("matmul"), layer=i)
        nodes["matmul"] = h
        if s.use_bias:
            h = ops.add(h, params[self.name("bias")], name=self.name("sum"), layer=i)
            nodes["sum"] = h
        if s.norm == "batch":
            h = ops.batch_norm(h, params[self.name("gamma")], params[self.name("beta")],
                               training=training, running=running, name=self.name("norm"), layer=i)
            nodes["norm"] = h
        elif s.norm == "layer":
            h = ops.layer_norm(h, params[self.name("gamma")], params[self.name("beta")],
                               name=self.name("norm"), layer=i)
            nodes["norm"] = h
        logits = h
        a = ops.activation(h, s.activation, name=self.name("act"), layer=i)
        nodes["act"] = a
        if s.dropout and training:
            a = ops.dropout(a, s.dropout, rng, name=self.name("dropout"), layer=i)
            nodes["dropout"] = a
        if s.residual:
            a = ops.add(a, x, name=self.name("residual"), layer=i)
            nodes["residual"] = a
        nodes["output"] = a
        return nodes, logits

    def predict(self, h, params, running):
        """The layer's output in prediction mode (no dropout; batch norm on running statistics).

        Works on (samples, features) and on (samples, time, features) alike.
        """
        s = self.spec
        z = h @ params[self.name("weight")]
        if s.use_bias:
            z = z + params[self.name("bias")]
        if s.norm == "batch":
            z = (z - running["mean"]) / np.sqrt(running["var"] + ops.EPS)
            z = z * params[self.name("gamma")] + params[self.name("beta")]
        elif s.norm == "layer":
            z = (z - z.mean(axis=-1, keepdims=True)) / np.sqrt(z.var(axis=-1, keepdims=True) + ops.EPS)
            z = z * params[self.name("gamma")] + params[self.name("beta")]
        a = s.activation.forward(z)
        return a + h if s.residual else a


class RecurrentLayer(Layer):
    """``h_t = act(x_t·W_x + h_{t−1}·W_h + b)`` over a sequence."""

    kind = "recurrent"

    def create(self, seed, dtype):
        s = self.spec
        params = {self.name("weight_input"): self._first_weight(seed, dtype, self.fan_in, s.units, s.weight),
                  self.name("weight_hidden"): self._first_weight(seed, dtype, s.units, s.units, s.weight_hidden,
                                                                 stream=(1,))}
        if s.use_bias:
            params[self.name("bias")] = np.array(s.bias if s.bias is not None else np.zeros(s.units), dtype=dtype)
        return params

    @property
    def weight_name(self):
        # W_h: the weight gradients travel through time along.
        return self.name("weight_hidden")

    @property
    def penalised(self):
        return [self.name("weight_input"), self.name("weight_hidden")]

    def to_dict(self, params, running):  # noqa: ARG002 - no statistics
        s = self.spec
        d: dict = {"type": "recurrent", "units": s.units, "activation": s.activation.to_json(),
                   "init": initializers.to_json(s.init),
                   "weight_input": params[self.name("weight_input")].astype(float).tolist(),
                   "weight_hidden": params[self.name("weight_hidden")].astype(float).tolist()}
        self._bias(d, params)
        d["readout"] = s.readout
        if s.bptt:
            d["bptt"] = s.bptt
        return d

    def predict(self, x, params, running):  # noqa: ARG002 - no statistics
        """(samples, time, features) → every step's h, or the last one's (readout "last").

        The graph's arithmetic, step by step: (x_t W_x + h_{t−1} W_h) + b.
        """
        s = self.spec
        Wx, Wh = params[self.name("weight_input")], params[self.name("weight_hidden")]
        b = params[self.name("bias")] if s.use_bias else None
        n, steps, _ = x.shape
        h = np.zeros((n, s.units), dtype=x.dtype)
        hs = np.empty((n, steps, s.units), dtype=x.dtype)
        for t in range(steps):
            z = x[:, t, :] @ Wx + h @ Wh
            if b is not None:
                z = z + b
            h = s.activation.forward(z)
            hs[:, t, :] = h
        return hs if s.readout == "sequence" else h


KINDS = {"dense": DenseLayer, "recurrent": RecurrentLayer}


def make_layers(spec) -> list[Layer]:
    out, fan_in = [], spec.inputs
    for i, layer in enumerate(spec.layers):
        out.append(KINDS[layer.kind](i, layer, fan_in))
        fan_in = layer.units
    return out
