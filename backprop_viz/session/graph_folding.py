"""Which neurons of the neuron-level graph are drawn, and which wait in a "… N more" group.

A layer wider than :data:`FOLD_ABOVE` shows its first and last few neurons and one
group node for the rest; the learner opens a group by clicking it. Whatever the walk
is on, or the learner looked for, is shown even inside a folded layer, so the current
node is never hidden. No Qt here: the graph view draws the plan this module makes.

Columns count as the canvas does: 0 is the inputs, ``i + 1`` is spec layer ``i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FOLD_ABOVE = 8      # a column wider than this is folded
KEEP_HEAD = 3       # neurons kept at the top of a folded column
KEEP_TAIL = 2       # and at its bottom

Unit = tuple[int, int]     # (column, neuron index in it)


@dataclass
class FoldGroup:
    id: int                 # the group node's id (above every real node id)
    column: int
    units: list[int]        # the hidden neurons, in order
    members: list[int] = field(default_factory=list)   # scalar node ids drawn as this group

    @property
    def title(self) -> str:
        return f"… {len(self.units)} more"

    def describe(self) -> str:
        what = "inputs" if self.column == 0 else f"neurons of layer {self.column}"
        first, last = self.units[0] + 1, self.units[-1] + 1
        return (f"{len(self.units)} {what} folded ({first}–{last}, {len(self.members)} scalar nodes); "
                "click to show them all")


@dataclass
class FoldPlan:
    rep: dict[int, int]                   # every node id → the id drawn for it (itself, its sum, a group)
    groups: dict[int, FoldGroup]          # group id → group
    hidden: set[int]                      # node ids drawn as something else because of folding

    def visible(self, nid: int) -> bool:
        return self.rep.get(nid, nid) == nid


def column_unit(view, nid: int) -> Unit | None:
    """The canvas neuron a scalar node belongs to (None for the loss and its kin)."""
    n = view.nodes[nid]
    if n.kind == "input":
        return 0, n.tensor[1][1]
    if n.kind == "target":
        return (len(view.spec.layers), n.tensor[1][1]) if view.spec is not None else None
    if n.kind in ("weight", "bias", "sum", "act", "residual") and n.layer is not None:
        return n.layer + 1, n.unit
    return None


def input_unit(view, nid: int) -> Unit | None:
    """For a weight chip, the neuron of the column before whose output it multiplies."""
    n = view.nodes[nid]
    if n.kind == "weight" and n.param is not None:
        return n.layer, n.param[1][0]
    return None


def needed_units(view, nid: int) -> set[Unit]:
    """The neurons that must be shown for ``nid`` to be drawn as itself."""
    out = set()
    for u in (column_unit(view, nid), input_unit(view, nid)):
        if u is not None:
            out.add(u)
    return out


def column_widths(view) -> dict[int, int]:
    widths: dict[int, int] = {}
    for n in view.nodes:
        u = column_unit(view, n.id)
        if u is not None:
            widths[u[0]] = max(widths.get(u[0], 0), u[1] + 1)
    return widths


def folded(widths: dict[int, int], unit: Unit, expanded, shown) -> bool:
    """Is this neuron inside the group of its folded column?"""
    col, u = unit
    width = widths.get(col, 0)
    if width <= FOLD_ABOVE or col in expanded or unit in shown:
        return False
    return KEEP_HEAD <= u < width - KEEP_TAIL


def fold_plan(view, expanded: set[int] | frozenset = frozenset(),
              shown: set[Unit] | frozenset = frozenset(), fold_weights: bool = False,
              fold_wide: bool = True) -> FoldPlan:
    """What to draw: columns in ``expanded`` are drawn whole; ``shown`` neurons are drawn
    even inside a folded column; ``fold_weights`` draws every chip inside its sum."""
    widths = column_widths(view)
    hidden_units: dict[int, list[int]] = {}
    if fold_wide:
        for col, width in widths.items():
            units = [u for u in range(width) if folded(widths, (col, u), expanded, shown)]
            if units:
                hidden_units[col] = units
    base = len(view.nodes)
    groups = {base + col: FoldGroup(base + col, col, units) for col, units in hidden_units.items()}
    hidden_sets = {col: set(units) for col, units in hidden_units.items()}

    def is_hidden(u: Unit | None) -> bool:
        return u is not None and u[1] in hidden_sets.get(u[0], ())

    rep: dict[int, int] = {}
    hidden: set[int] = set()
    sum_of: dict[int, int] = {}
    for n in view.nodes:
        if n.kind == "sum":
            for i in n.inputs:
                if view.nodes[i].kind in ("weight", "bias"):
                    sum_of[i] = n.id
    for n in view.nodes:
        u = column_unit(view, n.id)
        if u is not None and is_hidden(u):
            gid = base + u[0]
            rep[n.id] = gid
            groups[gid].members.append(n.id)
            hidden.add(n.id)
        elif n.kind in ("weight", "bias") and n.id in sum_of:
            if is_hidden(input_unit(view, n.id)):
                rep[n.id] = sum_of[n.id]
                hidden.add(n.id)
            else:
                rep[n.id] = sum_of[n.id] if fold_weights else n.id
        else:
            rep[n.id] = n.id
    return FoldPlan(rep, groups, hidden)
