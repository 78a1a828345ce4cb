"""Optimizers against torch.optim's published algorithms.

The references below follow the pseudo-code boxes of the torch.optim
documentation line by line, scalar by scalar, so they share no code with the
vectorised implementations under test. Where PyTorch is installed the same
runs are also compared with torch itself.
"""

import math

import numpy as np
import pytest

from backprop_viz.engine import SpecError
from backprop_viz.engine.optimizers import DEFAULTS, make_optimizer, parse_optimizer


def reference(name, s, p, grads):
    """Apply the documented algorithm to scalar list ``p`` for each grad list."""
    p = list(p)
    n = len(p)
    st = {"m": [0.0] * n, "v": [0.0] * n, "vmax": [0.0] * n, "b": [None] * n, "ga": [0.0] * n,
          "sum": [s.get("initial_accumulator_value", 0.0)] * n, "u": [0.0] * n}
    for t, g_all in enumerate(grads, start=1):
        for i in range(n):
            g = g_all[i]
            if name == "sgd":
                if s["weight_decay"]:
                    g = g + s["weight_decay"] * p[i]
                if s["momentum"]:
                    if t > 1:
                        st["b"][i] = s["momentum"] * st["b"][i] + (1 - s["dampening"]) * g
                    else:
                        st["b"][i] = g
                    g = g + s["momentum"] * st["b"][i] if s["nesterov"] else st["b"][i]
                p[i] = p[i] - s["lr"] * g
            elif name in ("adam", "adamw"):
                b1, b2 = s["betas"]
                if name == "adamw":
                    p[i] = p[i] - s["lr"] * s["weight_decay"] * p[i]
                elif s["weight_decay"]:
                    g = g + s["weight_decay"] * p[i]
                st["m"][i] = b1 * st["m"][i] + (1 - b1) * g
                st["v"][i] = b2 * st["v"][i] + (1 - b2) * g * g
                mhat = st["m"][i] / (1 - b1 ** t)
                if s["amsgrad"]:
                    st["vmax"][i] = max(st["vmax"][i], st["v"][i])
                    vhat = st["vmax"][i] / (1 - b2 ** t)
                else:
                    vhat = st["v"][i] / (1 - b2 ** t)
                p[i] = p[i] - s["lr"] * mhat / (math.sqrt(vhat) + s["eps"])
            elif name == "rmsprop":
                if s["weight_decay"]:
                    g = g + s["weight_decay"] * p[i]
                a = s["alpha"]
                st["v"][i] = a * st["v"][i] + (1 - a) * g * g
                vt = st["v"][i]
                if s["centered"]:
                    st["ga"][i] = a * st["ga"][i] + (1 - a) * g
                    vt = vt - st["ga"][i] ** 2
                if s["momentum"]:
                    st["u"][i] = s["momentum"] * st["u"][i] + g / (math.sqrt(vt) + s["eps"])
                    p[i] = p[i] - s["lr"] * st["u"][i]
                else:
                    p[i] = p[i] - s["lr"] * g / (math.sqrt(vt) + s["eps"])
            elif name == "adagrad":
                clr = s["lr"] / (1 + (t - 1) * s["lr_decay"])
                if s["weight_decay"]:
                    g = g + s["weight_decay"] * p[i]
                st["sum"][i] = st["sum"][i] + g * g
                p[i] = p[i] - clr * g / (math.sqrt(st["sum"][i]) + s["eps"])
            elif name == "adadelta":
                if s["weight_decay"]:
                    g = g + s["weight_decay"] * p[i]
                rho, eps = s["rho"], s["eps"]
                st["v"][i] = st["v"][i] * rho + g * g * (1 - rho)
                dx = math.sqrt(st["u"][i] + eps) / math.sqrt(st["v"][i] + eps) * g
                st["u"][i] = st["u"][i] * rho + dx * dx * (1 - rho)
                p[i] = p[i] - s["lr"] * dx
    return p


CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adam", {}),
    ("adam", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.1}),
    ("adam", {"lr": 0.01, "amsgrad": True}),
    ("adamw", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("rmsprop", {}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 0.01, "centered": True}),
    ("adagrad", {}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}),
    ("adadelta", {}),
    ("adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}),
]


def _grads(steps, n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=n) for _ in range(steps)]


