"""Weights trained elsewhere, brought back into a project to be looked at.

The file is safetensors (read with its NumPy API: no PyTorch, no pickle), its
tensors named as the app names them (``layers.0.weight``, shape (inputs,
units); batch-norm layers also ``layers.0.running_mean``/``running_var``).
Every problem is reported with the tensor it concerns.
"""

from __future__ import annotations

import os

import numpy as np

from ..engine import SpecError
from .project import Project
from .torch_script import weight_tensors


def read_weights(path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file, by name."""
    where = os.fspath(path)
    if not os.path.isfile(where):
        raise SpecError(where, "no such file")
    try:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file
    except ImportError:  # pragma: no cover - a declared dependency
        raise SpecError(where, "reading weights needs the safetensors package (pip install safetensors)") from None
    try:
        return load_file(where)
    except SafetensorError as exc:
        raise SpecError(where, f"not a readable safetensors file ({exc})") from None
    except (OSError, ValueError, TypeError) as exc:
        # Tensors NumPy cannot hold (bfloat16) and damaged files.
        raise SpecError(where, f"could not be read as safetensors weights ({exc})") from None


def _shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def problems(expected: dict[str, tuple], tensors: dict[str, np.ndarray]) -> list[str]:
    """One line per tensor that is missing, extra, mis-shaped, not numbers or not finite."""
    out = []
    for name, shape in expected.items():
        if name not in tensors:
            out.append(f"{name}: missing (the project needs shape {_shape(shape)})")
            continue
        arr = tensors[name]
        if arr.dtype.kind != "f":
            out.append(f"{name}: expected floating-point numbers, got {arr.dtype}")
        elif tuple(arr.shape) != tuple(shape):
            hint = ""
            if len(shape) == 2 and tuple(arr.shape) == tuple(shape)[::-1] and shape[0] != shape[1]:
                hint = (" — looks transposed: the app stores weights as (inputs, units), "
                        "PyTorch's nn.Linear as (units, inputs)")
            out.append(f"{name}: expected shape {_shape(shape)}, got {_shape(arr.shape)}{hint}")
        elif not np.all(np.isfinite(arr)):
            bad = np.argwhere(~np.isfinite(arr))[0]
            value = arr[tuple(bad)]
            at = f" at [{', '.join(str(int(i)) for i in bad)}]" if arr.ndim else ""
            out.append(f"{name}: contains {value}{at}; only finite numbers are accepted")
    for name in tensors:
        if name not in expected:
            out.append(f"{name}: not a tensor of this project's network (extra)")
    return out


def with_weights(project: Project, tensors: dict[str, np.ndarray], source: str = "weights") -> Project:
    """A copy of ``project`` whose network holds ``tensors``; SpecError listing every problem."""
    net = project.network()
    expected = {name: tuple(arr.shape) for name, arr in weight_tensors(net).items()}
    found = problems(expected, tensors)
    if found:
        names = ", ".join(sorted(expected))
        raise SpecError(source, "does not fit the project's network:\n  " + "\n  ".join(found)
                        + f"\n(the network has: {names})")
    for name in net.params:
        net.set_parameter(name, tensors[name])
    for layer, running in zip(net.layers, net.running):
        for suffix, key in layer.statistics.items():
            running[key][...] = tensors[layer.name(suffix)]
    return Project(net.to_dict(), project.data, project.training, project.view)


def import_weights(project: Project, path) -> Project:
    """``project`` with the weights of the safetensors file at ``path``."""
    return with_weights(project, read_weights(path), os.fspath(path))
