"""The ``backprop-viz`` command: the app, or a headless subcommand."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time

SUBCOMMANDS = ("trace", "train", "gradcheck", "export", "import-weights", "compare")


def _floats(text: str, what: str):
    try:
        values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"error: {what}: expected numbers separated by commas, got {text!r}") from None
    if not values:
        raise SystemExit(f"error: {what}: no numbers given")
    return values


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backprop-viz",
                                description="See backpropagation work. Without a subcommand, opens the app.")
    sub = p.add_subparsers(dest="command")

    t = sub.add_parser("trace", help="print the whole derivation of one pass, or of update K of a project's run")
    t.add_argument("network", help="project or network file (JSON)")
    t.add_argument("--input", help="comma-separated input values, e.g. 0.1,0.3 (a walk of this one sample)")
    t.add_argument("--target", help="comma-separated targets (or a class number), with --input")
    t.add_argument("--update", type=int, default=None, metavar="K",
                   help="walk update K of the project's own run: its batch, optimizer, clipping, "
                        "schedule and seed (default with a project file and no --input: 1)")
    t.add_argument("--lr", type=float, default=0.01,
                   help="with --input: learning rate of the plain gradient-descent update shown (0.01)")
    t.add_argument("--level", choices=("auto", "neuron", "layer"), default="auto")
    t.add_argument("--digits", type=int, default=9, help="decimal places shown (9)")

    r = sub.add_parser("train", help="train headless and write the history and the trained network")
    r.add_argument("network", help="project file (its own data and settings) or network file")
    r.add_argument("--data", help="a CSV file, or a built-in data set name (needed for a network file; "
                                  "replaces a project's data)")
    r.add_argument("--steps", type=int, required=True, help="number of parameter updates")
    r.add_argument("--out", help="output folder (default: <network>-run)")
    r.add_argument("--optimizer", default=None,
                   help="sgd, adam, adamw, rmsprop, adagrad, adadelta (default: the project's, else sgd)")
    r.add_argument("--lr", type=float, default=None, help="learning rate (default: the project's, else 0.1)")
    r.add_argument("--batch-size", type=int, default=None,
                   help="mini-batch size (default: the project's, else full batch)")
    r.add_argument("--seed", type=int, default=None, help="seed (default: the project's, else 0)")
    r.add_argument("--samples", type=int, default=200, help="samples of a built-in data set")
    r.add_argument("--noise", type=float, default=0.1, help="noise of a built-in data set")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    g = sub.add_parser("gradcheck", help="compare backprop gradients with finite differences")
    g.add_argument("network")
    g.add_argument("--input", help="comma-separated input values (default: a random batch)")
    g.add_argument("--target", help="comma-separated targets")
    from .engine.gradcheck import DEFAULT_TOLERANCE
    g.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help=f"largest relative error accepted ({DEFAULT_TOLERANCE:g})")
    g.add_argument("--eps", type=float, default=1e-6)

    e = sub.add_parser("export", help="write the standard figures, derivation and history without a display")
    e.add_argument("project", help="project or network file")
    e.add_argument("--steps", type=int, default=0, help="updates to train first (0: export as is)")
    e.add_argument("--out", required=True, help="output folder")
    e.add_argument("--format", default="png,svg,csv",
                   help="figure formats, comma-separated (png,svg,csv); or torch: a PyTorch training script")
    e.add_argument("--quiet", action="store_true")

    w = sub.add_parser("import-weights", help="put weights from a safetensors file into a copy of a project")
    w.add_argument("project", help="project or network file whose shapes the weights match")
    w.add_argument("weights", help="a .safetensors file (e.g. written by the exported train.py)")
    w.add_argument("--out", required=True, help="the new project file to write")

    c = sub.add_parser("compare", help="train variants of a project from the same start; overlay plots and a "
                                       "summary table")
    c.add_argument("project", help="project file (its network, data and settings are the baseline)")
    c.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2",
                   help="a setting and its values; several --vary give every combination. KEY: optimizer "
                        "(sgd, momentum, nesterov, rmsprop, adam, …), lr, momentum, init, activation, "
                        "batch_size (a number or full), seed, clip_grad_norm, clip_grad_value, l1, l2")
    c.add_argument("--preset", choices=("optimizers", "init", "batch"),
                   help="optimizers: SGD, momentum, Nesterov, RMSprop, Adam; init: zeros, small normal, "
                        "Xavier, He; batch: 1, 32, full batch")
    c.add_argument("--steps", type=int, required=True, help="parameter updates per run")
    c.add_argument("--out", required=True, help="output folder")
    c.add_argument("--target-loss", type=float, default=None,
                   help="report the update at which each run's training loss first reached this")
    c.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def cmd_import_weights(args) -> int:
    from .session.project import Project
    from .session.weights_import import import_weights
    project = import_weights(Project.load(args.project), args.weights)
    try:
        project.save(args.out)
    except OSError as exc:
        raise SystemExit(f"error: {args.out}: could not be written ({exc.strerror or exc})") from None
    print(f"wrote {args.out} with the weights of {args.weights}")
    return 0


def cmd_compare(args) -> int:
    import math

    from .engine import SpecError
    from .session import compare
    from .session.compare_files import write_all
    if args.steps < 1:
        raise SpecError("--steps", f"must be ≥ 1, got {args.steps}")
    if args.target_loss is not None and not math.isfinite(args.target_loss):
        raise SpecError("--target-loss", f"expected a finite number, got {args.target_loss}")
    axes = [compare.parse_vary(v) for v in args.vary]
    if args.preset:
        preset = [(k, [compare.parse_value(k, v) for v in values]) for k, values in compare.PRESETS[args.preset]]
        for key, _ in preset:
            if key in [k for k, _ in axes]:
                raise SpecError(f"--vary {key}", f"--preset {args.preset} already varies {key}; "
                                                 "leave out one of them")
        axes = preset + axes
    if not axes:
        raise SpecError("--vary", "nothing to compare: give --vary KEY=V1,V2 or --preset")
    project, _ = _load(args.project)
    runs = compare.make_runs(project, axes)
    show = not args.quiet
    for run in runs:
        ended = compare.train(run, args.steps)
        if show:
            s = compare.summary(run)
            final = "n/a" if s["final_loss"] is None else f"{s['final_loss']:.6g}"
            note = {"done": "", "diverged": f"; went non-finite at update {run.records[-1]['step']}, "
                                            "not applied"}.get(ended, f"; {ended}")
            print(f"{run.name}: final loss {final}{note}")
    written = write_all(runs, args.out, args.target_loss)
    print(f"compared {len(runs)} runs; wrote {', '.join(os.path.basename(p) for p in written)} to {args.out}")
    return 0


def cmd_export(args) -> int:
    import os
    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    if "torch" in formats and len(formats) > 1:
        raise SystemExit("error: --format: torch (the PyTorch training script) is exported on its own; "
                         "export the figures in a second run")
    if formats == ["torch"]:
        from .session.project import Project
        from .session.torch_script import write_torch_export
        if args.steps:
            raise SystemExit("error: --steps: the PyTorch export writes the project as it is (train in the script)")
        try:
            paths = write_torch_export(Project.load(args.project), args.out)
        except OSError as exc:
            raise SystemExit(f"error: {args.out}: could not be written ({exc.strerror or exc})") from None
        print(f"wrote {', '.join(os.path.basename(p) for p in paths)} to {args.out}; "
              f"run: python {os.path.join(args.out, 'train.py')} --steps 1000 --save weights.safetensors")
        return 0
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .app.launch import qt_problem
    problem = qt_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3
    from .app.headless_export import run
    written = run(args.project, args.steps, args.out, formats, args.quiet)
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help"):
        from .app.launch import launch
        return launch(argv)
    args = _parser().parse_args(argv)
    from .engine import SpecError
    try:
        return {"trace": cmd_trace, "train": cmd_train, "gradcheck": cmd_gradcheck,
                "export": cmd_export, "import-weights": cmd_import_weights,
                "compare": cmd_compare}[args.command](args)
    except SpecError as exc:
        print("error: " + " ".join(str(exc).split()), file=sys.stderr)
        return 2
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
            return 2
        raise
    except BrokenPipeError:
        # Output piped into head and the like: stop quietly.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except OSError as exc:
        # A folder that cannot be written, a full disk, a file that vanished.
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory; use a smaller network or fewer samples", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _load(path):
    """(Project, is_project_file) for a project or a network file."""
    from .engine import SpecError
    from .engine.files import read_json
    from .session.project import FORMAT, Project
    data = read_json(path, "project or network file")
    if isinstance(data, dict) and "format" not in data:
        raise SpecError(os.fspath(path), "format: missing: not a backprop-viz project or network file")
    is_project = isinstance(data, dict) and data.get("format") == FORMAT
    try:
        return Project.from_dict(data), is_project
    except SpecError as exc:
        raise SpecError(f"{os.fspath(path)}: {exc.path}" if exc.path else os.fspath(path), exc.detail) from None


def cmd_trace(args) -> int:
    import numpy as np

    from .engine import SpecError, trace
    from .engine.report import trace_report
    project, is_project = _load(args.network)
    if args.input is None:
        if args.target is not None:
            raise SpecError("--target", "goes with --input")
        if not is_project:
            raise SpecError("--input", "needed for a network file (it has no data); or give a project file "
                                       "to walk update K of its run with --update K")
        return _trace_update(project, 1 if args.update is None else args.update, args)
    if args.update is not None:
        raise SpecError("--update", "walks the project's own batches: leave out --input and --target")
    if args.target is None:
        raise SpecError("--target", "needed with --input")
    net = project.network()
    x = _floats(args.input, "--input")
    t = _floats(args.target, "--target")
    if net.recurrent:
        # A sequence: the values are time steps × features, in order.
        if len(x) % net.n_inputs:
            raise SpecError("--input", f"{len(x)} values are not whole time steps of {net.n_inputs} features")
        X = np.array(x).reshape(1, -1, net.n_inputs)
        T = np.array(t).reshape(1, -1, net.n_outputs) if net.sequence_output else np.array([t])
        tr = trace(net, X, T, lr=args.lr)
    else:
        tr = trace(net, [x], [t] if not (net.spec.loss == "cross_entropy" and len(t) == 1) else t,
                   lr=args.lr)
    print(trace_report(tr, args.level, max(1, min(args.digits, 17))))
    return 0


def _trace_update(project, k: int, args) -> int:
    """Update K of the project's run, derived as ``train --steps K`` makes it."""
    from .engine import SpecError, trace
    from .engine.report import trace_report
    from .engine.update_plan import preview
    from .session.training import TrainingSession
    from .session.walk import WHOLE, WalkSource
    if k < 1:
        raise SpecError("--update", f"must be ≥ 1, got {k}")
    session = TrainingSession(project)
    tr = session.trainer
    for _ in range(k - 1):
        rec = tr.step()
        if rec["nonfinite"]:
            nf = rec["nonfinite"]
            raise SpecError("--update", f"the run went non-finite at update {rec['step']} (node {nf['node']}), "
                                        f"before update {k}")
    plan = preview(tr)
    source = WalkSource(plan, "initial" if k == 1 else f"after update {k - 1:,}", WHOLE, 0)
    walk = trace(tr.net, plan.X, plan.T, plan=plan, rng=plan.dropout_rng)
    digits = max(1, min(args.digits, 17))
    print(f"Walk of {source.header()}")
    print()
    print(trace_report(walk, args.level, digits))
    print()
    print(f"Parameters after update {k} (every value, full precision)")
    for pu in plan.params:
        print(f"  {pu.name} = {json.dumps(pu.new.tolist())}")
    if plan.nonfinite:
        nf = plan.nonfinite
        print(f"\nUpdate {k} goes non-finite ({nf['phase']} pass, node {nf['node']}): training does not apply it")
        return 1
    return 0


