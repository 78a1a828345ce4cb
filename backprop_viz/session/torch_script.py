"""The PyTorch training script: a project's network, data and training, to run at scale.

``write_torch_export(project, folder)`` writes ``train.py``, ``data.npz`` (the
arrays the app trains on, after its preprocessing) and
``initial_weights.safetensors`` (the weights under the app's names). The script
reproduces ``TrainingSession(project).trainer.step()`` update for update:
same loss and penalties, optimizer, clipping, schedule, batch order and
dropout masks (both drawn with NumPy from the app's seed).

Each layer gives its part (engine/layers.py): its module class's source, its
arguments and the names of its tensors; this module lays the script out
around them.
"""

from __future__ import annotations

import os

import numpy as np

from ..engine import Network
from ..engine.files import write_atomic, write_text_atomic
from ..engine.layers import KINDS
from .project import Project

SCRIPT = "train.py"
DATA = "data.npz"
WEIGHTS = "initial_weights.safetensors"

# The optimizer settings the app keeps, in torch.optim's argument names.
_TORCH_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                     "adagrad": "Adagrad", "adadelta": "Adadelta"}

_LOSSES = {
    "half_squared_error": ("output", "0.5 * ((y - t) * (y - t)).sum() / y.shape[0]",
                           "half the squared error, summed over outputs, averaged over samples"),
    "squared_error": ("output", "((y - t) * (y - t)).sum() / y.shape[0]",
                      "squared error, summed over outputs, averaged over samples"),
    "mse": ("output", "((y - t) * (y - t)).mean()", "mean squared error over every output value"),
    "cross_entropy": ("logits", "-(t * torch.log_softmax(y, dim=-1)).sum() / y.shape[0]",
                      "cross-entropy from the last layer's pre-activation (softmax inside)"),
    "binary_cross_entropy": ("logits", "F.binary_cross_entropy_with_logits(y, t)",
                             "binary cross-entropy from the last layer's pre-activation (sigmoid inside)"),
    "hinge": ("output", "torch.relu(1 - t * y).mean()", "hinge loss max(0, 1 − t·y), averaged"),
}


def training_arrays(project: Project, net: Network | None = None):
    """(X, T, X_val, T_val) exactly as the Trainer holds them (targets one-hot where needed)."""
    net = net or project.network()
    X, T, Xv, Tv = project.arrays()
    X = net.check_inputs(X, "X")
    T = net.check_targets(T, X.shape[0], "T")
    if Xv is not None:
        Xv = net.check_inputs(Xv, "X_val")
        Tv = net.check_targets(Tv, Xv.shape[0], "T_val")
    return X, T, Xv, Tv


def weight_tensors(net: Network) -> dict[str, np.ndarray]:
    """Every tensor the script's model holds, by the app's names (running statistics included)."""
    return {name: np.ascontiguousarray(t, dtype=np.float64)
            for layer, running in zip(net.layers, net.running)
            for name, t in layer.torch_state(net.params, running).items()}


