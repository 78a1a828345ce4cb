"""Layer kinds: what each owns (parameter names, first values, file form,
its part of the computational graph, prediction, PyTorch export).

A network is a list of these over its spec's layers; adding a kind means
one class here, not a kind check in every function of the network.

The PyTorch export is plain text and names here (the module source is in
torch_modules.py): the engine stays NumPy and stdlib only, and everything
about a kind stays in its class, while session/torch_script.py only lays
out the script. A table keyed by class on the session side would split
each kind over two packages again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable

import numpy as np

from . import initializers, ops, torch_modules
from .graph import CONST, Node, leaf
from .spec import LayerSpec

# A node's way into the graph being unrolled: it records the node in creation
# order (the order a learner walks through time) and hands it back.
Keep = Callable[[Node], Node]


class Layer(ABC):
    kind = ""
    # Takes sequences (samples, time, features) as the first layer of a network.
    takes_sequences = False
    # The file keys of the weights an initialiser draws, the one from the layer's input first;
    # L1 and L2 penalise these (not biases or norm parameters).
    weight_keys: tuple[str, ...] = ()
    # The settings "Apply to all hidden layers" copies between layers of this kind.
    shared_options: tuple[str, ...] = ()
    # The PyTorch module class this kind is exported as: its name and source text.
    torch_class = ""
    torch_module = ""

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
    def penalised(self) -> list[str]:
        """Parameters L1/L2 penalise (weights, not biases or norm parameters)."""
        return [self.name(key) for key in self.weight_keys]

    @abstractmethod
    def to_dict(self, params: dict, running) -> dict:
        """The layer as the network file writes it."""

    @abstractmethod
    def predict(self, h: np.ndarray, params: dict, running) -> np.ndarray:
        """The layer's output in prediction mode."""

    @abstractmethod
    def forward(self, h: np.ndarray, params: dict, running) -> tuple[np.ndarray, np.ndarray]:
        """(output, pre-activation) in prediction mode, for metrics: the losses that
        include their own softmax or sigmoid start from the pre-activation."""

    @property
    def keeps_time(self) -> bool:
        """Passes on one output per time step (rather than only the last step's)."""
        return True

    @property
    @abstractmethod
    def parameter_names(self) -> list[str]:
        """This layer's parameters, in the file's (and the flat array's) order."""

    def graph(self, x, params: dict, *, training: bool, rng, running) -> tuple[dict, Any]:  # noqa: ARG002
        """This layer's part of the computational graph for one batch of samples (no time axis)."""
        raise TypeError(f"a {self.kind} layer works on sequences only; the network unrolls it")

    @abstractmethod
    def unroll(self, seq, params: dict, keep: Keep) -> tuple[dict, Any]:
        """This layer's part of the graph unrolled over time, and its pre-activations.

        ``seq``: the previous layer's output, one node per time step (a list),
        or one node when a layer before read out only the last step.
        ``keep`` records each node as it is made. The nodes dict has
        "input", "sum", "act" (the last step's), "steps" (every step's output)
        and "output" (what the next layer gets: ``seq``'s form, or the last step).
        """

    # -- the PyTorch export ------------------------------------------------------
    @abstractmethod
    def torch_arguments(self) -> list[str]:
        """The arguments of this layer's module in train.py, as source text."""

    def torch_layer(self) -> str:
        """The source of this layer's module, e.g. ``Dense(2, 8, 'tanh')``."""
        return f"{self.torch_class}({', '.join(self.torch_arguments())})"

    @property
    def statistics(self) -> dict[str, str]:
        """Statistics the PyTorch module keeps as buffers: name suffix → key in ``running``."""
        return {}

    def torch_state(self, params: dict, running) -> dict[str, np.ndarray]:
        """Every tensor this layer's PyTorch module holds, by its state-dict name.

        The module's attributes carry the app's names (``weight``, ``bias`` ...)
        and Net holds its modules as ``layers``, so ``layers.{i}.weight`` is
        the same name on both sides: parameters first, then statistics.
        """
        out = {name: params[name] for name in self.parameter_names}
        for suffix, key in self.statistics.items():
            out[self.name(suffix)] = running[key]
        return out

    def _torch_common(self) -> list[str]:
        args = [str(self.fan_in), str(self.spec.units), _activation_args(self.spec.activation)]
        if not self.spec.use_bias:
            args.append("bias=False")
        return args

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
    weight_keys = ("weight",)
    shared_options = ("activation", "init", "norm", "dropout")
    torch_class = "Dense"
    torch_module = torch_modules.DENSE

    @property
    def parameter_names(self):
        s = self.spec
        return ([self.name("weight")] + ([self.name("bias")] if s.use_bias else [])
                + ([self.name("gamma"), self.name("beta")] if s.norm else []))

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

    def unroll(self, seq, params, keep):
        """At every time step of ``seq`` (tagged ``layers.{i}.t{k}``), or once on its single node.

        Normalisation, dropout and residual connections are not applied over
        time: the spec refuses them after a recurrent layer.
        """
        s, i, p = self.spec, self.index, self.prefix
        per_step = isinstance(seq, list)
        W, b = params[self.name("weight")], (params[self.name("bias")] if s.use_bias else None)
        outs, zs = [], []
        for t, x_t in enumerate(seq if per_step else [seq]):
            tag = f"{p}.t{t + 1}" if per_step else p
            z = keep(ops.matmul(x_t, W, name=f"{tag}.matmul", layer=i))
            if b is not None:
                z = keep(ops.add(z, b, name=f"{tag}.sum", layer=i))
            zs.append(z)
            outs.append(keep(ops.activation(z, s.activation, name=f"{tag}.act", layer=i)))
        nodes = {"input": seq, "sum": zs[-1], "act": outs[-1], "steps": outs,
                 "output": outs if per_step else outs[0]}
        return nodes, (zs if per_step else zs[0])

    def torch_arguments(self):
        s = self.spec
        args = self._torch_common()
        if s.norm:
            args.append(f"norm={s.norm!r}")
        if s.dropout:
            args.append(f"dropout={s.dropout!r}")
        if s.residual:
            args.append("residual=True")
        return args

    @property
    def statistics(self):
        return {"running_mean": "mean", "running_var": "var"} if self.spec.norm == "batch" else {}

    def predict(self, h, params, running):
        """The layer's output in prediction mode (no dropout; batch norm on running statistics).

        Works on (samples, features) and on (samples, time, features) alike.
        """
        return self.forward(h, params, running)[0]

    def forward(self, h, params, running):
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
        return (a + h if s.residual else a), z


