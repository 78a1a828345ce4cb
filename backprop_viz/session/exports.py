"""What leaves the app without Qt: the run's history, the run as JSON, a PyTorch script."""

from __future__ import annotations

import csv
import io
import json
import platform

import numpy as np

from .. import __version__
from ..engine import Network
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


def _script_head(title: str, usage: str) -> list[str]:
    return ['"""' + title, "", usage, '"""', "", "import torch", "from torch import nn", "",
            "torch.set_default_dtype(torch.float64)", ""]


_ACT = {"identity": "nn.Identity()", "sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()",
        "silu": "nn.SiLU()", "softplus": "nn.Softplus()", "softmax": "nn.Softmax(dim=1)"}


def _activation(act) -> str:
    name, p = act.name, act.params
    if name == "leaky_relu":
        return f"nn.LeakyReLU({p['negative_slope']!r})"
    if name == "elu":
        return f"nn.ELU({p['alpha']!r})"
    return _ACT[name]


def torch_script(spec: dict) -> str:
    """A standalone Python script that rebuilds the network in PyTorch with these weights."""
    net = Network.from_dict(spec)
    if net.recurrent:
        return _torch_recurrent(net)
    residual = any(layer.residual for layer in net.spec.layers)
    lines = _script_head("The network from backprop-viz, rebuilt in PyTorch with its trained weights.",
                         "Run: python this_file.py   (needs torch); predict(x) gives the same outputs as "
                         "backprop-viz.")
    blocks = []
    for i, layer in enumerate(net.spec.layers):
        parts = [f"nn.Linear({net.sizes[i]}, {layer.units}, bias={layer.use_bias})"]
        if layer.norm == "batch":
            parts.append(f"nn.BatchNorm1d({layer.units}, eps=1e-05, momentum=0.1)")
        elif layer.norm == "layer":
            parts.append(f"nn.LayerNorm({layer.units}, eps=1e-05)")
        parts.append(_activation(layer.activation))
        if layer.dropout:
            parts.append(f"nn.Dropout({layer.dropout!r})")
        blocks.append(parts)
    if not residual:
        lines.append("model = nn.Sequential(")
        for parts in blocks:
            for part in parts:
                lines.append(f"    {part},")
        lines.append(")")
        index = 0
        positions = []
        for parts in blocks:
            positions.append(index)
            index += len(parts)
    else:
        flags = [layer.residual for layer in net.spec.layers]
        lines += [
            "class Block(nn.Module):",
            "    def __init__(self, layers, residual):",
            "        super().__init__()",
            "        self.layers = nn.Sequential(*layers)",
            "        self.residual = residual",
            "",
            "    def forward(self, x):",
            "        y = self.layers(x)",
            "        return y + x if self.residual else y",
            "",
            "",
            "model = nn.Sequential(",
        ]
        for parts, flag in zip(blocks, flags):
            lines.append(f"    Block([{', '.join(parts)}], residual={flag}),")
        lines.append(")")
    lines += ["", "with torch.no_grad():"]
    for i, layer in enumerate(net.spec.layers):
        ref = f"model[{positions[i]}]" if not residual else f"model[{i}].layers[0]"
        norm = f"model[{positions[i] + 1}]" if not residual else f"model[{i}].layers[1]"
        W = net.params[f"layers.{i}.weight"]
        lines.append(f"    {ref}.weight.copy_(torch.tensor({W.T.tolist()!r}))")
        if layer.use_bias:
            lines.append(f"    {ref}.bias.copy_(torch.tensor({net.params[f'layers.{i}.bias'].tolist()!r}))")
        if layer.norm:
            lines.append(f"    {norm}.weight.copy_(torch.tensor({net.params[f'layers.{i}.gamma'].tolist()!r}))")
            lines.append(f"    {norm}.bias.copy_(torch.tensor({net.params[f'layers.{i}.beta'].tolist()!r}))")
        if layer.norm == "batch":
            lines.append(f"    {norm}.running_mean.copy_(torch.tensor({net.running[i]['mean'].tolist()!r}))")
            lines.append(f"    {norm}.running_var.copy_(torch.tensor({net.running[i]['var'].tolist()!r}))")
    lines += [
        "model.eval()",
        "",
        "",
        "def predict(x):",
        '    """Outputs for a list of samples (prediction mode, like backprop-viz\'s predict)."""',
        "    with torch.no_grad():",
        "        return model(torch.tensor(x, dtype=torch.float64)).tolist()",
        "",
        "",
        'if __name__ == "__main__":',
        f"    print(predict([{[0.0] * net.n_inputs!r}]))",
        "",
    ]
    return "\n".join(lines)