def load_data(net, source: str, samples: int = 200, noise: float = 0.1, seed: int = 0):
    """(X, T) from a CSV path or a built-in data set name, checked against ``net``."""
    from .engine import SpecError
    from .engine.csvdata import read_csv_file, split_columns
    from .engine.datasets import GENERATORS, generate
    if source in GENERATORS:
        X, T = generate(source, samples, noise, seed)
    elif os.path.exists(source):
        _, data = read_csv_file(source)
        n_targets = net.n_outputs
        if net.spec.loss == "cross_entropy" and data.shape[1] == net.n_inputs + 1:
            n_targets = 1
        X, T = split_columns(data, net.n_inputs, n_targets, os.path.basename(source))
    else:
        raise SpecError("--data", f"{source!r} is neither a file nor a built-in data set "
                                  f"({', '.join(GENERATORS)})")
    X = net.check_inputs(X, "data inputs")
    T = net.check_targets(T, X.shape[0], "data targets")
    return X, T


def _progress(done: int, total: int, loss: float, started: float) -> None:
    width = 30
    filled = int(width * done / total)
    rate = done / max(time.perf_counter() - started, 1e-9)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                     f"loss {loss:.6g}  {rate:,.0f} steps/s ")
    sys.stderr.flush()


def cmd_train(args) -> int:
    from .engine import SpecError, Trainer
    from .engine.files import write_text_atomic
    project, is_project = _load(args.network)
    if args.steps < 0:
        raise SpecError("--steps", f"must be ≥ 0, got {args.steps}")
    if is_project:
        trainer = _project_trainer(project, args)
    else:
        net = project.network()
        if args.data is None:
            raise SpecError("--data", "needed for a network file (a project file brings its own data)")
        seed = 0 if args.seed is None else args.seed
        X, T = load_data(net, args.data, args.samples, args.noise, seed)
        trainer = Trainer(net, X, T, optimizer={"name": args.optimizer or "sgd",
                                                "lr": 0.1 if args.lr is None else args.lr},
                          batch_size=args.batch_size, seed=seed)
    net = trainer.net
    out = args.out or os.path.splitext(os.path.basename(args.network))[0] + "-run"
    os.makedirs(out, exist_ok=True)
    layers = len(net.spec.layers)
    header = (["step", "epoch", "loss", "val_loss", "lr"]
              + [f"grad_norm_{i + 1}" for i in range(layers)]
              + [f"weight_norm_{i + 1}" for i in range(layers)])
    rows = []
    started = time.perf_counter()
    last = None
    show = not args.quiet and sys.stderr.isatty()
    for k in range(args.steps):
        rec = trainer.step()
        last = rec
        rows.append([rec["step"], rec["epoch"], rec["loss"],
                     "" if rec["val_loss"] is None else rec["val_loss"], rec["lr"],
                     *rec["grad_norms"], *rec["weight_norms"]])
        if rec["nonfinite"]:
            nf = rec["nonfinite"]
            print(f"\nstopped at step {rec['step']}: the {nf['phase']} pass went non-finite first at "
                  f"node {nf['node']} ({nf['op']}); that update was not applied, and the files hold the "
                  "weights before it; try a lower learning rate or gradient clipping", file=sys.stderr)
            break
        if trainer.stopped:
            break
        if show and (k % 200 == 0 or k == args.steps - 1):
            _progress(k + 1, args.steps, rec["loss"], started)
    if show:
        sys.stderr.write("\n")
    import io
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomic(os.path.join(out, "history.csv"), buf.getvalue())
    import numpy as np
    if not np.isfinite(net.flat).all():  # pragma: no cover - the trainer never applies such an update
        raise SpecError("network", "non-finite weights are never written")
    from .engine import save_network
    save_network(net, os.path.join(out, "network.json"))
    if is_project:
        from .session.project import Project
        trained = Project(net.to_dict(), project.data, project.training, project.view)
        trained.save(os.path.join(out, "project.json"))
    summary = {"steps": trainer.steps, "epochs": trainer.epoch,
               "final_loss": None if last is None else last["loss"],
               "diverged": trainer.diverged}
    write_text_atomic(os.path.join(out, "summary.json"), json.dumps(summary, indent=1) + "\n")
    loss_text = "n/a" if last is None else f"{last['loss']:.9g}"
    extra = f", {out}/project.json" if is_project else ""
    print(f"trained {trainer.steps} steps ({trainer.epoch} epochs), final loss {loss_text}; "
          f"wrote {out}/history.csv, {out}/network.json{extra}")
    return 1 if trainer.diverged else 0


