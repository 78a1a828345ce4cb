"""Window geometry as plain numbers: which panels each workspace shows and how big, and
whether a saved window fits the screen it opens on. No Qt here, so it is tested on its own."""

from __future__ import annotations

from collections.abc import Sequence

from dataclasses import dataclass

BUILD, WALK, TRAIN = "build", "walk", "train"
WORKSPACES = (BUILD, WALK, TRAIN)
WORKSPACE_TITLES = {BUILD: "Build", WALK: "Walk", TRAIN: "Train"}
WORKSPACE_TIPS = {
    BUILD: "Draw and edit the network: the canvas, the data and the inspector get the room",
    WALK: "Walk the forward and backward pass: the computational graph and the formula get most of the window",
    TRAIN: "Train and watch: the live plots get most of the window",
}
# Every dockable panel, by name. The window keeps a saved layout only if it knows all of them.
PANELS = ("inspector", "training", "data", "stepper", "plots", "help", "compare")
SIDE_PANELS = ("inspector", "training", "data", "help")


@dataclass(frozen=True)
class WorkspacePlan:
    """Panels shown, which tab is in front, and sizes in pixels for one window size."""
    visible: frozenset
    raised: str
    bottom_spans_width: bool        # the bottom panel runs under the side panels too
    left_width: int = 0
    right_width: int = 0
    bottom_height: int = 0
    data_below: bool = False        # the data panel sits in the bottom row, left of the plots


def _clamp(v: float, lo: int, hi: int) -> int:
    return int(max(lo, min(hi, v)))


def side_width(window_width: int, share: float) -> int:
    """A side panel's width: a share of the window, but never too narrow to read nor wider than needed."""
    return _clamp(window_width * share, 300, 460)


def workspace_plan(name: str, width: int, height: int) -> WorkspacePlan:
    if name not in WORKSPACES:
        raise ValueError(f"unknown workspace {name!r} (expected one of {', '.join(WORKSPACES)})")
    if name == BUILD:
        return WorkspacePlan(frozenset({"data", "inspector", "training"}), "inspector", False,
                             left_width=side_width(width, 0.22), right_width=side_width(width, 0.25))
    if name == WALK:
        # The graph needs height more than anything: the stepper runs the full width and the
        # canvas above it keeps a strip that still shows the network.
        return WorkspacePlan(frozenset({"stepper"}), "stepper", True,
                             right_width=side_width(width, 0.25),
                             bottom_height=round(height * (0.80 if height < 1000 else 0.72)))
    # The plots and the data (with its decision boundary) share a bottom row that runs the full
    # width and most of the height; the canvas and the training controls keep a band above.
    return WorkspacePlan(frozenset({"plots", "data", "training", "inspector"}), "training", True,
                         left_width=side_width(width, 0.24), right_width=side_width(width, 0.25),
                         bottom_height=round(height * 0.6), data_below=True)


def fits_screen(window: tuple[int, int, int, int], screen: tuple[int, int, int, int],
                margin: int = 40) -> bool:
    """A saved window (x, y, w, h) is usable on a screen (x, y, w, h): no larger than it, and
    its title bar lies on it (so it can be grabbed and moved)."""
    wx, wy, ww, wh = window
    sx, sy, sw, sh = screen
    if ww <= 0 or wh <= 0 or ww > sw or wh > sh:
        return False
    return sx - margin <= wx and wx + ww <= sx + sw + margin and sy - margin <= wy <= sy + sh - margin


def first_window_size(screen_width: int, screen_height: int) -> tuple[int, int]:
    """The first-launch window: the whole of a small screen, most of a large one (at most 1600×1000)."""
    w = screen_width if screen_width <= 1440 else min(1600, int(screen_width * 0.9))
    h = screen_height if screen_height <= 900 else min(1000, int(screen_height * 0.9))
    return w, h


# -- the network canvas ---------------------------------------------------------------------
COLUMN_GAP = 190
MIN_COLUMN_GAP = 130
ROW_GAP = 44
COLLAPSE_ABOVE = 24
SHOW_EACH_SIDE = 10


def column_gap(columns: int) -> float:
    """Deep networks get narrower columns, so the whole network stays legible in view."""
    return COLUMN_GAP if columns <= 6 else max(MIN_COLUMN_GAP, COLUMN_GAP - 15 * (columns - 6))


def visible_units(n: int) -> list[int | None]:
    """Unit indices to draw, with None where the ellipsis goes."""
    if n <= COLLAPSE_ABOVE:
        return list(range(n))
    return list(range(SHOW_EACH_SIDE)) + [None] + list(range(n - SHOW_EACH_SIDE, n))


def neuron_positions(sizes: list[int]) -> dict[tuple[int, int | None, int], tuple[float, float]]:
    """Where each drawn unit sits: {(column, unit or None for the ellipsis, row): (x, y)}; columns
    left to right, each centred vertically on y = 0."""
    gap = column_gap(len(sizes))
    out = {}
    for c, n in enumerate(sizes):
        vis = visible_units(n)
        y0 = -(len(vis) - 1) * ROW_GAP / 2
        for r, unit in enumerate(vis):
            out[(c, unit, r)] = (c * gap, y0 + r * ROW_GAP)
    return out


Rect = tuple[float, float, float, float]     # x, y, width, height


def _overlap(a: Rect, b: Rect, pad: float) -> bool:
    return (a[0] < b[0] + b[2] + pad and b[0] < a[0] + a[2] + pad
            and a[1] < b[1] + b[3] + pad and b[1] < a[1] + a[3] + pad)


def place_labels(candidates: list[list[Rect]], obstacles: Sequence[Rect] = (), pad: float = 1.0) -> list[int | None]:
    """For each label, the index of the first of its candidate places that overlaps neither an
    obstacle nor a label already placed; None when every place is taken (the label is left out,
    its value stays in the tooltip). Labels are placed in the order given."""
    placed: list[Rect] = []
    out: list[int | None] = []
    for options in candidates:
        choice = None
        for i, r in enumerate(options):
            if not any(_overlap(r, o, pad) for o in obstacles) and not any(_overlap(r, p, pad) for p in placed):
                choice = i
                placed.append(r)
                break
        out.append(choice)
    return out


# -- the computational graph ------------------------------------------------------------------
def layered_depths(nodes: list[tuple[int, list[int]]]) -> dict[int, int]:
    """Longest-path layering; a leaf sits one column left of its first consumer."""
    inputs = dict(nodes)
    depth: dict[int, int] = {}
    consumers: dict[int, list[int]] = {}
    for nid, ins in nodes:   # nodes come in topological order
        for i in ins:
            consumers.setdefault(i, []).append(nid)
        non_leaf_inputs = [depth[i] for i in ins if inputs.get(i)]
        depth[nid] = (max(non_leaf_inputs) + 1 if non_leaf_inputs else 1) if ins else 0
    for nid, ins in nodes:
        if not ins and nid in consumers:
            depth[nid] = max(0, min(depth[c] for c in consumers[nid]) - 1)
    shift = min(depth.values()) if depth else 0
    return {k: v - shift for k, v in depth.items()}
