"""Where every node of the walk's computational graph goes, and what it says, without Qt.

The graph view turns a :class:`GraphLayout` into scene items. Everything that is not an item
(positions, titles, tooltips, which nodes a folded node stands for, the edges) is worked out
here in one pass, so the view can make the items a slice at a time: a recurrent net unrolled
over 500 steps has about 3,000 nodes and 4,500 edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .graph_folding import FoldPlan, fold_plan
from .layout_geometry import layered_depths
from .stepper import LAYER, Stepper

NODE_W, NODE_H = 132, 50
COL_GAP, ROW_GAP = 176, 62
# At neuron level a neuron's weights and bias are small chips stacked right beside its sum node.
CHIP_H, CHIP_GAP, CHIP_TO_SUM = 36, 40, 36
BAND_GAP = 18
MARGIN = 30         # around the drawing, in scene units

Placed = tuple[int, float, float]     # (node id, x, y)


@dataclass
class LaidNode:
    id: int
    title: str
    sub: str
    tip: str
    x: float
    y: float
    compact: bool = False
    group: bool = False     # a folded layer's "… N more" node (its id is a FoldPlan group id)

    @property
    def height(self) -> float:
        return CHIP_H if self.compact else NODE_H


@dataclass
class GraphLayout:
    nodes: dict[int, LaidNode]                  # drawn id → node, left to right
    edges: list[tuple[int, int]]                # (input, consumer) between drawn ids
    groups: dict[int, list[int]]                # drawn id → the traced nodes it stands for
    plan: FoldPlan | None = None
    level: str = LAYER
    member_of: dict[int, int] = field(default_factory=dict)    # traced node → drawn id

    def rect(self) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the drawing with its margin."""
        if not self.nodes:
            return 0.0, 0.0, 0.0, 0.0
        left = min(n.x for n in self.nodes.values()) - MARGIN
        top = min(n.y for n in self.nodes.values()) - MARGIN
        right = max(n.x for n in self.nodes.values()) + NODE_W + MARGIN
        bottom = max(n.y + n.height for n in self.nodes.values()) + MARGIN
        return left, top, right - left, bottom - top

    def edge_line(self, src: int, dst: int) -> tuple[float, float, float, float]:
        """From the right middle of the input to the left middle of the consumer."""
        a, b = self.nodes[src], self.nodes[dst]
        return a.x + NODE_W, a.y + a.height / 2, b.x, b.y + b.height / 2

    def shown_for(self, nid: int) -> int:
        """The drawn node that stands for traced node ``nid`` (itself, its folded op, its group)."""
        return self.member_of.get(nid, nid)


def stepper_nodes(stepper: Stepper) -> list[tuple[int, str, str, list[int], str]]:
    """(id, name, op, inputs, shape) of every traced node, in topological order."""
    if stepper.level == LAYER:
        return [(n.id, n.name, n.op, list(n.inputs), "×".join(map(str, n.shape)) or "scalar")
                for n in stepper.trace.nodes]
    view = stepper.view
    assert view is not None, "a neuron-level walk has its neuron view"
    return [(n.id, n.label, n.kind, list(n.inputs), "") for n in view.nodes]


def layout_graph(stepper: Stepper, fold_time: bool = False, fold_weights: bool = False,
                 fold_wide: bool = True, expanded=frozenset(), shown=frozenset()) -> GraphLayout:
    """What the graph view draws for ``stepper``'s walk. ``fold_time``: one node per op of a
    recurrent net (layer level); ``fold_weights``, ``fold_wide``, ``expanded`` and ``shown``:
    neuron level, as :func:`fold_plan` takes them."""
    level = stepper.level
    nodes = stepper_nodes(stepper)
    rep = {nid: nid for nid, *_ in nodes}
    plan = None
    depth: dict[int, int] = {}
    if level == LAYER:
        depth = layered_depths([(nid, inputs) for nid, _, _, inputs, _ in nodes])
        if fold_time:
            nodes, rep, depth = _fold_time(nodes, depth)
    else:
        plan = fold_plan(stepper.view, expanded, shown, fold_weights=fold_weights, fold_wide=fold_wide)
        rep = dict(plan.rep)
        group_inputs: dict[int, dict[int, None]] = {g: {} for g in plan.groups}
        for nid, _, _, inputs, _ in nodes:
            if rep[nid] in group_inputs:
                group_inputs[rep[nid]].update(dict.fromkeys(rep[i] for i in inputs))
        nodes = [(nid, name, op, [i for i in dict.fromkeys(rep[i] for i in inputs) if i != nid], shape)
                 for nid, name, op, inputs, shape in nodes if rep[nid] == nid]
        nodes += [(g.id, g.title, "group", [i for i in group_inputs[g.id] if i != g.id], "")
                  for g in plan.groups.values()]
    groups: dict[int, list[int]] = {}
    for member, r in rep.items():
        groups.setdefault(r, []).append(member)
    compact: set[int] = set()
    if level == LAYER:
        pos = _layer_positions(nodes, depth)
    else:
        pos, compact = neuron_layout(stepper.view, folded=fold_weights, plan=plan)
    laid: dict[int, LaidNode] = {}
    edges: list[tuple[int, int]] = []
    for nid, name, op, inputs, shape in nodes:
        x, y = pos[nid]
        if op == "group" and plan is not None:
            g = plan.groups[nid]
            laid[nid] = LaidNode(nid, g.title, "", g.describe(), x, y, group=True)
        elif level == LAYER:
            sub = op if op not in ("param", "input", "const") else shape
            tip = f"{name}\nop: {op}" + (f"\nshape: {shape}" if shape else "")
            laid[nid] = LaidNode(nid, short_name(name), sub, tip, x, y)
        else:
            laid[nid] = LaidNode(nid, name, "", f"{name}\nop: {op}", x, y, compact=nid in compact)
        edges.extend((src, nid) for src in dict.fromkeys(inputs))
    member_of = {m: r for r, members in groups.items() for m in members if m != r}
    return GraphLayout(laid, edges, groups, plan, level, member_of)