class RecurrentLayer(Layer):
    """``h_t = act(x_t·W_x + h_{t−1}·W_h + b)`` over a sequence."""

    kind = "recurrent"
    takes_sequences = True
    weight_keys = ("weight_input", "weight_hidden")
    shared_options = ("activation", "init")
    torch_class = "Recurrent"
    torch_module = torch_modules.RECURRENT

    @property
    def keeps_time(self):
        return self.spec.readout == "sequence"

    @property
    def parameter_names(self):
        return ([self.name("weight_input"), self.name("weight_hidden")]
                + ([self.name("bias")] if self.spec.use_bias else []))

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

    def unroll(self, seq, params, keep):
        """W_x, W_h and b appear once, used at every step: ``(x_t·W_x + h_{t−1}·W_h) + b``,
        tagged ``layers.{i}.t{k}``, from ``h0 = 0``."""
        s, i, p = self.spec, self.index, self.prefix
        Wx, Wh = params[self.name("weight_input")], params[self.name("weight_hidden")]
        b = params[self.name("bias")] if s.use_bias else None
        h_prev = keep(leaf(CONST, np.zeros((seq[0].value.shape[0], s.units), dtype=Wh.value.dtype),
                           self.name("h0")))
        hs, zs = [], []
        for t, x_t in enumerate(seq):
            tag = f"{p}.t{t + 1}"
            if s.bptt and t > 0 and t % s.bptt == 0:
                # Truncated BPTT: the carried state is a constant here, so the
                # gradient does not travel back past this step.
                h_prev = keep(leaf(CONST, h_prev.value, f"{tag}.h_in"))
            z = keep(ops.add(keep(ops.matmul(x_t, Wx, name=f"{tag}.xw", layer=i)),
                             keep(ops.matmul(h_prev, Wh, name=f"{tag}.hw", layer=i)),
                             name=f"{tag}.xw+hw", layer=i))
            if b is not None:
                z = keep(ops.add(z, b, name=f"{tag}.sum", layer=i))
            h = keep(ops.activation(z, s.activation, name=f"{tag}.act", layer=i))
            hs.append(h)
            zs.append(z)
            h_prev = h
        nodes = {"input": seq, "sum": zs[-1], "act": hs[-1], "steps": hs, "hidden": hs,
                 "output": hs if self.keeps_time else hs[-1]}
        return nodes, (zs if self.keeps_time else zs[-1])

    def torch_arguments(self):
        s = self.spec
        args = self._torch_common()
        if s.readout != "sequence":
            args.append(f"readout={s.readout!r}")
        if s.bptt:
            args.append(f"bptt={s.bptt}")
        return args

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

    def forward(self, x, params, running):  # noqa: ARG002 - no statistics
        """:meth:`predict` with one matmul for every step's input projection (only the
        carried state is sequential), and the last step's pre-activation.

        Only the last step's: a dense read-out always follows (the spec wants one), and
        only the network's last pre-activation is read, so the others are not kept.
        """
        s = self.spec
        Wh = params[self.name("weight_hidden")]
        b = params[self.name("bias")] if s.use_bias else None
        xw = x @ params[self.name("weight_input")]
        h = np.zeros((x.shape[0], s.units), dtype=xw.dtype)
        hs = np.empty_like(xw)
        z = h
        for t in range(xw.shape[1]):
            z = xw[:, t, :] + h @ Wh
            if b is not None:
                z = z + b
            h = s.activation.forward(z)
            hs[:, t, :] = h
        return (hs if self.keeps_time else h), z


def _activation_args(act) -> str:
    if not act.params:
        return repr(act.name)
    params = ", ".join(f"{k}={v!r}" for k, v in act.params.items())
    return f"{act.name!r}, dict({params})"


KINDS = {"dense": DenseLayer, "recurrent": RecurrentLayer}


def kind_of(layer: dict) -> type[Layer]:
    """The class of a layer in a network file's (validated) form."""
    return KINDS[layer.get("type", "dense")]


def make_layers(spec) -> list[Layer]:
    out, fan_in = [], spec.inputs
    for i, layer in enumerate(spec.layers):
        out.append(KINDS[layer.kind](i, layer, fan_in))
        fan_in = layer.units
    return out
