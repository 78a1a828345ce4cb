"""What the health diagnosis and the distribution plots read of the last training step.

Per layer: the activation outputs (saturated or dead units), the
pre-activations, the raw weight gradient and, for a recurrent layer,
‖∂E/∂h_t‖ for every time step. Made either from a graph (:class:`Pass`)
or straight from a compiled tape's buffers, so a live run's snapshots do
not rebuild the step's graph just to read these numbers back.

The tape's arrays are its own buffers: a :class:`StepStats` made from a
tape is valid until the next step, and is read at once (a snapshot copies
what it keeps).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class StepStats:
    outputs: list = field(default_factory=list)         # per layer: the activation's output (last time step)
    preacts: list = field(default_factory=list)         # per layer: what goes into the activation
    weight_grads: list = field(default_factory=list)    # per layer: ∂E/∂W before clipping (None: none)
    time_grads: list = field(default_factory=list)      # per layer: ‖∂E/∂h_t‖, t = 1…T ([] if not recurrent)


def from_pass(net, last_pass) -> StepStats | None:
    """The statistics of a graph whose backward pass has run."""
    if last_pass is None:
        return None
    stats = StepStats()
    for i, nodes in enumerate(last_pass.layers):
        stats.outputs.append(nodes["act"].value)
        z = nodes.get("norm") or nodes.get("sum") or nodes["matmul"]
        stats.preacts.append(z.value)
        name = net.weight_names[i] if i < len(net.weight_names) else None
        param = last_pass.params.get(name) if name else None
        stats.weight_grads.append(None if param is None else param.grad)
        hidden = nodes.get("hidden")
        stats.time_grads.append([] if not hidden else
                                [l2_norm(h.grad) if h.grad is not None else 0.0 for h in hidden])
    return stats


def from_tape(net, tape, raw_grad: np.ndarray) -> StepStats:
    """The statistics of a compiled step, read from its buffers; ``raw_grad``: the flat gradient before clipping."""
    stats = StepStats()
    offsets, offset = {}, 0
    for name, p in net.params.items():
        offsets[name] = (offset, p.shape)
        offset += p.size

    def weight_grad(i):
        start, shape = offsets[net.weight_names[i]]
        return raw_grad[start:start + int(np.prod(shape))].reshape(shape)

    if getattr(tape, "steps", None) is None:      # a dense tape
        for i, L in enumerate(tape.layers):
            stats.outputs.append(L.a)
            stats.preacts.append(L.z)
            stats.weight_grads.append(weight_grad(i))
            stats.time_grads.append([])
        return stats
    steps, n = tape.steps, tape.n
    stats.outputs.append(tape.Hs[steps])
    stats.preacts.append(tape.Z[steps - 1])
    stats.weight_grads.append(weight_grad(0))
    C = tape.carried
    stats.time_grads.append(np.sqrt(np.einsum("tij,tij->t", C, C)).tolist())
    for i, L in enumerate(tape.dense, start=1):
        # Rows are time-major under a sequence read-out: the graph's nodes are the last step's.
        last = slice((steps - 1) * n, None) if tape.sequence else slice(None)
        stats.outputs.append(L.a[last])
        stats.preacts.append(L.z[last])
        stats.weight_grads.append(weight_grad(i))
        stats.time_grads.append([])
    return stats


def l2_norm(g) -> float:
    return float(np.sqrt(np.sum(g * g)))
