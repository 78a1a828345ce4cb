"""Shared helpers for engine tests: random networks and a float64 gradient check."""

import numpy as np

from backprop_viz.engine import Network

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", {"name": "leaky_relu", "negative_slope": 0.2},
               "elu", "silu", "softplus"]


def targets_for(loss, rng, n, k):
    if loss == "cross_entropy":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "binary_cross_entropy":
        return rng.uniform(0, 1, (n, k))
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (n, k))
    return rng.normal(size=(n, k))


def output_activation(loss, default="identity"):
    return {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss, default)


def numeric_gradients(net: Network, X, T, eps=1e-6, seed=0):
    """Central differences of the training loss for every parameter element."""
    out = {}
    for name, p in net.parameters().items():
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = net.build(X, T, rng=np.random.default_rng(seed), update_stats=False).loss.value
            flat[i] = old - eps
            down = net.build(X, T, rng=np.random.default_rng(seed), update_stats=False).loss.value
            flat[i] = old
            gflat[i] = (up - down) / (2 * eps)
        out[name] = g
    return out


def assert_gradients_match(net, X, T, atol=1e-7, rtol=1e-5, seed=0):
    res = net.build(X, T, rng=np.random.default_rng(seed), update_stats=False)
    from backprop_viz.engine.graph import backward
    backward(res.order)
    numeric = numeric_gradients(net, X, T, seed=seed)
    for name, node in res.params.items():
        analytic = node.grad if node.grad is not None else np.zeros_like(node.value)
        np.testing.assert_allclose(analytic, numeric[name], atol=atol, rtol=rtol, err_msg=name)
