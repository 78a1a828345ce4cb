"""Central finite differences against backpropagation, per parameter."""

from __future__ import annotations

import numpy as np

from .errors import SpecError
from .fields import is_number
from .network import Network

DEFAULT_TOLERANCE = 1e-5
SCALE_FLOOR = 1e-4


def _loss(net: Network, X, T, seed: int) -> float:
    # The same dropout mask for every evaluation, and running statistics left
    # alone, so the loss is one deterministic function of the parameters.
    result = net.build(X, T, training=True, rng=np.random.default_rng(seed),
                       update_stats=False, checked=True, topo=False)
    assert result.loss is not None      # targets given
    return float(result.loss.value)


def gradient_check(net: Network, X, T, eps: float = 1e-6, names=None, seed: int = 0,
                   max_elements: int | None = None) -> list[dict]:
    """For each parameter: backprop gradient, numeric estimate and relative error.

    The check runs on a float64 copy of the network (with truncated
    backpropagation through time switched off). The relative error of a
    parameter is ‖analytic − numeric‖ / max(‖analytic‖ + ‖numeric‖, 1e-4): a
    central difference cannot resolve much below 1e-10 (rounding of the loss
    divided by 2·eps), so gradients smaller than 1e-4 are compared absolutely;
    ``max_elements`` limits how many elements of each parameter are probed.
    """
    if not is_number(eps) or eps <= 0 or eps > 1:
        raise SpecError("--eps", f"the finite-difference step must be a number in (0, 1], got {eps!r}")
    work = net.copy()
    for layer in work.spec.layers:
        # Truncated BPTT is an approximation by design: check the full gradient.
        layer.bptt = None
    if work.dtype != np.float64:
        work.spec.dtype = "float64"
        src = work.flat.astype(np.float64)
        work.dtype = np.float64
        work.params = {k: v.astype(np.float64) for k, v in work.params.items()}
        work._pack()
        work.flat[...] = src
        work.running = [None if r is None else {k: v.astype(np.float64) for k, v in r.items()}
                        for r in work.running]
    X = work.check_inputs(X)
    T = work.check_targets(T, X.shape[0])
    result = work.build(X, T, training=True, rng=np.random.default_rng(seed), update_stats=False,
                        checked=True, topo=False)
    from .graph import backward
    backward(result.order)
    report = []
    for name, node in result.params.items():
        if names is not None and name not in names:
            continue
        p = work.params[name]
        analytic = node.grad if node.grad is not None else np.zeros_like(p)
        flat_p = p.reshape(-1)
        count = flat_p.size if max_elements is None else min(flat_p.size, max_elements)
        numeric = np.zeros(count)
        for i in range(count):
            old = flat_p[i]
            flat_p[i] = old + eps
            up = _loss(work, X, T, seed)
            flat_p[i] = old - eps
            down = _loss(work, X, T, seed)
            flat_p[i] = old
            numeric[i] = (up - down) / (2 * eps)
        a = analytic.reshape(-1)[:count]
        diff = np.linalg.norm(a - numeric)
        scale = max(float(np.linalg.norm(a) + np.linalg.norm(numeric)), SCALE_FLOOR)
        report.append({"name": name, "analytic": a.copy(), "numeric": numeric,
                       "abs_error": float(np.max(np.abs(a - numeric))) if count else 0.0,
                       "rel_error": float(diff / scale)})
    return report
