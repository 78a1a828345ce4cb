"""What leaves the app without Qt: the run's history and the run as JSON (PyTorch: torch_script.py)."""

from __future__ import annotations

import csv
import io
import json
import platform

import numpy as np

from .. import __version__
from .history import History
from .project import Project

RUN_FORMAT = "backprop-viz/run"


def history_rows(history: History):
    """Header and rows: one per recorded update (validation loss where an epoch ended there)."""
    L = history.layers
    x, loss = history.loss()
    _, lr = history.lr()
    _, g = history.grad_norms()
    _, w = history.weight_norms()
    _, r = history.update_ratios()
    vx, vl = history.val_loss()
    val = dict(zip(vx.tolist(), vl.tolist()))
    header = (["step", "loss", "val_loss", "lr"] + [f"grad_norm_{i + 1}" for i in range(L)]
              + [f"weight_norm_{i + 1}" for i in range(L)] + [f"update_ratio_{i + 1}" for i in range(L)])
    rows = []
    for i, step in enumerate(x.tolist()):
        v = val.get(step)
        rows.append([int(step), float(loss[i]), "" if v is None else v, float(lr[i]),
                     *map(float, g[i]), *map(float, w[i]), *map(float, r[i])])
    return header, rows


def history_csv(history: History) -> str:
    header, rows = history_rows(history)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    return buf.getvalue()


def heatmap_csv(history: History) -> str:
    """The layer × time heatmap's numbers: log10 of each layer's weight-gradient norm per update."""
    x, g = history.grad_norms()
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["step"] + [f"log10_grad_norm_{i + 1}" for i in range(history.layers)])
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(g)
    for step, row in zip(x.tolist(), logs):
        writer.writerow([int(step)] + [repr(float(v)) if np.isfinite(v) else "" for v in row])
    return buf.getvalue()


def run_json(project: Project, history: History, steps: int, epoch: int) -> str:
    """Everything needed to reproduce the run: network, data, training settings, seed, versions."""
    header, rows = history_rows(history)
    columns = {name: [row[i] if row[i] != "" else None for row in rows] for i, name in enumerate(header)}
    for k, v in columns.items():
        columns[k] = [None if isinstance(x, float) and not np.isfinite(x) else x for x in v]
    doc = {
        "format": RUN_FORMAT, "version": 1,
        "steps": steps, "epochs": epoch,
        "project": project.to_dict(),
        "seeds": {"network": project.network_spec["seed"], "data": project.data.get("seed", 0),
                  "training": project.training["seed"]},
        "versions": {"backprop-viz": __version__, "numpy": np.__version__, "python": platform.python_version()},
        "history": {"stride": history.updates.stride, "columns": columns,
                    "divergences": [{"step": s, "node": n} for s, n in history.divergences]},
    }
    return json.dumps(doc, indent=1) + "\n"