@pytest.mark.parametrize("name, cfg", CASES, ids=lambda c: str(c))
def test_matches_documented_algorithm(name, cfg):
    opt = make_optimizer({"name": name, **cfg})
    p0 = np.array([0.5, -1.5, 2.0, 0.0])
    grads = _grads(6, 4)
    p = p0.copy()
    for g in grads:
        opt.step({"w": p}, {"w": g})
    expected = reference(name, opt.settings, p0.tolist(), [g.tolist() for g in grads])
    np.testing.assert_allclose(p, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, cfg", CASES, ids=lambda c: str(c))
def test_flat_update_equals_per_parameter_update(name, cfg):
    a = make_optimizer({"name": name, **cfg})
    b = make_optimizer({"name": name, **cfg})
    w1, w2 = np.array([0.3, -0.2]), np.array([[1.0], [2.0]])
    flat = np.concatenate([w1.ravel(), w2.ravel()])
    for g in _grads(4, 4, seed=3):
        a.step({"w1": w1, "w2": w2}, {"w1": g[:2], "w2": g[2:].reshape(2, 1)})
        b.step_flat(flat, g)
    np.testing.assert_allclose(flat, np.concatenate([w1.ravel(), w2.ravel()]), rtol=1e-15)


def test_sgd_by_hand():
    # One step: w ← w − lr·g; with momentum 0.9 the second step uses buf = 0.9·g1 + g2.
    opt = make_optimizer({"name": "sgd", "lr": 0.1, "momentum": 0.9})
    w = np.array([1.0])
    opt.step({"w": w}, {"w": np.array([2.0])})
    assert w[0] == pytest.approx(1.0 - 0.1 * 2.0)
    opt.step({"w": w}, {"w": np.array([1.0])})
    assert w[0] == pytest.approx(0.8 - 0.1 * (0.9 * 2.0 + 1.0))


def test_adam_first_step_is_lr_times_sign():
    opt = make_optimizer({"name": "adam", "lr": 0.01})
    w = np.array([1.0, 1.0])
    opt.step({"w": w}, {"w": np.array([3.0, -0.5])})
    np.testing.assert_allclose(w, [1.0 - 0.01, 1.0 + 0.01], rtol=1e-6)


def test_defaults_are_torchs():
    assert parse_optimizer("adam")["betas"] == (0.9, 0.999)
    assert parse_optimizer("adamw")["weight_decay"] == 1e-2
    assert parse_optimizer("rmsprop")["lr"] == 1e-2 and parse_optimizer("rmsprop")["alpha"] == 0.99
    assert parse_optimizer("adagrad")["eps"] == 1e-10
    assert parse_optimizer("adadelta")["lr"] == 1.0 and parse_optimizer("adadelta")["rho"] == 0.9
    assert set(DEFAULTS) == {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta"}


@pytest.mark.parametrize("cfg, path", [
    ({"name": "adamm"}, "optimizer.name"),
    ({"name": "sgd", "beta": 0.9}, "optimizer.beta"),
    ({"name": "sgd", "lr": -1}, "optimizer.lr"),
    ({"name": "sgd", "lr": float("nan")}, "optimizer.lr"),
    ({"name": "adam", "betas": [0.9]}, "optimizer.betas"),
    ({"name": "adam", "amsgrad": "yes"}, "optimizer.amsgrad"),
    ({"name": "sgd", "nesterov": True}, "optimizer.nesterov"),
    ({"name": "rmsprop", "alpha": 1.5}, "optimizer.alpha"),
    (42, "optimizer"),
])
def test_bad_settings_name_the_field(cfg, path):
    with pytest.raises(SpecError) as err:
        parse_optimizer(cfg)
    assert err.value.path == path




@pytest.mark.parametrize("name, cfg", CASES, ids=lambda c: str(c))
def test_matches_pytorch(name, cfg):
    torch = pytest.importorskip("torch")
    torch_cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
                 "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad,
                 "adadelta": torch.optim.Adadelta}[name]
    ours = make_optimizer({"name": name, **cfg})
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg.items()}
    if name == "sgd":
        kwargs.setdefault("lr", ours.settings["lr"])
    p0 = np.array([0.5, -1.5, 2.0, 0.0])
    tp = torch.tensor(p0.copy(), dtype=torch.float64, requires_grad=True)
    topt = torch_cls([tp], foreach=False, **kwargs)
    p = p0.copy()
    for g in _grads(8, 4, seed=5):
        ours.step({"w": p}, {"w": g})
        tp.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-13, atol=1e-15)
