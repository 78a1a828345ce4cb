"""Ready-made projects: each opens ready to step through or train."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.files import read_json
from .assets import examples_dir
from .project import Project


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    file: str
    data: dict
    training: dict


TEMPLATES = [
    Template("worked_example", "Worked example (2 inputs, sigmoid)", "seed_worked_example.json",
             {"kind": "samples", "X": [[0.1, 0.3]], "T": [[0.03]]},
             {"optimizer": {"name": "sgd", "lr": 0.01}}),
    Template("code_example", "Code example (no bias, converges to 0.7)", "seed_code_example.json",
             {"kind": "samples", "X": [[0.1, 0.4]], "T": [[0.7]]},
             {"optimizer": {"name": "sgd", "lr": 0.01}}),
    Template("mlp", "MLP 3-7-5-4-1 (one sample)", "seed_mlp.json",
             {"kind": "samples", "X": [[0.1, 0.4, 4.1]], "T": [[0.2]]},
             {"optimizer": {"name": "sgd", "lr": 0.7}}),
    Template("xor", "XOR", "xor.json",
             {"kind": "builtin", "name": "xor", "samples": 200, "noise": 0.05, "seed": 0, "validation": 0.2},
             {"optimizer": {"name": "adam", "lr": 0.05}, "batch_size": 32}),
    Template("deep_sigmoid", "Deep sigmoid (vanishing gradients)", "deep_sigmoid_vanishing.json",
             {"kind": "builtin", "name": "circle", "samples": 200, "noise": 0.05, "seed": 0, "validation": 0.2},
             {"optimizer": {"name": "sgd", "lr": 0.5}}),
    Template("deep_relu", "Deep ReLU + He init", "deep_relu_he.json",
             {"kind": "builtin", "name": "circle", "samples": 200, "noise": 0.05, "seed": 0, "validation": 0.2},
             {"optimizer": {"name": "sgd", "lr": 0.1}}),
    Template("exploding", "Large init (exploding gradients)", "exploding.json",
             {"kind": "builtin", "name": "plane", "samples": 200, "noise": 0.05, "seed": 0, "validation": 0.2},
             {"optimizer": {"name": "sgd", "lr": 0.01}}),
    Template("residual", "Residual network", "residual.json",
             {"kind": "builtin", "name": "circle", "samples": 200, "noise": 0.05, "seed": 0, "validation": 0.2},
             {"optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 32}),
    Template("sine_prediction", "Sine prediction (recurrent)", "sine_prediction.json",
             {"kind": "builtin", "name": "sine_next", "samples": 200, "noise": 0.05, "seed": 0, "validation": 0.2,
              "steps": 20},
             {"optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 32, "clip_grad_norm": 5.0}),
    Template("remember_5", "Remember the first input (N = 5)", "remember_first_5.json",
             {"kind": "builtin", "name": "remember_first", "samples": 200, "noise": 0.1, "seed": 0,
              "validation": 0.2, "steps": 5},
             {"optimizer": {"name": "sgd", "lr": 0.1}, "batch_size": 32}),
    Template("remember_20", "Remember the first input (N = 20)", "remember_first_20.json",
             {"kind": "builtin", "name": "remember_first", "samples": 200, "noise": 0.1, "seed": 0,
              "validation": 0.2, "steps": 20},
             {"optimizer": {"name": "sgd", "lr": 0.1}, "batch_size": 32}),
]
BY_KEY = {t.key: t for t in TEMPLATES}


def open_template(key: str) -> Project:
    t = BY_KEY[key]
    network = read_json(examples_dir() / t.file, "example")
    project = Project(network, t.data, t.training)
    project.title = t.title      # the window shows it until the project is saved under a name
    return project


def blank_project() -> Project:
    """A start for drawing your own network: two inputs, one sigmoid output, the XOR data."""
    network = {"format": "backprop-viz/network", "version": 1, "name": "Your network", "inputs": 2,
               "layers": [{"units": 1, "activation": "sigmoid"}], "loss": "binary_cross_entropy"}
    project = Project(network, None, {"optimizer": {"name": "adam", "lr": 0.05}, "batch_size": 32})
    project.title = "Your network"
    return project