def _torch_recurrent(net: Network) -> str:
    """nn.RNN layers (batch first) followed by the dense read-out, with these weights."""
    layers = net.spec.layers
    lines = _script_head("The recurrent network from backprop-viz, rebuilt in PyTorch with its trained weights.",
                         "predict(x) takes sequences (samples, time, features) and gives the same outputs as "
                         "backprop-viz.") + [
        "",
        "class Net(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        "        self.rnns = nn.ModuleList()",
        "        self.dense = nn.ModuleList()",
    ]
    readout_last = False
    for i, layer in enumerate(layers):
        if layer.kind == "recurrent":
            act = "tanh" if layer.activation.name == "tanh" else "relu"
            if layer.activation.name == "sigmoid":
                raise ValueError("PyTorch's nn.RNN offers tanh and relu only; this layer uses sigmoid")
            lines.append(f"        self.rnns.append(nn.RNN({net.sizes[i]}, {layer.units}, nonlinearity={act!r}, "
                         f"bias={layer.use_bias}, batch_first=True))")
            readout_last = readout_last or layer.readout == "last"
        else:
            lines.append(f"        self.dense.append(nn.Sequential(nn.Linear({net.sizes[i]}, {layer.units}, "
                         f"bias={layer.use_bias}), {_activation(layer.activation)}))")
    lines += [
        "",
        "    def forward(self, x):",
        "        for rnn in self.rnns:",
        "            x, _ = rnn(x)",
    ]
    if readout_last:
        lines.append("        x = x[:, -1, :]")
    lines += [
        "        for layer in self.dense:",
        "            x = layer(x)",
        "        return x",
        "",
        "",
        "model = Net()",
        "with torch.no_grad():",
    ]
    r = d = 0
    for i, layer in enumerate(layers):
        if layer.kind == "recurrent":
            wi = net.params[f"layers.{i}.weight_input"].T.tolist()
            wh = net.params[f"layers.{i}.weight_hidden"].T.tolist()
            lines.append(f"    model.rnns[{r}].weight_ih_l0.copy_(torch.tensor({wi!r}))")
            lines.append(f"    model.rnns[{r}].weight_hh_l0.copy_(torch.tensor({wh!r}))")
            if layer.use_bias:
                lines.append(f"    model.rnns[{r}].bias_ih_l0.copy_(torch.tensor({net.params[f'layers.{i}.bias'].tolist()!r}))")
                lines.append(f"    model.rnns[{r}].bias_hh_l0.zero_()")
            r += 1
        else:
            w = net.params[f"layers.{i}.weight"].T.tolist()
            lines.append(f"    model.dense[{d}][0].weight.copy_(torch.tensor({w!r}))")
            if layer.use_bias:
                lines.append(f"    model.dense[{d}][0].bias.copy_(torch.tensor({net.params[f'layers.{i}.bias'].tolist()!r}))")
            d += 1
    lines += [
        "model.eval()",
        "",
        "",
        "def predict(x):",
        "    with torch.no_grad():",
        "        return model(torch.tensor(x, dtype=torch.float64)).tolist()",
        "",
        "",
        'if __name__ == "__main__":',
        f"    print(predict([[[0.0] * {net.n_inputs}] * 3]))",
        "",
    ]
    return "\n".join(lines)
