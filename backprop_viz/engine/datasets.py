"""Built-in data sets, generated from a seed (nothing is downloaded).

Every generator returns ``(X, T)`` as float64 arrays; classification
targets are one-hot for several classes and a single 0/1 column for two.
"""

from __future__ import annotations

import math

import numpy as np

from . import budget
from .errors import SpecError


def _two_class(X, labels):
    return X, labels.reshape(-1, 1).astype(np.float64)


def xor(n=200, noise=0.1, seed=0):
    """Class 1 in the quadrants where x1·x2 > 0; both classes the same size."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 2).astype(int)
    mag = rng.uniform(0.05, 1.0, (n, 2))
    sign = rng.choice([-1.0, 1.0], n)
    X = np.column_stack([sign * mag[:, 0], np.where(labels == 1, sign, -sign) * mag[:, 1]])
    return _two_class(X + rng.normal(0, noise, X.shape), labels)


def circle(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    half = n // 2
    r = np.concatenate([rng.uniform(0, 0.5, half), rng.uniform(0.7, 1.0, n - half)])
    angle = rng.uniform(0, 2 * math.pi, n)
    X = np.column_stack([r * np.cos(angle), r * np.sin(angle)])
    labels = np.concatenate([np.ones(half), np.zeros(n - half)]).astype(int)
    return _two_class(X + rng.normal(0, noise, X.shape), labels)


def gaussians(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    half = n // 2
    spread = 0.3 + noise
    X = np.concatenate([rng.normal((-0.6, -0.6), spread, (half, 2)),
                        rng.normal((0.6, 0.6), spread, (n - half, 2))])
    labels = np.concatenate([np.zeros(half), np.ones(n - half)]).astype(int)
    return _two_class(X, labels)


def spiral(n=200, noise=0.1, seed=0, classes=2):
    rng = np.random.default_rng(seed)
    counts = [n // classes + (1 if c < n % classes else 0) for c in range(classes)]
    Xs, labels = [], []
    for c, m in enumerate(counts):
        t = np.linspace(0.0, 1.0, m)
        r = 0.1 + 0.9 * t
        angle = 3.5 * t * math.pi + 2 * math.pi * c / classes
        pts = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
        Xs.append(pts + rng.normal(0, noise * 0.5, pts.shape))
        labels.append(np.full(m, c))
    X, y = np.concatenate(Xs), np.concatenate(labels)
    if classes == 2:
        return _two_class(X, y)
    return X, np.eye(classes)[y]


def moons(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    half = n // 2
    a = np.linspace(0, math.pi, half)
    b = np.linspace(0, math.pi, n - half)
    upper = np.column_stack([np.cos(a), np.sin(a)])
    lower = np.column_stack([1 - np.cos(b), 0.5 - np.sin(b)])
    X = np.concatenate([upper, lower]) - (0.5, 0.25)
    labels = np.concatenate([np.zeros(half), np.ones(n - half)]).astype(int)
    return _two_class(X + rng.normal(0, noise, X.shape), labels)


def blobs(n=200, noise=0.1, seed=0, classes=3):
    rng = np.random.default_rng(seed)
    centres = [(0.7 * math.cos(2 * math.pi * c / classes), 0.7 * math.sin(2 * math.pi * c / classes))
               for c in range(classes)]
    y = np.arange(n) % classes
    X = np.array([centres[c] for c in y]) + rng.normal(0, 0.15 + noise, (n, 2))
    return X, np.eye(classes)[y]


def sine(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-math.pi, math.pi, (n, 1))
    return x, np.sin(x) + rng.normal(0, noise, x.shape)


def plane(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    return X, (0.5 * X[:, :1] - 0.3 * X[:, 1:] + 0.2) + rng.normal(0, noise, (n, 1))


def gaussian_mix(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    bumps = [((-0.4, -0.4), 1.0), ((0.5, 0.3), -0.8), ((-0.2, 0.6), 0.6)]
    y = sum(h * np.exp(-((X - c) ** 2).sum(axis=1) / 0.1) for c, h in bumps)
    return X, y.reshape(-1, 1) + rng.normal(0, noise, (n, 1))


def gaussian_mix_1d(n=200, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (n, 1))
    y = np.exp(-((x + 1.2) ** 2) / 0.4) - 0.7 * np.exp(-((x - 1.0) ** 2) / 0.6)
    return x, y + rng.normal(0, noise, x.shape)


def spiral3(n=300, noise=0.1, seed=0):
    return spiral(n, noise, seed, classes=3)


# -- sequences: (samples, time, features) ---------------------------------------


def sine_next(n=200, noise=0.05, seed=0, steps=20):
    """Predict the next value of a noisy sine wave at every time step."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * math.pi, (n, 1))
    freq = rng.uniform(0.15, 0.35, (n, 1))
    t = np.arange(steps + 1)[None, :]
    wave = np.sin(phase + freq * t) + rng.normal(0, noise, (n, steps + 1))
    return wave[:, :-1, None], wave[:, 1:, None]


