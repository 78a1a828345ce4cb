"""A training run as an animated GIF: the loss curve so far beside the decision boundary, frame by frame.

The run is replayed from the project as it is (:func:`~backprop_viz.session.run_replay.replay`);
matplotlib draws each frame off screen (Agg) and Pillow writes the GIF, atomically.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.files import write_atomic
from ..session.run_replay import replay
from .theme import CLASS_PALETTE

FRAME_MS, LAST_MS = 200, 2500
SIZE_IN, DPI = (9.0, 4.0), 100


def _class_colours(T: np.ndarray) -> list:
    labels = T.argmax(axis=1) if T.shape[1] > 1 else (T[:, 0] > 0.5).astype(int)
    return [tuple(c / 255 for c in CLASS_PALETTE[int(k) % len(CLASS_PALETTE)]) for k in labels]


def export_run_gif(project, path: str, updates: int = 300, frames: int = 30, progress=None) -> list[str]:
    """Writes the replayed run as a GIF at ``path``; returns each frame's title. ``progress(done, total)``
    returning False cancels (nothing is written then)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    run = replay(project, updates, frames)
    X, T, _, _ = project.arrays()
    finite = np.concatenate([f.loss[np.isfinite(f.loss)] for f in run] + [np.array([])])
    log = len(finite) > 0 and finite.min() > 0
    if len(finite):
        lo, hi = float(finite.min()), float(finite.max())
        ylim = (lo / 1.5, hi * 1.5) if log else (min(lo, 0.0), hi * 1.05 or 1.0)
    else:
        ylim = (0.0, 1.0)
    plane = run[0].boundary is not None
    colours = _class_colours(T) if plane and X.shape[1] == 2 else None
    values = np.concatenate([f.boundary[2].ravel() for f in run]) if plane else np.array([0.0, 1.0])
    vmin, vmax = float(np.nanmin(values)), float(np.nanmax(values))
    if vmin >= 0 and vmax <= 1:
        vmin, vmax = 0.0, 1.0
    # One figure for every frame, its artists updated: the axes and layout are fixed, only data changes.
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.09, right=0.97, bottom=0.13, top=0.86, wspace=0.12)
    ax_loss = fig.add_subplot(1, 2 if plane else 1, 1)
    ax_loss.set_xlim(0, updates)
    if log:
        ax_loss.set_yscale("log")
    ax_loss.set_ylim(*ylim)
    ax_loss.set_xlabel("update")
    ax_loss.set_ylabel("loss")
    ax_loss.grid(True, alpha=0.3)
    (curve,) = ax_loss.plot([], [], color="#1f77b4", linewidth=1.2)
    (dot,) = ax_loss.plot([], [], "o", color="#e8710a", markersize=4)
    title = fig.suptitle("", fontsize=11)
    ax_b = contour = None
    if plane:
        ax_b = fig.add_subplot(1, 2, 2)
        if colours is not None:
            ax_b.scatter(X[:, 0], X[:, 1], c=colours, s=9, edgecolors="black", linewidths=0.3, zorder=3)
        ax_b.set_title("decision boundary", fontsize=10)
        ax_b.set_xticks([])
        ax_b.set_yticks([])
    titles, images = [], []
    for i, frame in enumerate(run):
        curve.set_data(frame.steps, frame.loss)
        last = frame.loss[-1] if len(frame.loss) else float("nan")
        dot.set_data([frame.steps[-1]], [last]) if math.isfinite(last) else dot.set_data([], [])
        if ax_b is not None:
            if contour is not None:
                contour.remove()
            xs, ys, grid = frame.boundary
            contour = ax_b.contourf(xs, ys, grid, levels=np.linspace(vmin, vmax, 11), cmap="RdBu_r",
                                    alpha=0.55, vmin=vmin, vmax=vmax, zorder=1)
        text = f"update {frame.step} of {updates}" + (f" · loss {last:.4g}" if math.isfinite(last) else "")
        title.set_text(text)
        canvas.draw()
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[:, :, :3].copy()))
        titles.append(text)
        if progress is not None and not progress(i + 1, len(run)):
            return []
    durations = [FRAME_MS] * (len(images) - 1) + [LAST_MS]

    def write(tmp):
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations,
                       loop=0, optimize=False)
    write_atomic(path, write)
    return titles
