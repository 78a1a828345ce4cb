"""A feed-forward network built from a spec, as a computational graph per batch."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import ops
from .layers import make_layers
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
    layers: list[dict[str, Any]]     # a recurrent layer's entries are per-step lists
    input: Node
    target: Node | None

    @property
    def total(self) -> Node:
        """The loss node, for a pass built with targets."""
        assert self.loss is not None, "built without targets"
        return self.loss

    @property
    def data_term(self) -> Node:
        assert self.data_loss is not None, "built without targets"
        return self.data_loss

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
        self.layers = make_layers(spec)
        self.params: dict[str, np.ndarray] = {}
        for layer in self.layers:
            self.params.update(layer.create(spec.seed, self.dtype))
        # Batch-norm running statistics {"mean", "var"} per layer, None for other layers.
        self.running: list[Any] = [layer.running(self.dtype) for layer in self.layers]
        self._pack()
        # One weight per layer for the per-layer norms and health.
        self.weight_names = [layer.weight_name for layer in self.layers]
        # Weights (not biases, gamma, beta) are what L1/L2 penalise.
        self.penalised_names = [n for layer in self.layers for n in layer.penalised]

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
        layers = [layer.to_dict(self.params, self.running[i]) for i, layer in enumerate(self.layers)]
        out["layers"] = layers
        out.update({"loss": s.loss, "l1": s.l1, "l2": s.l2, "seed": s.seed})
        if self.recurrent:
            out["time_reduction"] = s.time_reduction
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
    def recurrent(self) -> bool:
        """Takes sequences (samples, time, features)."""
        return self.layers[0].takes_sequences

    @property
    def sequence_output(self) -> bool:
        """Gives an output (and takes a target) at every time step."""
        return self.recurrent and all(layer.keeps_time for layer in self.layers)

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
        if self.recurrent:
            if X.ndim == 2 and self.n_inputs == 1:
                X = X[:, :, None]
            if X.ndim != 3 or X.shape[2] != self.n_inputs or X.shape[1] == 0:
                raise SpecError(path, f"expected sequences of shape (samples, time, {self.n_inputs}), got {X.shape}")
        elif X.ndim == 1 and self.n_inputs == X.shape[0]:
            X = X.reshape(1, -1)
        if not self.recurrent and (X.ndim != 2 or X.shape[1] != self.n_inputs):
            raise SpecError(path, f"expected shape (samples, {self.n_inputs}), got {X.shape}")
        if X.shape[0] == 0:
            raise SpecError(path, "no samples")
        if not np.all(np.isfinite(X)):
            raise SpecError(path, "contains a value that is not a finite number")
        return X

    def check_targets(self, T, n: int, path="T", steps: int | None = None) -> np.ndarray:
        k = self.n_outputs
        if self.sequence_output:
            return self._check_sequence_targets(T, n, path, steps)
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
        check_targets_fit_loss(T, self.spec.loss, path)
        return T

    def _check_sequence_targets(self, T, n, path, steps):
        k = self.n_outputs
        try:
            T = np.asarray(T, dtype=self.dtype)
        except (TypeError, ValueError) as exc:
            raise SpecError(path, f"expected numbers ({exc})") from None
        if T.ndim == 2 and k == 1:
            T = T[:, :, None]
        if T.ndim != 3 or T.shape[0] != n or T.shape[2] != k or (steps is not None and T.shape[1] != steps):
            want = f"({n}, {steps if steps is not None else 'time'}, {k})"
            raise SpecError(path, f"expected a target at every time step, shape {want}, got {T.shape}")
        if not np.all(np.isfinite(T)):
            raise SpecError(path, "contains a value that is not a finite number")
        check_targets_fit_loss(T.reshape(-1, k), self.spec.loss, path)
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
                T = self.check_targets(T, X.shape[0], steps=X.shape[1] if self.recurrent else None)
        if self.recurrent:
            return self._build_sequence(X, T, training=training, topo=topo)
        spec = self.spec
        params = {name: leaf(PARAM, value, name) for name, value in self.params.items()}
        x = leaf(INPUT, X, "X")
        inp = x
        layers = []
        logits = None
        for i, layer in enumerate(self.layers):
            # Prediction reads batch norm's running statistics; training updates them
            # unless asked not to (gradient checks must not move them).
            running = self.running[i] if (update_stats or not training) else None
            if layer.spec.dropout and training and rng is None:
                rng = np.random.default_rng(spec.seed)
            nodes, logits = layer.graph(x, params, training=training, rng=rng, running=running)
            layers.append(nodes)
            x = nodes["output"]
        output = x
        loss = data_loss = target = None
        if T is not None:
            target = leaf(CONST, T, "T")
            fn = ops.LOSSES[spec.loss]
            pred = logits if spec.loss in ops.LOGIT_LOSSES else output
            data_loss = fn(pred, target, name="loss.data")
            terms = [data_loss]
            weights = [params[n] for n in self.penalised_names]
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
            if loss is not None and target is not None:
                order.append(target)
                order.extend(terms)
                if loss is not data_loss:
                    order.append(loss)
        return Pass(order, output, loss, data_loss, params, layers, inp, target)

    def _build_sequence(self, X, T, *, training: bool, topo: bool) -> Pass:  # noqa: ARG002
        """The network unrolled over time: the inputs split into steps, each layer unrolled over them.

        Parameters appear once, used at every step (a recurrent layer's W_x, W_h, b).
        """
        spec = self.spec
        created: list[Node] = []

        def keep(node):
            created.append(node)
            return node
        params = {name: keep(leaf(PARAM, value, name)) for name, value in self.params.items()}
        steps = X.shape[1]
        inp = keep(leaf(INPUT, X, "X"))
        xs = [keep(leaf(INPUT, X[:, t, :], f"X.t{t + 1}")) for t in range(steps)]
        seq: Any = xs       # the current sequence of per-step nodes (or one node after a last read-out)
        layers = []
        logits: Any = None
        for layer in self.layers:
            nodes, logits = layer.unroll(seq, params, keep)
            layers.append(nodes)
            seq = nodes["output"]
        outputs = seq if isinstance(seq, list) else [seq]
        loss = data_loss = target = None
        terms = []
        if T is not None:
            target = keep(leaf(CONST, T, "T"))
            fn = ops.LOSSES[spec.loss]
            preds = logits if spec.loss in ops.LOGIT_LOSSES else seq
            if isinstance(seq, list):
                step_losses = [keep(fn(pr, keep(leaf(CONST, T[:, t, :], f"T.t{t + 1}")), name=f"loss.t{t + 1}"))
                               for t, pr in enumerate(preds)]
                total = keep(ops.add_scalars(step_losses, name="loss.steps")) if len(step_losses) > 1 else step_losses[0]
                if spec.time_reduction == "mean" and len(step_losses) > 1:
                    scale = keep(leaf(CONST, np.asarray(1.0 / len(step_losses), dtype=self.dtype), "1/steps"))
                    data_loss = keep(ops.mul(total, scale, name="loss.data"))
                else:
                    data_loss = total
                    data_loss.name = "loss.data"
            else:
                data_loss = keep(fn(preds, target, name="loss.data"))
            terms = [data_loss]
            weights = [params[n] for n in self.penalised_names]
            if spec.l1:
                terms.append(keep(ops.l1_penalty(weights, spec.l1, name="loss.l1")))
            if spec.l2:
                terms.append(keep(ops.l2_penalty(weights, spec.l2, name="loss.l2")))
            loss = keep(ops.add_scalars(terms, name="loss")) if len(terms) > 1 else data_loss
        if len(outputs) > 1:
            output = Node("stack", list(outputs), np.stack([o.value for o in outputs], axis=1), name="output",
                          needs_grad=False)
        else:
            output = outputs[0]
        # Creation order is topological and goes through time step by step, which is
        # the order a learner walks (a depth-first order would start at the last step).
        order = created
        return Pass(order, output, loss, data_loss, params, layers, inp, target)

    def predict(self, X) -> np.ndarray:
        """Outputs in prediction mode (no dropout; batch norm on running statistics)."""
        X = self.check_inputs(X)
        h = X
        for layer, running in zip(self.layers, self.running):
            h = layer.predict(h, self.params, running)
        if h.ndim == 3 and h.shape[1] == 1:
            h = h[:, 0, :]          # one time step: one output per sample, as the graph gives it
        return h

    def layer_outputs(self, X) -> list[np.ndarray]:
        """Every dense layer's output in prediction mode, first to last."""
        if self.recurrent:
            raise ValueError("a recurrent network has no single output per layer")
        X = self.check_inputs(X)
        out, h = [], X
        for layer, running in zip(self.layers, self.running):
            h = layer.predict(h, self.params, running)
            out.append(h)
        return out

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
        assert result.loss is not None      # targets given
        return float(result.loss.value)


def check_targets_fit_loss(T: np.ndarray, loss: str, path: str = "T") -> None:
    """Targets a loss can learn: a loss of −353,879 on targets 0…999 is no result."""
    def first_bad(mask) -> int:
        return int(np.argwhere(mask)[0][0])
    if loss == "binary_cross_entropy":
        bad = (T < 0) | (T > 1)
        if bad.any():
            row = first_bad(bad)
            raise SpecError(f"{path}[{row}]", f"binary cross-entropy needs targets from 0 to 1, got "
                                              f"{T[row].tolist()[:4]} (scale the targets, or use mse)")
    elif loss == "cross_entropy":
        bad = (T < 0).any(axis=1) | (np.abs(T.sum(axis=1) - 1) > 1e-6)
        if bad.any():
            row = first_bad(bad)
            raise SpecError(f"{path}[{row}]", "cross-entropy needs a class number or a one-hot row "
                                              f"(probabilities summing to 1), got {T[row].tolist()[:4]}")
    elif loss == "hinge":
        bad = ~np.isin(T, (-1, 1))
        if bad.any():
            row = first_bad(bad)
            raise SpecError(f"{path}[{row}]", f"hinge loss needs targets of −1 or +1, got {T[row].tolist()[:4]}")