def bit_sum(n=200, noise=0.0, seed=0, steps=8):
    """Count the ones in a bit sequence (read at the last step)."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, steps)).astype(float)
    return bits[:, :, None] + rng.normal(0, noise, (n, steps, 1)), bits.sum(axis=1, keepdims=True)


def bit_parity(n=200, noise=0.0, seed=0, steps=6):
    """Is the number of ones odd? (class 1; read at the last step)."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (n, steps)).astype(float)
    return bits[:, :, None] + rng.normal(0, noise, (n, steps, 1)), (bits.sum(axis=1, keepdims=True) % 2)


def remember_first(n=200, noise=0.1, seed=0, steps=5):
    """Repeat the first input (±1) after ``steps`` more steps of noise: the gradient
    must travel back through all of them, which makes vanishing through time visible."""
    rng = np.random.default_rng(seed)
    first = rng.choice([-1.0, 1.0], (n, 1))
    X = np.concatenate([first[:, None, :], rng.normal(0, noise, (n, steps, 1))], axis=1)
    return X, first


SEQUENCE_GENERATORS = {"sine_next": sine_next, "bit_sum": bit_sum, "bit_parity": bit_parity,
                       "remember_first": remember_first}
SEQUENCE_TITLES = {"sine_next": "Sine wave: next value (sequence)", "bit_sum": "Sum of bits (sequence)",
                   "bit_parity": "Parity of bits (sequence, 2 classes)",
                   "remember_first": "Remember the first input after N steps (sequence)"}


def generate_sequence(name: str, n: int = 200, noise: float = 0.1, seed: int = 0, steps: int | None = None):
    if name not in SEQUENCE_GENERATORS:
        raise SpecError("data", f"unknown sequence task {name!r} (expected one of {', '.join(SEQUENCE_GENERATORS)})")
    budget.check_samples(n, "data.samples")
    if steps is not None:
        budget.check_time_steps(steps, "data.steps")
    kwargs = {} if steps is None else {"steps": steps}
    return SEQUENCE_GENERATORS[name](n=n, noise=float(noise), seed=seed, **kwargs)


GENERATORS = {
    "xor": xor, "circle": circle, "gaussians": gaussians, "spiral": spiral, "moons": moons,
    "spiral3": spiral3, "blobs": blobs, "sine": sine, "plane": plane, "gaussian_mix": gaussian_mix,
    "gaussian_mix_1d": gaussian_mix_1d,
}
TITLES = {
    "xor": "XOR (2 classes)", "circle": "Circle (2 classes)", "gaussians": "Two Gaussians (2 classes)",
    "spiral": "Spiral (2 classes)", "moons": "Moons (2 classes)", "spiral3": "Spiral, 3 arms (3 classes)",
    "blobs": "Blobs (3 classes)", "sine": "Sine wave (regression, 1 input)",
    "plane": "Plane (regression, 2 inputs)", "gaussian_mix": "Mix of Gaussians (regression, 2 inputs)",
    "gaussian_mix_1d": "Mix of Gaussians (regression, 1 input)",
}
CLASSIFICATION = {"xor", "circle", "gaussians", "spiral", "moons", "spiral3", "blobs"}
FEATURES = {
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin x1": lambda X: np.sin(X[:, 0]),
    "sin x2": lambda X: np.sin(X[:, 1]),
}


def add_features(X: np.ndarray, features) -> np.ndarray:
    """Append derived inputs (for two-input data) in the order given."""
    if not features:
        return X
    return np.column_stack([X] + [FEATURES[f](X) for f in features])


def generate(name: str, n: int = 200, noise: float = 0.1, seed: int = 0):
    if name not in GENERATORS:
        raise SpecError("data", f"unknown data set {name!r} (expected one of {', '.join(GENERATORS)})")
    if not isinstance(n, int) or n < 2:
        raise SpecError("data.samples", f"expected a whole number ≥ 2, got {n!r}")
    budget.check_samples(n, "data.samples")
    if not (isinstance(noise, (int, float)) and 0 <= noise <= 10):
        raise SpecError("data.noise", f"expected a number from 0 to 10, got {noise!r}")
    return GENERATORS[name](n=n, noise=float(noise), seed=seed)
