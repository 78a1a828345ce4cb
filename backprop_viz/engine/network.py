"""A feed-forward network built from a spec, as a computational graph per batch."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from . import initializers, ops
from .errors import SpecError
from .graph import CONST, INPUT, PARAM, Node, backward, leaf, toposort
from .spec import DTYPES, FORMAT, VERSION, NetworkSpec, parse_spec


@dataclass
class Pass:
    """One built graph: its nodes in topological order and the named ones."""

    order: list[Node]
    output: Node
    loss: Node | None
    data_loss: Node | None
    params: dict[str, Node]
    layers: list[dict[str, Node]]
    input: Node
    target: Node | None

    def first_nonfinite(self) -> tuple[str, Node] | None:
        """("forward" | "backward", node) of the first non-finite value or gradient."""
        for node in self.order:
            if not np.all(np.isfinite(node.value)):
                return "forward", node
        for node in reversed(self.order):
            if node.grad is not None and not np.all(np.isfinite(node.grad)):
                return "backward", node
        return None


class Network:
    """Layers ``z = x @ W + b`` → optional norm → activation → optional residual."""

    def __init__(self, spec: NetworkSpec):
        self.spec = spec
        self.dtype = DTYPES[spec.dtype]
        self.params: dict[str, np.ndarray] = {}
        self.running: list[dict | None] = []
        fan_in = spec.inputs
        for i, layer in enumerate(spec.layers):
            rng = np.random.default_rng([spec.seed, i])
            w = layer.weight if layer.weight is not None else initializers.initial_weight(
                layer.init, fan_in, layer.units, rng)
            self.params[f"layers.{i}.weight"] = np.array(w, dtype=self.dtype)
            if layer.use_bias:
                b = layer.bias if layer.bias is not None else np.zeros(layer.units)
                self.params[f"layers.{i}.bias"] = np.array(b, dtype=self.dtype)
            if layer.norm:
                g = layer.gamma if layer.gamma is not None else np.ones(layer.units)
                bt = layer.beta if layer.beta is not None else np.zeros(layer.units)
                self.params[f"layers.{i}.gamma"] = np.array(g, dtype=self.dtype)
                self.params[f"layers.{i}.beta"] = np.array(bt, dtype=self.dtype)
            if layer.norm == "batch":
                rm = layer.running_mean if layer.running_mean is not None else np.zeros(layer.units)
                rv = layer.running_var if layer.running_var is not None else np.ones(layer.units)
                self.running.append({"mean": np.array(rm, dtype=self.dtype),
                                     "var": np.array(rv, dtype=self.dtype)})
            else:
                self.running.append(None)
            fan_in = layer.units
        self._pack()
        # Weights (not biases, gamma, beta) are what L1/L2 penalise.
        self.weight_names = [f"layers.{i}.weight" for i in range(len(spec.layers))]

    def _pack(self) -> None:
        # All parameters are views into one flat buffer, so an elementwise
        # optimizer updates every parameter with a handful of NumPy calls:
        # for small networks per-call overhead, not arithmetic, sets the speed.
        total = sum(p.size for p in self.params.values())
        self.flat = np.empty(total, dtype=self.dtype)
        offset = 0
        for name, p in self.params.items():
            view = self.flat[offset:offset + p.size].reshape(p.shape)
            view[...] = p
            self.params[name] = view
            offset += p.size

    def flat_gradient(self, grads: dict) -> np.ndarray:
        """Gradients in the order and layout of :attr:`flat`."""
        return np.concatenate([grads[name].reshape(-1) for name in self.params])

    # -- construction and files ---------------------------------------------
    @classmethod
    def from_dict(cls, d, dtype=None) -> "Network":
        spec = parse_spec(d)
        if dtype is not None:
            name = np.dtype(dtype).name
            if name not in DTYPES:
                raise SpecError("dtype", f"unknown {name!r} (expected float64 or float32)")
            spec.dtype = name
        return cls(spec)

    def to_dict(self) -> dict:
        s = self.spec
        out: dict = {"format": FORMAT, "version": VERSION}
        if s.name:
            out["name"] = s.name
        if s.description:
            out["description"] = s.description
        out["inputs"] = s.inputs
        layers = []
        for i, layer in enumerate(s.layers):
            d: dict = {"units": layer.units, "activation": layer.activation.to_json(),
                       "init": initializers.to_json(layer.init)}
            d["weight"] = self.params[f"layers.{i}.weight"].astype(float).tolist()
            if layer.use_bias:
                d["bias"] = self.params[f"layers.{i}.bias"].astype(float).tolist()
            else:
                d["use_bias"] = False
            if layer.norm:
                d["norm"] = layer.norm
                d["gamma"] = self.params[f"layers.{i}.gamma"].astype(float).tolist()
                d["beta"] = self.params[f"layers.{i}.beta"].astype(float).tolist()
            if layer.norm == "batch":
                d["running_mean"] = self.running[i]["mean"].astype(float).tolist()
                d["running_var"] = self.running[i]["var"].astype(float).tolist()
            if layer.dropout:
                d["dropout"] = layer.dropout
            if layer.residual:
                d["residual"] = True
            layers.append(d)
        out["layers"] = layers
        out.update({"loss": s.loss, "l1": s.l1, "l2": s.l2, "seed": s.seed})
        if s.dtype != "float64":
            out["dtype"] = s.dtype
        return out

    def copy(self) -> "Network":
        """An independent network with the same spec, weights and statistics."""
        twin = Network(copy.deepcopy(self.spec))
        twin.flat[...] = self.flat
        twin.running = copy.deepcopy(self.running)
        return twin

    def __deepcopy__(self, memo):
        return self.copy()

    # -- shape facts -----------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.spec.inputs

    @property
    def n_outputs(self) -> int:
        return self.spec.layers[-1].units

    @property
    def sizes(self) -> list[int]:
        return [self.spec.inputs] + [layer.units for layer in self.spec.layers]

    def parameters(self) -> dict[str, np.ndarray]:
        """The live parameter arrays, by name (``layers.{i}.weight`` …)."""
        return self.params

    def set_parameter(self, name: str, value) -> None:
        """Replace a parameter's values (same shape), e.g. a weight typed by hand."""
        if name not in self.params:
            raise SpecError(name, "no such parameter")
        arr = np.asarray(value, dtype=self.dtype)
        if arr.shape != self.params[name].shape:
            raise SpecError(name, f"expected shape {self.params[name].shape}, got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise SpecError(name, "values must be finite numbers")
        self.params[name][...] = arr

    # -- data checks -------------------------------------------------------------
    def check_inputs(self, X, path="X") -> np.ndarray:
        try:
            X = np.asarray(X, dtype=self.dtype)
        except (TypeError, ValueError) as exc:
            raise SpecError(path, f"expected numbers ({exc})") from None
        if X.ndim == 1 and self.n_inputs == X.shape[0]:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise SpecError(path, f"expected shape (samples, {self.n_inputs}), got {X.shape}")
        if X.shape[0] == 0:
            raise SpecError(path, "no samples")
        if not np.all(np.isfinite(X)):
            raise SpecError(path, "contains a value that is not a finite number")
        return X

    def check_targets(self, T, n: int, path="T") -> np.ndarray:
        k = self.n_outputs
        try:
            T = np.asarray(T)
        except (TypeError, ValueError) as exc:
            raise SpecError(path, f"expected numbers ({exc})") from None
        if self.spec.loss == "cross_entropy" and (T.ndim == 1 or (T.ndim == 2 and T.shape[1] == 1 and k > 1)):
            labels = T.reshape(-1)
            if not np.all(np.isfinite(labels.astype(float))) or np.any(labels != np.round(labels)):
                raise SpecError(path, "class labels must be whole numbers")
            labels = labels.astype(int)
            if labels.min() < 0 or labels.max() >= k:
                raise SpecError(path, f"class labels must be in 0..{k - 1}, got {labels.min()}..{labels.max()}")
            T = np.eye(k, dtype=self.dtype)[labels]
        else:
            T = np.asarray(T, dtype=self.dtype)
            if T.ndim == 1 and k == 1:
                T = T.reshape(-1, 1)
            elif T.ndim == 1 and T.shape[0] == k and n == 1:
                T = T.reshape(1, -1)
        if T.ndim != 2 or T.shape != (n, k):
            raise SpecError(path, f"expected shape ({n}, {k}), got {T.shape}")
        if not np.all(np.isfinite(T)):
            raise SpecError(path, "contains a value that is not a finite number")
        if self.spec.loss == "hinge" and not np.all(np.isin(T, (-1, 1))):
            raise SpecError(path, "hinge loss needs targets of −1 or +1")
        return T

    # -- the graph -----------------------------------------------------------------
    def build(self, X, T=None, *, training=True, rng=None, update_stats=True,
              checked=False, topo=True) -> Pass:
        """Build the graph for a batch: forward values are computed as it is built.

        ``topo=True`` orders the nodes by a depth-first walk from the loss, the
        order a learner steps through; ``topo=False`` uses creation order (also
        topological, and free), which is all a training step needs.
        """
        if not checked:
            X = self.check_inputs(X)
            if T is not None:
                T = self.check_targets(T, X.shape[0])
        spec = self.spec
        params = {name: leaf(PARAM, value, name) for name, value in self.params.items()}
        x = leaf(INPUT, X, "X")
        inp = x
        layers = []
        logits = None
        for i, layer in enumerate(spec.layers):
            p = f"layers.{i}"
            nodes = {"input": x}
            h = ops.matmul(x, params[f"{p}.weight"], name=f"{p}.matmul", layer=i)
            nodes["matmul"] = h
            if layer.use_bias:
                h = ops.add(h, params[f"{p}.bias"], name=f"{p}.sum", layer=i)
                nodes["sum"] = h
            if layer.norm == "batch":
                # Prediction reads the running statistics; training updates them
                # unless asked not to (gradient checks must not move them).
                running = self.running[i] if (update_stats or not training) else None
                h = ops.batch_norm(h, params[f"{p}.gamma"], params[f"{p}.beta"],
                                   training=training, running=running, name=f"{p}.norm", layer=i)
                nodes["norm"] = h
            elif layer.norm == "layer":
                h = ops.layer_norm(h, params[f"{p}.gamma"], params[f"{p}.beta"], name=f"{p}.norm",
                                   layer=i)
                nodes["norm"] = h
            logits = h
            a = ops.activation(h, layer.activation, name=f"{p}.act", layer=i)
            nodes["act"] = a
            if layer.dropout and training:
                if rng is None:
                    rng = np.random.default_rng(spec.seed)
                a = ops.dropout(a, layer.dropout, rng, name=f"{p}.dropout", layer=i)
                nodes["dropout"] = a
            if layer.residual:
                a = ops.add(a, x, name=f"{p}.residual", layer=i)
                nodes["residual"] = a
            nodes["output"] = a
            layers.append(nodes)
            x = a
        output = x
        loss = data_loss = target = None
        if T is not None:
            target = leaf(CONST, T, "T")
            fn = ops.LOSSES[spec.loss]
            pred = logits if spec.loss in ops.LOGIT_LOSSES else output
            data_loss = fn(pred, target, name="loss.data")
            terms = [data_loss]
            weights = [params[n] for n in self.weight_names]
            if spec.l1:
                terms.append(ops.l1_penalty(weights, spec.l1, name="loss.l1"))
            if spec.l2:
                terms.append(ops.l2_penalty(weights, spec.l2, name="loss.l2"))
            loss = ops.add_scalars(terms, name="loss") if len(terms) > 1 else data_loss
        root = loss if loss is not None else output
        if topo:
            # The output first, so a prediction not on the loss path (softmax
            # beside a cross-entropy computed from logits) is still shown.
            order = toposort(output, root) if loss is not None else toposort(output)
        else:
            order = [inp, *params.values()]
            for nodes in layers:
                order.extend(n for key, n in nodes.items() if key not in ("input", "output"))
            if loss is not None:
                order.append(target)
                order.extend(terms)
                if loss is not data_loss:
                    order.append(loss)
        return Pass(order, output, loss, data_loss, params, layers, inp, target)

    def predict(self, X) -> np.ndarray:
        """Outputs in prediction mode (no dropout; batch norm on running statistics)."""
        X = self.check_inputs(X)
        h = X
        for i, layer in enumerate(self.spec.layers):
            p = f"layers.{i}"
            z = h @ self.params[f"{p}.weight"]
            if layer.use_bias:
                z = z + self.params[f"{p}.bias"]
            if layer.norm == "batch":
                r = self.running[i]
                z = (z - r["mean"]) / np.sqrt(r["var"] + ops.EPS)
                z = z * self.params[f"{p}.gamma"] + self.params[f"{p}.beta"]
            elif layer.norm == "layer":
                z = (z - z.mean(axis=1, keepdims=True)) / np.sqrt(z.var(axis=1, keepdims=True) + ops.EPS)
                z = z * self.params[f"{p}.gamma"] + self.params[f"{p}.beta"]
            a = layer.activation.forward(z)
            h = a + h if layer.residual else a
        return h

    def loss_and_gradients(self, X, T, rng=None, *, update_stats=True):
        """(loss, {name: gradient}) in training mode, the loss including penalties."""
        result = self.build(X, T, training=True, rng=rng, update_stats=update_stats, topo=False)
        backward(result.order)
        grads = {name: (node.grad if node.grad is not None else np.zeros_like(node.value))
                 for name, node in result.params.items()}
        return float(result.loss.value), grads

    def loss(self, X, T) -> float:
        """Loss in prediction mode (validation), penalties included."""
        result = self.build(X, T, training=False)
        return float(result.loss.value)