def _fold_time(nodes, depth):
    """Every time step of an op as one node, placed where its first step was."""
    rep: dict[int, int] = {}
    first: dict[str, int] = {}
    for nid, name, *_ in nodes:
        rep[nid] = first.setdefault(fold_name(name), nid)
    shallowest: dict[int, int] = {}
    for nid, r in rep.items():
        shallowest[r] = min(shallowest.get(r, depth[nid]), depth[nid])
    folded_inputs: dict[int, dict[int, None]] = {}
    for nid, _, _, inputs, _ in nodes:
        folded_inputs.setdefault(rep[nid], {}).update(dict.fromkeys(rep[i] for i in inputs))
    nodes = [(nid, fold_name(name), op, [i for i in folded_inputs[nid] if i != nid], shape)
             for nid, name, op, inputs, shape in nodes if rep[nid] == nid]
    # Close the gaps the other time steps leave: consecutive columns.
    rank = {d: r for r, d in enumerate(sorted({shallowest[nid] for nid, *_ in nodes}))}
    depth = {nid: rank[shallowest[nid]] for nid, *_ in nodes}
    return nodes, rep, depth


def _layer_positions(nodes, depth) -> dict[int, tuple[float, float]]:
    columns: dict[int, list[int]] = {}
    for nid, *_ in nodes:
        columns.setdefault(depth[nid], []).append(nid)
    tallest = max((len(c) for c in columns.values()), default=0)
    pos = {}
    for d, ids in columns.items():
        y0 = (tallest - len(ids)) * ROW_GAP / 2
        for r, nid in enumerate(ids):
            pos[nid] = (float(d * COL_GAP), y0 + r * ROW_GAP)
    return pos


