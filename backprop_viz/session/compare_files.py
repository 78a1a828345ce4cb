"""The files of a comparison: overlay plots (PNG, SVG), their CSV, and the summary table.

Plots are drawn with matplotlib's Agg canvas (no display, no Qt), so the
command works on a server and the session layer stays Qt-free. Every file is
written whole or not at all.
"""

from __future__ import annotations

import csv
import io
import math
import os

from ..engine.files import write_atomic, write_bytes, write_text_atomic
from .compare import Run, gradient_ratio, summary

# Colour-blind-safe (Okabe–Ito), distinct on white and in greyscale print.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
SUMMARY_COLUMNS = ("final_loss", "best_loss", "final_val_loss", "best_val_loss", "accuracy", "val_accuracy",
                   "reached_target_at", "updates", "diverged")


def series(runs: list[Run], value) -> tuple[list[int], list[list]]:
    """(updates, one column per run) with None where a run has no value (stopped early)."""
    # Only updates where some run has a value: validation and accuracy come at epoch ends.
    by_run = [{r["step"]: value(r) for r in run.records} for run in runs]
    steps = sorted({s for values in by_run for s, v in values.items() if v is not None})
    return steps, [[values.get(s) for s in steps] for values in by_run]


def _csv_text(runs, steps, columns) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["update", *[run.name for run in runs]])
    for i, s in enumerate(steps):
        w.writerow([s, *["" if c[i] is None else repr(float(c[i])) for c in columns]])
    return buf.getvalue()


def _loss(rec):
    v = rec["loss"]
    return v if math.isfinite(v) else None


def _val_loss(rec):
    v = rec.get("val_loss")
    return v if v is not None and math.isfinite(v) else None


def _figure(runs, steps, columns, title, ylabel, log_y):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8, 5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    drawn = 0
    for i, (run, col) in enumerate(zip(runs, columns)):
        pts = [(s, v) for s, v in zip(steps, col) if v is not None and (v > 0 or not log_y)]
        if not pts:
            # Kept in the legend, so a run never silently goes missing (zero gradients on a log axis).
            kind = "positive" if log_y else "finite"
            ax.plot([], [], color=COLOURS[i % len(COLOURS)], label=f"{run.name} (no {kind} values: not drawn)")
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, color=COLOURS[i % len(COLOURS)], linewidth=1.6, label=run.name,
                linestyle="-" if i < len(COLOURS) else "--")
        drawn += 1
    if log_y and drawn:
        from matplotlib.ticker import FuncFormatter
        ax.set_yscale("log")
        # Plain numbers (0.6, not 6×10⁻¹) read faster on a slide.
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
    ax.set_title(title)
    ax.set_xlabel("update")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend(loc="best", fontsize=9)
    elif runs:
        ax.legend(loc="upper right", fontsize=9)
    else:
        ax.text(0.5, 0.5, "no finite values to draw", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def _save_figure(fig, path: str, fmt: str) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    data = buf.getvalue()
    write_atomic(path, lambda tmp: write_bytes(tmp, data))


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def summary_rows(runs: list[Run], target_loss: float | None):
    keys = []
    for run in runs:
        for c in run.changes:
            if c.key not in keys:
                keys.append(c.key)
    header = ["run", *keys, *SUMMARY_COLUMNS]
    rows = []
    for run in runs:
        s = summary(run, target_loss)
        rows.append([run.name, *[run.settings.get(k, "") for k in keys], *[s[c] for c in SUMMARY_COLUMNS]])
    return header, rows


def _summary_csv(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
    return buf.getvalue()


def _summary_md(header, rows, target_loss) -> str:
    def cell(v):
        return _fmt(v).replace("|", "\\|") or "–"
    lines = ["| " + " | ".join(h.replace("_", " ") for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    note = (f"\nreached target at: the first update whose training loss was ≤ {target_loss:g} "
            "(– if never).\n" if target_loss is not None else "")
    return "\n".join(lines) + "\n" + note


def write_all(runs: list[Run], out: str, target_loss: float | None = None) -> list[str]:
    """Write every file of the comparison into ``out``; the paths written."""
    os.makedirs(out, exist_ok=True)
    written = []

    def text(name, body):
        path = os.path.join(out, name)
        write_text_atomic(path, body)
        written.append(path)

    plots = [("loss", _loss, "Training loss", "loss", True)]
    if any(r.get("val_loss") is not None for run in runs for r in run.records):
        plots.append(("val_loss", _val_loss, "Validation loss", "loss", True))
    if any(r.get("accuracy") is not None for run in runs for r in run.records):
        plots.append(("accuracy", lambda r: r.get("accuracy"), "Training accuracy (at each epoch's end)",
                      "accuracy", False))
    if any(gradient_ratio(r) is not None for run in runs for r in run.records):
        plots.append(("grad_ratio", gradient_ratio, "Gradient ratio ‖∂E/∂W‖ first layer / last layer",
                      "first / last", True))
    for name, value, title, ylabel, log_y in plots:
        steps, columns = series(runs, value)
        text(f"{name}.csv", _csv_text(runs, steps, columns))
        fig = _figure(runs, steps, columns, title, ylabel, log_y)
        for fmt in ("png", "svg"):
            path = os.path.join(out, f"{name}.{fmt}")
            _save_figure(fig, path, fmt)
            written.append(path)
    header, rows = summary_rows(runs, target_loss)
    text("summary.csv", _summary_csv(header, rows))
    text("summary.md", _summary_md(header, rows, target_loss))
    return written