def _project_trainer(project, args):
    """The trainer the app trains this project with; explicit options override its settings."""
    from .session import data as data_mod
    from .session.training import TrainingSession
    t = dict(project.training)
    if args.optimizer is not None:
        t["optimizer"] = {"name": args.optimizer, "lr": t["optimizer"]["lr"] if args.lr is None else args.lr}
    elif args.lr is not None:
        t["optimizer"] = {**t["optimizer"], "lr": args.lr}
    if args.batch_size is not None:
        t["batch_size"] = args.batch_size
    if args.seed is not None:
        t["seed"] = args.seed
    project = project.with_training(t)
    if args.data is not None:
        net = project.network()
        X, T = load_data(net, args.data, args.samples, args.noise, t["seed"])
        project = project.with_data(data_mod.normalise({"kind": "samples", "X": X.tolist(), "T": T.tolist(),
                                                        "source": args.data}))
    return TrainingSession(project).trainer


def cmd_gradcheck(args) -> int:
    import numpy as np

    from .engine import gradient_check, load_network
    net = load_network(args.network)
    if args.input is not None:
        X = np.array([_floats(args.input, "--input")])
        if args.target is None:
            raise SystemExit("error: --target: needed with --input")
        t = _floats(args.target, "--target")
        T = t if net.spec.loss == "cross_entropy" and len(t) == 1 else [t]
    else:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(4, net.n_inputs))
        T = _random_targets(net, rng, 4)
    report = gradient_check(net, X, T, eps=args.eps)
    worst = 0.0
    print(f"{'parameter':<24} {'relative error':>15}  ")
    for r in report:
        flag = "ok" if r["rel_error"] <= args.tolerance else "TOO LARGE"
        print(f"{r['name']:<24} {r['rel_error']:>15.3e}  {flag}")
        worst = max(worst, r["rel_error"])
    print(f"largest relative error {worst:.3e} (tolerance {args.tolerance:g})")
    return 0 if worst <= args.tolerance else 1


def _random_targets(net, rng, n):
    import numpy as np
    k = net.n_outputs
    loss = net.spec.loss
    if loss == "cross_entropy":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "binary_cross_entropy":
        return rng.uniform(0, 1, (n, k))
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], (n, k))
    return rng.normal(size=(n, k))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