def neuron_layout(view, folded: bool = False,
                  plan: FoldPlan | None = None) -> tuple[dict[int, tuple[float, float]], set[int]]:
    """Neuron-level positions: layers left to right; in each, every neuron is a band with its
    weight and bias chips stacked beside its weighted sum, then its activation (and skip sum).
    A folded layer's "… N more" node takes one band where its first hidden neuron would be.
    Returns the positions and the ids drawn as compact chips."""
    nodes = view.nodes
    pos: dict[int, tuple[float, float]] = {}
    compact: set[int] = set()
    shown = plan.visible if plan is not None else (lambda _: True)
    group_at: dict[tuple[int, int], int] = {}     # (column, first hidden unit) → group id
    for g in (plan.groups.values() if plan is not None else ()):
        group_at[(g.column, g.units[0])] = g.id
    columns: list[list[Placed]] = []   # per layer block: (id, x, y) before centring
    block: list[Placed] = []
    r = 0
    for n in nodes:
        if n.kind != "input":
            continue
        gid = group_at.get((0, n.tensor[1][1]))
        if gid is not None:
            block.append((gid, 0.0, float(r * ROW_GAP)))
            r += 1
        if shown(n.id):
            block.append((n.id, 0.0, float(r * ROW_GAP)))
            r += 1
    columns.append(block)
    x = float(COL_GAP)
    layers = sorted({n.layer for n in nodes if n.kind == "sum"})
    after_sum: dict[tuple, list] = {}
    for n in nodes:
        if n.kind in ("act", "residual"):
            after_sum.setdefault((n.layer, n.unit), []).append(n)
    last_x = 0.0
    for li in layers:
        sums = [n for n in nodes if n.kind == "sum" and n.layer == li]
        block = []
        y = 0.0
        x_sum = x + NODE_W + CHIP_TO_SUM
        x_act = x_sum + COL_GAP
        x_res = x_act + COL_GAP
        has_res = any(n.kind == "residual" and n.layer == li for n in nodes)
        for s in sums:
            gid = group_at.get((li + 1, s.unit))
            if gid is not None:
                block.append((gid, x_sum, y))
                y += NODE_H + BAND_GAP
            if not shown(s.id):
                continue
            chips = [] if folded else [i for i in s.inputs if nodes[i].kind in ("weight", "bias") and shown(i)]
            band = max(len(chips) * CHIP_GAP, NODE_H)
            for k, c in enumerate(chips):
                block.append((c, x, y + k * CHIP_GAP))
                compact.add(c)
            mid = y + band / 2 - NODE_H / 2
            block.append((s.id, x_sum, mid))
            for n in after_sum.get((li, s.unit), ()):
                block.append((n.id, x_act if n.kind == "act" else x_res, mid))
            y += band + BAND_GAP
        columns.append(block)
        last_x = x_res if has_res else x_act
        x = last_x + COL_GAP
    # The loss, its targets (below the outputs), penalties and the total.
    tail: list[Placed] = []
    targets = [n.id for n in nodes if n.kind == "target" and shown(n.id)]
    loss = [n.id for n in nodes if n.kind == "loss"]
    pens = [n.id for n in nodes if n.kind == "penalty"]
    total = [n.id for n in nodes if n.kind == "total"]
    out_block = columns[-1]
    out_bottom = max((yy for _, _, yy in out_block), default=0.0) + ROW_GAP
    for r, t in enumerate(targets):
        out_block.append((t, last_x, float(out_bottom + r * ROW_GAP)))
    for r, nid in enumerate(loss + pens):
        tail.append((nid, x, float(r * ROW_GAP)))
    for nid in total:
        tail.append((nid, x + COL_GAP, 0.0))
    columns.append(tail)
    pos.update(_centred(columns))
    # Anything not placed above (a kind added later) goes in a column of its own, at the end.
    extra = [n.id for n in nodes if n.id not in pos and shown(n.id)
             and not (folded and n.kind in ("weight", "bias"))]
    for r, nid in enumerate(extra):
        pos[nid] = (float(x + 2 * COL_GAP), float(r * ROW_GAP))
    return pos, compact


def _centred(columns: list[list[Placed]]) -> dict[int, tuple[float, float]]:
    """Each layer's block centred on the tallest one."""
    pos = {}
    tallest = max((max(yy for _, _, yy in b) + NODE_H for b in columns if b), default=NODE_H)
    for block in columns:
        if not block:
            continue
        height = max(yy for _, _, yy in block) + NODE_H
        dy = (tallest - height) / 2
        for nid, xx, yy in block:
            pos[nid] = (float(xx), yy + dy)
    return pos


def fold_name(name: str) -> str:
    """layers.0.t3.act → layers.0.act, X.t3 → X: the name of an op across time steps."""
    return re.sub(r"\.t\d+(?=\.|$)", "", name)


def short_name(name: str) -> str:
    """layers.0.weight → W1, layers.0.act → act1: compact labels for the layer view."""
    parts = name.split(".")
    if len(parts) == 4 and parts[0] == "layers" and parts[2][:1] == "t" and parts[2][1:].isdigit():
        i, t, op = int(parts[1]) + 1, parts[2][1:], parts[3]
        return {"xw": f"x·Wx{i}", "hw": f"h·Wh{i}", "xw+hw": f"x·Wx+h·Wh{i}", "sum": f"z{i}",
                "act": f"h{i}", "matmul": f"a·W{i}", "h_in": f"h{i} (cut)"}.get(op, op) + f" @t{t}"
    if len(parts) == 2 and parts[1][:1] == "t" and parts[1][1:].isdigit():
        return {"X": "X", "T": "T", "loss": "E"}.get(parts[0], parts[0]) + f" @t{parts[1][1:]}"
    if len(parts) == 3 and parts[0] == "layers":
        i = int(parts[1]) + 1
        return {"weight": f"W{i}", "bias": f"b{i}", "gamma": f"γ{i}", "beta": f"β{i}",
                "matmul": f"X·W{i}" if i == 1 else f"a{i - 1}·W{i}", "sum": f"z{i}",
                "act": f"a{i}", "norm": f"norm{i}", "dropout": f"drop{i}",
                "residual": f"a{i}+skip", "weight_input": f"Wx{i}", "weight_hidden": f"Wh{i}",
                "xw": f"x·Wx{i}", "hw": f"h·Wh{i}", "xw+hw": f"x·Wx+h·Wh{i}", "h0": f"h{i} @t0",
                "h_in": f"h{i} (cut)"}.get(parts[2], name)
    return {"loss.data": "E", "loss": "E total", "loss.l1": "L1", "loss.l2": "L2"}.get(name, name)