def write_torch_export(project: Project, folder) -> list[str]:
    """train.py, data.npz and initial_weights.safetensors in ``folder``; the written paths."""
    from safetensors.numpy import save_file
    folder = os.fspath(folder)
    net = project.network()
    text = training_script(project)          # raises before anything is written
    X, T, Xv, Tv = training_arrays(project, net)
    os.makedirs(folder, exist_ok=True)
    arrays = {"X": np.asarray(X, dtype=np.float64), "T": np.asarray(T, dtype=np.float64)}
    if Xv is not None:
        arrays["X_val"] = np.asarray(Xv, dtype=np.float64)
        arrays["T_val"] = np.asarray(Tv, dtype=np.float64)
    paths = [os.path.join(folder, name) for name in (DATA, WEIGHTS, SCRIPT)]

    def write_npz(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    write_atomic(paths[0], write_npz)
    tensors = weight_tensors(net)
    write_atomic(paths[1], lambda tmp: save_file(tensors, tmp, metadata={"format": "backprop-viz/weights"}))
    write_text_atomic(paths[2], text)
    return paths


def _modules(net: Network) -> list[str]:
    """The source of every module class the network's layers need, once each, in the registry's order."""
    used = {type(layer) for layer in net.layers}
    return [kind.torch_module for kind in KINDS.values() if kind in used]


def _optimizer_call(settings: dict) -> str:
    args = [f"{k}={(tuple(v) if isinstance(v, list) else v)!r}" for k, v in settings.items() if k != "name"]
    # foreach=False: the one-tensor-at-a-time code path, the order of operations the app follows.
    return f"torch.optim.{_TORCH_OPTIMIZERS[settings['name']]}(model.parameters(), {', '.join(args)}, foreach=False)"


def training_script(project: Project) -> str:
    """The text of train.py for this project."""
    net = project.network()
    spec = net.spec
    t = project.training
    name = spec.name or "network"
    which, loss_expr, loss_text = _LOSSES[spec.loss]
    has_dropout = any(layer.dropout for layer in spec.layers)
    schedule = t["schedule"]
    sched_name = schedule["name"] if schedule else None
    penalised = [n for n in net.penalised_names]

    out: list[str] = []
    w = out.append
    w(f'"""Train the backprop-viz network "{name}" in PyTorch, exactly as the app trains it.')
    w("")
    w("Written by backprop-viz's PyTorch export. Beside this script:")
    w(f"  {DATA:<28} the training data as the app uses it (after its preprocessing)")
    w(f"  {WEIGHTS:<28} the network's weights when exported, under the app's names")
    w("")
    w("Run:")
    w("  python train.py --steps 1000 --save weights.safetensors")
    w("  python train.py --steps 1000 --device cuda --dtype float32")
    w("Needs numpy, torch and safetensors. In float64 (the default) N updates here give")
    w("the same weights as N updates in backprop-viz: same loss, optimizer, clipping,")
    w("learning-rate schedule, mini-batches in the same order" + (", same dropout masks." if has_dropout else "."))
    w("Bring the trained weights back to look at them:")
    w("  backprop-viz import-weights PROJECT.json weights.safetensors --out trained.json")
    w("or File > Import weights... in the app.")
    w('"""')
    w("")
    w("import argparse")
    w("import math")
    w("import os")
    w("import sys")
    w("")
    w("import numpy as np")
    w("import torch")
    w("import torch.nn.functional as F")
    w("from safetensors.torch import load_file, save_file")
    w("from torch import nn")
    w("")
    w("HERE = os.path.dirname(os.path.abspath(__file__))")
    w("")
    w("")
    w("# -- the network --------------------------------------------------------------------")
    w("# Laid out as in the app: z = x @ W + b with W of shape (inputs, units), so the")
    w("# parameters keep the app's names and shapes (layers.0.weight, layers.0.bias ...).")
    w("")
    w("def activate(z, name, params=None):")
    w("    params = params or {}")
    w('    if name == "identity":')
    w("        return z")
    w('    if name == "sigmoid":')
    w("        return torch.sigmoid(z)")
    w('    if name == "tanh":')
    w("        return torch.tanh(z)")
    w('    if name == "relu":')
    w("        return torch.relu(z)")
    w('    if name == "leaky_relu":')
    w('        return F.leaky_relu(z, params["negative_slope"])')
    w('    if name == "elu":')
    w('        return F.elu(z, params["alpha"])')
    w('    if name == "silu":')
    w("        return F.silu(z)")
    w('    if name == "softplus":')
    w("        return torch.logaddexp(z, torch.zeros_like(z))      # log(1 + e^z), exact for large z too")
    w('    if name == "softmax":')
    w("        return torch.softmax(z, dim=-1)")
    w('    raise ValueError(f"unknown activation {name!r}")')
    w("")
    w("")
    for module in _modules(net):
        out.extend(module.rstrip("\n").split("\n"))
        w("")
        w("")
    w("class Net(nn.Module):")
    w("    def __init__(self, layers):")
    w("        super().__init__()")
    w("        self.layers = nn.ModuleList(layers)")
    w("")
    w("    def forward(self, x, dropout_rng=None):")
    w('        """(outputs, last layer\'s pre-activation)."""')
    w("        z = None")
    w("        for layer in self.layers:")
    w("            x, z = layer(x, dropout_rng)")
    w("        return x, z")
    w("")
    w("")
    w("model = Net([")
    out.extend(f"    {layer.torch_layer()}," for layer in net.layers)
    w("]).double()")
    w(f"model.load_state_dict(load_file(os.path.join(HERE, {WEIGHTS!r})))")
    w("")
    w("")
    w("def predict(x):")
    w('    """Outputs for a list of samples in prediction mode (no dropout, running statistics)."""')
    w("    model.eval()")
    w("    with torch.no_grad():")
    w("        p = next(model.parameters())")
    w("        return model(torch.as_tensor(np.asarray(x, dtype=np.float64)).to(p))[0].tolist()")
    w("")
    w("")
    w("# -- the loss -----------------------------------------------------------------------")
    w(f"# {spec.loss}: {loss_text}.")
    if spec.l1 or spec.l2:
        w("# Plus the penalties on the weights (not biases, gamma or beta):"
          + (f" L1 {spec.l1!r}·Σ|w|" if spec.l1 else "") + (f" L2 {spec.l2!r}·Σw²" if spec.l2 else "") + ".")
    w(f"L1, L2 = {spec.l1!r}, {spec.l2!r}")
    w(f"PENALISED = {penalised!r}")
    w("")
    w("")
    w("def data_loss(y, t):")
    w(f"    return {loss_expr}")
    w("")
    w("")
    w("def loss_of(x, t, dropout_rng=None):")
    w("    output, logits = model(x, dropout_rng)")
    w(f"    y = {'logits' if which == 'logits' else 'output'}")
    if net.sequence_output:
        reduce = spec.time_reduction
        w("    # A target at every time step: the loss of each step, "
          + ("averaged over the steps." if reduce == "mean" else "summed over the steps."))
        w("    steps = [data_loss(y[:, k], t[:, k]) for k in range(y.shape[1])]")
        w("    total = steps[0]")
        w("    for s in steps[1:]:")
        w("        total = total + s")
        if reduce == "mean":
            w("    loss = total * (1.0 / len(steps)) if len(steps) > 1 else total")
        else:
            w("    loss = total")
    else:
        w("    loss = data_loss(y, t)")
    w("    params = dict(model.named_parameters())")
    w("    if L1:")
    w("        loss = loss + L1 * sum(params[n].abs().sum() for n in PENALISED)")
    w("    if L2:")
    w("        loss = loss + L2 * sum((params[n] * params[n]).sum() for n in PENALISED)")
    w("    return loss")
    w("")
    w("")
    w("# -- the training settings ---------------------------------------------------------")
    w(f"SEED = {t['seed']}")
    w(f"BATCH_SIZE = {t['batch_size']!r}            # None: the whole training set in every update")
    w(f"CLIP_GRAD_NORM = {t['clip_grad_norm']!r}")
    w(f"CLIP_GRAD_VALUE = {t['clip_grad_value']!r}")
    w(f"SCHEDULE = {schedule!r}")
    w(f"EARLY_STOPPING = {t['early_stopping']!r}")
    w("")
    w("")
    w("def make_optimizer():")
    w(f"    return {_optimizer_call(t['optimizer'])}")
    w("")
    w("")
    w("def scheduled_lr(base_lr, epoch):")
    w('    """The learning rate after `epoch` complete epochs (closed forms of torch\'s StepLR,')
    w('    ExponentialLR and CosineAnnealingLR), set at the end of every epoch as the app does."""')
    if sched_name is None:
        w("    return base_lr")
    elif sched_name == "step":
        w('    return base_lr * SCHEDULE["gamma"] ** (epoch // int(SCHEDULE["step_size"]))')
    elif sched_name == "exponential":
        w('    return base_lr * SCHEDULE["gamma"] ** epoch')
    else:
        w('    t_max, eta_min = SCHEDULE["T_max"], SCHEDULE["eta_min"]')
        w("    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2")
    w("")
    w("")
    w("def batches(n, rng):")
    w('    """(sample indices, ends an epoch?) forever: a fresh permutation of the training set per')
    w('    epoch, cut into BATCH_SIZE pieces (the last may be smaller), as the app shuffles."""')
    w("    while True:")
    w("        if BATCH_SIZE is None or BATCH_SIZE >= n:")
    w("            yield None, True")
    w("            continue")
    w("        order = rng.permutation(n)")
    w("        for start in range(0, n, BATCH_SIZE):")
    w("            yield order[start:start + BATCH_SIZE], start + BATCH_SIZE >= n")
    w("")
    w("")
    w("def train(steps, device, dtype, quiet=False):")
    w("    global model")
    w("    model = model.to(device=device, dtype=dtype)")
    w(f"    data = np.load(os.path.join(HERE, {DATA!r}), allow_pickle=False)")
    w('    X = torch.as_tensor(data["X"]).to(device=device, dtype=dtype)')
    w('    T = torch.as_tensor(data["T"]).to(device=device, dtype=dtype)')
    w('    X_val = T_val = None')
    w('    if "X_val" in data:')
    w('        X_val = torch.as_tensor(data["X_val"]).to(device=device, dtype=dtype)')
    w('        T_val = torch.as_tensor(data["T_val"]).to(device=device, dtype=dtype)')
    w("    optimizer = make_optimizer()")
    w('    base_lr = optimizer.param_groups[0]["lr"]')
    w("    # The app's two random streams from one seed: batch order, then dropout masks.")
    w("    batch_seq, dropout_seq = np.random.SeedSequence(SEED).spawn(2)")
    w("    batch_rng, dropout_rng = np.random.default_rng(batch_seq), np.random.default_rng(dropout_seq)")
    w("    order = batches(X.shape[0], batch_rng)")
    w("    params = list(model.parameters())")
    w("    epoch, epoch_losses, best, bad_epochs = 0, [], math.inf, 0")
    w("    every = max(1, steps // 20)")
    w("    for step in range(1, steps + 1):")
    w("        model.train()")
    w("        idx, epoch_end = next(order)")
    w("        if idx is None:")
    w("            xb, tb = X, T")
    w("        else:")
    w("            index = torch.as_tensor(idx, device=X.device)")
    w("            xb, tb = X[index], T[index]")
    w("        # Forward and backward pass.")
    w("        optimizer.zero_grad()")
    w("        loss = loss_of(xb, tb, dropout_rng)")
    w("        loss.backward()")
    w("        for p in params:")
    w("            if p.grad is None:            # a parameter the loss does not reach still takes the step")
    w("                p.grad = torch.zeros_like(p)")
    w("        # A non-finite loss or gradient is not applied: the run stops there, as in the app.")
    w("        if not (math.isfinite(loss.item()) and all(bool(torch.isfinite(p.grad).all()) for p in params)):")
    w('            print(f"step {step}: the loss or a gradient is not a finite number; stopped before '
      'applying it "')
    w('                  "(try a lower learning rate or gradient clipping)", file=sys.stderr)')
    w("            return step - 1, True")
    w("        # Clipping: first the total norm, then each value (as the app does).")
    w("        if CLIP_GRAD_NORM is not None:")
    w("            torch.nn.utils.clip_grad_norm_(params, CLIP_GRAD_NORM, foreach=False)")
    w("        if CLIP_GRAD_VALUE is not None:")
    w("            torch.nn.utils.clip_grad_value_(params, CLIP_GRAD_VALUE, foreach=False)")
    w("        optimizer.step()")
    w("        epoch_losses.append(loss.item())")
    w("        val_text = \"\"")
    w("        stop = False")
    w("        if epoch_end:")
    w("            # End of an epoch: validation loss, schedule, early stopping.")
    w("            epoch += 1")
    w("            watched = sum(epoch_losses) / len(epoch_losses)")
    w("            epoch_losses = []")
    w("            if X_val is not None:")
    w("                model.eval()")
    w("                with torch.no_grad():")
    w("                    watched = loss_of(X_val, T_val).item()")
    w('                val_text = f"  val_loss {watched:.6g}"')
    w("            for group in optimizer.param_groups:")
    w('                group["lr"] = scheduled_lr(base_lr, epoch)')
    w("            if EARLY_STOPPING is not None:")
    w('                if watched < best - EARLY_STOPPING["min_delta"]:')
    w("                    best, bad_epochs = watched, 0")
    w("                else:")
    w("                    bad_epochs += 1")
    w('                    stop = bad_epochs >= EARLY_STOPPING["patience"]')
    w("        if not quiet and (step % every == 0 or step == steps or stop):")
    w('            print(f"step {step}/{steps}  epoch {epoch}  loss {loss.item():.6g}{val_text}", flush=True)')
    w("        if stop:")
    w('            print(f"early stopping after epoch {epoch}", flush=True)')
    w("            return step, False")
    w("    return steps, False")
    w("")
    w("")
    w("def save(path, steps):")
    w('    """The weights (and batch-norm statistics) under the app\'s names, in safetensors format."""')
    w("    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}")
    w('    tmp = path + ".part"')
    w('    save_file(tensors, tmp, metadata={"format": "backprop-viz/weights", "steps": str(steps)})')
    w("    os.replace(tmp, path)          # never a half-written file under the real name")
    w("")
    w("")
    w("def main(argv=None):")
    w('    parser = argparse.ArgumentParser(description="Train the network exported from backprop-viz.")')
    w('    parser.add_argument("--steps", type=int, default=1000, help="parameter updates (1000)")')
    w('    parser.add_argument("--save", default="weights.safetensors", help="where to write the trained weights")')
    w('    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")')
    w('    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")')
    w('    parser.add_argument("--quiet", action="store_true", help="no progress lines")')
    w("    args = parser.parse_args(argv)")
    w("    if args.steps < 0:")
    w('        parser.error(f"--steps must be 0 or more, got {args.steps}")')
    w('    if args.device.startswith("cuda") and not torch.cuda.is_available():')
    w('        parser.error("--device cuda: no CUDA device is available to PyTorch here")')
    w("    dtype = torch.float64 if args.dtype == \"float64\" else torch.float32")
    w("    done, diverged = train(args.steps, torch.device(args.device), dtype, args.quiet)")
    w("    save(args.save, done)")
    w('    print(f"trained {done} steps; wrote {args.save}")')
    w("    return 1 if diverged else 0")
    w("")
    w("")
    w('if __name__ == "__main__":')
    w("    sys.exit(main())")
    w("")
    return "\n".join(out)
