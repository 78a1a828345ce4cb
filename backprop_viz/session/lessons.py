"""Lessons: a starting project and a sequence of steps a student follows.

A lesson file is JSON::

    {"format": "backprop-viz/lesson", "version": 1, "title": "…",
     "project": {<a project or network file's contents>},
     "steps": [{"text": "Markdown…",
                "setup": {"template": "worked_example", "training": {…}, "walk": "end_of_backward"},
                "controls": {"shown": […], "hidden": […], "locked": […]},
                "check": {"kind": "predict", "quantity": "gradient", "of": "W1", "tolerance": 1e-6,
                          "hint": "…"}}]}

Checks are ``predict`` (a number or a sign the walk computes; see
:data:`QUANTITIES`), ``reach`` (a metric goal such as ``loss <= 0.05``) and
``find`` (a node or parameter element to select). Names in ``of``/``answer``
are the walk's labels (``W1``, ``predicted``, ``E`` at neuron level) or
parameter elements (``layers.0.weight[1,0]``). Every problem raises
``SpecError`` with the field path (``steps[2].check.tolerance: …``), as
project files do.
"""

from __future__ import annotations

from typing import Any

import copy
import math
import re
from dataclasses import dataclass

import numpy as np

from ..engine import SpecError
from ..engine.fields import _show, is_number
from ..engine.files import dumps, write_text_atomic
from ..engine.formatting import fmt
from .project import Project, load_located, validate_training
from .stepper import BACKWARD, FORWARD, LAYER, UPDATE, Stepper
from .templates import BY_KEY, open_template

FORMAT = "backprop-viz/lesson"
VERSION = 1

# What a lesson can show, hide or lock: the window's parts, by the names the panel uses.
CONTROLS = ("editor", "inspector", "training", "stepper", "graph", "formula", "data", "plots",
            "templates", "export")
WALK_POSITIONS = ("start", "loss", "end_of_backward", "end")
# predict quantities: what the walk computes for the element named in "of".
QUANTITIES = ("value", "gradient", "updated", "update_sign", "loss", "loss_after", "time_ratio")
NEEDS_OF = ("value", "gradient", "updated", "update_sign")
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
OPS = ("<=", ">=")
CHECK_KEYS = {
    "predict": ("kind", "quantity", "of", "tolerance", "rtol", "hint"),
    "reach": ("kind", "metric", "op", "value", "max_hidden_units", "hint"),
    "find": ("kind", "answer", "hint"),
}
SIGNS = {"up": 1, "+": 1, "increase": 1, "increases": 1, "down": -1, "-": -1, "−": -1, "decrease": -1,
         "decreases": -1, "same": 0, "unchanged": 0, "0": 0}
_ELEMENT = re.compile(r"^([A-Za-z_][\w.]*)\[(\d+(?:\s*,\s*\d+)*)\]$")


def _keys(d, allowed, path):
    if not isinstance(d, dict):
        raise SpecError(path, f"expected an object, got {type(d).__name__}")
    for key in d:
        if key not in allowed:
            raise SpecError(f"{path}.{key}" if path else key, f"unknown key (expected one of {', '.join(allowed)})")


def _text(v, path, required=True):
    if v is None and not required:
        return None
    if not isinstance(v, str) or (required and not v.strip()):
        raise SpecError(path, f"expected text, got {_show(v)}")
    return v


# -- walks of a project ------------------------------------------------------------------------------
def lesson_stepper(project: Project) -> Stepper:
    """The walk the lesson's checks are about: the project's next update on its first sample,
    as the stepper shows it (same optimizer step, same learning rate)."""
    from .walk import local_plan
    X, T, _, _ = project.arrays()
    X, T = X[:1], T[:1]
    plan = local_plan(project, 0, 0, X, T)
    return Stepper(project.network(), X, T, plan=plan)


@dataclass(frozen=True)
class Target:
    """A scalar in the walk: the level it lives at and its node there, plus the element's index
    in a layer-level tensor (None at neuron level)."""

    level: str
    node: int
    index: tuple | None
    label: str


def resolve(stepper: Stepper, name: str, path: str = "of") -> Target:
    """The walk's node for a label (``W1``) or a parameter element (``layers.0.weight[1,0]``)."""
    if not isinstance(name, str) or not name.strip():
        raise SpecError(path, f"expected a node or parameter name, got {_show(name)}")
    view = stepper.view
    if view is not None and name in view.by_label:
        return Target("neuron", view.by_label[name], None, name)
    m = _ELEMENT.match(name.replace(" ", ""))
    tensor, index = (m.group(1), tuple(int(i) for i in m.group(2).split(","))) if m else (name, ())
    tr = stepper.trace
    if tensor in tr.by_name:
        node = tr.node(tensor)
        shape = np.shape(node.value)
        if len(index) != len(shape) and not (index == () and node.value.size == 1):
            raise SpecError(path, f"{tensor} has shape {shape}: name one element, e.g. {tensor}[{','.join('0' * len(shape))}]")
        if index and any(not 0 <= i < n for i, n in zip(index, shape)):
            raise SpecError(path, f"{name}: index out of range for shape {shape}")
        return Target(LAYER, node.id, index or tuple(0 for _ in shape), name)
    known = list(view.by_label) if view is not None else sorted(n for n in tr.by_name if "." in n)
    raise SpecError(path, f"no node or parameter {name!r} in this walk (known: {', '.join(known[:12])}"
                          f"{', …' if len(known) > 12 else ''})")


# -- checks -----------------------------------------------------------------------------------------------
def _validate_predict(d: dict, out: dict, path: str, stepper: Stepper | None) -> None:
    q = d.get("quantity")
    if q not in QUANTITIES:
        raise SpecError(f"{path}.quantity", f"expected one of {', '.join(QUANTITIES)}, got {_show(q)}")
    if q in NEEDS_OF:
        if "of" not in d:
            raise SpecError(f"{path}.of", f"missing (which element's {q.replace('_', ' ')}?)")
        if stepper is not None:
            resolve(stepper, d["of"], f"{path}.of")
    elif "of" in d:
        raise SpecError(f"{path}.of", f"not used by quantity {q!r}")
    if q == "time_ratio" and stepper is not None:
        time_norms(stepper, f"{path}.quantity")
    if q == "update_sign":
        for key in ("tolerance", "rtol"):
            if key in d:
                raise SpecError(f"{path}.{key}", "a sign has no tolerance")
    else:
        rtol = d.get("rtol")
        if rtol is not None and (not is_number(rtol) or not 0 < rtol < 1):
            raise SpecError(f"{path}.rtol", f"expected a fraction between 0 and 1, got {_show(rtol)}")
        # With a relative tolerance alone, a tiny value is not matched by 0.
        tol = d.get("tolerance", 0 if rtol is not None else 1e-6)
        if not is_number(tol) or not (0 < tol < math.inf or (tol == 0 and rtol is not None)):
            raise SpecError(f"{path}.tolerance", f"expected a number > 0, got {_show(tol)}")
        out["tolerance"] = tol


def validate_check(d, path: str, stepper: Stepper | None) -> dict:
    if not isinstance(d, dict):
        raise SpecError(path, f"expected an object, got {type(d).__name__}")
    kind = d.get("kind")
    if kind not in CHECK_KEYS:
        raise SpecError(f"{path}.kind", f"expected one of {', '.join(CHECK_KEYS)}, got {_show(kind)}")
    _keys(d, CHECK_KEYS[kind], path)
    out = copy.deepcopy(d)
    _text(d.get("hint"), f"{path}.hint", required=False)
    if kind == "predict":
        _validate_predict(d, out, path, stepper)
    elif kind == "reach":
        if d.get("metric") not in METRICS:
            raise SpecError(f"{path}.metric", f"expected one of {', '.join(METRICS)}, got {_show(d.get('metric'))}")
        if d.get("op") not in OPS:
            raise SpecError(f"{path}.op", f"expected one of {', '.join(OPS)}, got {_show(d.get('op'))}")
        if not is_number(d.get("value")) or not math.isfinite(d["value"]):
            raise SpecError(f"{path}.value", f"expected a number, got {_show(d.get('value'))}")
        mh = d.get("max_hidden_units")
        if mh is not None and (not isinstance(mh, int) or isinstance(mh, bool) or mh < 0):
            raise SpecError(f"{path}.max_hidden_units", f"expected a whole number ≥ 0, got {_show(mh)}")
    else:
        if "answer" not in d:
            raise SpecError(f"{path}.answer", "missing (which node or parameter element is the one to find?)")
        if stepper is not None:
            resolve(stepper, d["answer"], f"{path}.answer")
    return out


@dataclass(frozen=True)
class Feedback:
    correct: bool
    message: str         # what the student reads first
    working: str         # the walk's own formula for the value: the right working
    expected: str        # the right answer, as text


def _step_of(stepper: Stepper, phase: str, target: Target | None) -> int:
    level_steps = stepper._steps[target.level if target else stepper.level]
    for i, s in enumerate(level_steps):
        if s.phase == phase and (target is None or s.node == target.node):
            return i
    raise SpecError("of", f"{target.label if target else 'the loss'} has no {phase} step in this walk")


def _working(stepper: Stepper, level: str, i: int) -> str:
    step = stepper._steps[level][i]
    old = stepper.level
    stepper.level = level
    try:
        return stepper.describe(step)
    finally:
        stepper.level = old


def time_norms(stepper: Stepper, path: str = "quantity") -> list[float]:
    """‖∂E/∂h_t‖ for t = 1…T of the walk's first recurrent layer (its hidden states, one per time step)."""
    by_name = stepper.trace.by_name
    layer = next((i for i in range(len(stepper.network.spec.layers)) if f"layers.{i}.t1.act" in by_name), None)
    if layer is None:
        raise SpecError(path, "time_ratio needs a recurrent layer, and this network has none")
    norms = []
    t = 1
    while f"layers.{layer}.t{t}.act" in by_name:
        g = stepper.trace.node(f"layers.{layer}.t{t}.act").grad
        norms.append(0.0 if g is None else float(np.sqrt(np.sum(np.square(g)))))
        t += 1
    return norms


def _subscript(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def expected_value(check: dict, stepper: Stepper) -> tuple[float, str]:
    """(value, working) of a predict check in this walk; the value of update_sign is −1, 0 or 1."""
    q = check["quantity"]
    tr = stepper.trace
    if q == "time_ratio":
        norms = time_norms(stepper)
        first, last = norms[0], norms[-1]
        ratio = first / last if last > 0 else math.inf
        T = _subscript(len(norms))
        return ratio, (f"‖∂E/∂h₁‖ / ‖∂E/∂h{T}‖ = {fmt(first, 4)} / {fmt(last, 4)} = {fmt(ratio, 4)} "
                       f"(each step back through time multiplies by W_hᵀ and the activation's derivative: {len(norms) - 1} times)")
    if q in ("loss", "loss_after"):
        level = stepper.level
        if q == "loss":
            i = max(j for j, s in enumerate(stepper._steps[level]) if s.phase == FORWARD)
            return float(tr.loss), _working(stepper, level, i)
        return float(tr.loss_after), _working(stepper, level, len(stepper._steps[level]) - 1)
    t = resolve(stepper, check["of"])
    value: Any
    grad: Any
    new: Any
    if t.level == "neuron":
        assert stepper.view is not None
        nnode = stepper.view.nodes[t.node]
        nupd = next((u for u in stepper.view.updates if u.node == t.node), None)
        value, grad = nnode.value, nnode.grad
        new = nupd.new if nupd is not None else None
    else:
        tnode = tr.nodes[t.node]
        assert t.index is not None
        value, grad = tnode.value[t.index], (None if tnode.grad is None else tnode.grad[t.index])
        tupd = next((u for u in tr.updates if u.param == tnode.name), None)
        new = tupd.new[t.index] if tupd is not None else None
    if q == "value":
        if node_is_computed(stepper, t):
            return float(value), _working(stepper, t.level, _step_of(stepper, FORWARD, t))
        return float(value), f"{t.label} = {fmt(value)} (given, not computed)"
    if q == "gradient":
        if grad is None:
            raise SpecError("of", f"{t.label} gets no gradient in this walk")
        return float(grad), _working(stepper, t.level, _step_of(stepper, BACKWARD, t))
    if new is None:
        raise SpecError("of", f"{t.label} is not a parameter, so the update does not change it")
    working = _working(stepper, t.level, _step_of(stepper, UPDATE, t))
    if q == "updated":
        return float(new), working
    return float(np.sign(float(new) - float(value))), working


def node_is_computed(stepper: Stepper, t: Target) -> bool:
    steps = stepper._steps[t.level]
    return any(s.phase == FORWARD and s.node == t.node for s in steps)


def parse_answer(text: str, quantity: str) -> float:
    """The student's typed answer as a number (a sign for update_sign); ValueError with a readable
    message when it is neither."""
    s = (text or "").strip()
    if quantity == "update_sign":
        key = s.lower()
        if key in SIGNS:
            return float(SIGNS[key])
        raise ValueError("type up or down (or same)")
    try:
        v = float(s.replace("−", "-").replace(",", "."))
    except ValueError:
        raise ValueError(f"{s!r} is not a number; type it like 0.0093 or 9.3e-3") from None
    if not math.isfinite(v):
        raise ValueError("type a finite number")
    return v


def check_predict(check: dict, stepper: Stepper, answer: str, digits: int = 9) -> Feedback:
    """Whether ``answer`` is what this walk computes, with the walk's own working either way."""
    value, working = expected_value(check, stepper)
    q = check["quantity"]
    if q == "update_sign":
        expected = {1: "up", -1: "down", 0: "same"}[int(value)]
    elif q == "time_ratio":
        expected = fmt(value, 4)
    else:
        expected = fmt(value, digits)
    try:
        given = parse_answer(answer, q)
    except ValueError as exc:
        return Feedback(False, f"Not an answer: {exc}.", "", expected)
    if q == "update_sign":
        ok = given == value
    else:
        ok = abs(given - value) <= max(check.get("tolerance", 1e-6), check.get("rtol", 0) * abs(value))
    if ok:
        return Feedback(True, f"Right: {expected}.", working, expected)
    return Feedback(False, f"Not quite: the walk computes {expected}. Here is the working:", working, expected)


def check_reach(check: dict, metrics: dict, hidden_units: int | None = None) -> Feedback:
    """Whether the latest metrics meet the goal; ``metrics`` maps METRICS names to numbers."""
    goal = f"{check['metric'].replace('_', ' ')} {check['op'].replace('<=', '≤').replace('>=', '≥')} {check['value']}"
    v = metrics.get(check["metric"])
    if v is None or not math.isfinite(v):
        return Feedback(False, f"Goal: {goal}. No {check['metric'].replace('_', ' ')} yet: train first.", "", goal)
    met = v <= check["value"] if check["op"] == "<=" else v >= check["value"]
    limit = check.get("max_hidden_units")
    if met and limit is not None and hidden_units is not None and hidden_units > limit:
        return Feedback(False, f"{v:.4g} meets {goal}, but with {hidden_units} hidden neurons; at most {limit}.",
                        "", goal)
    if met:
        return Feedback(True, f"Reached: {check['metric'].replace('_', ' ')} = {v:.4g} ({goal}).", "", goal)
    return Feedback(False, f"Not yet: {check['metric'].replace('_', ' ')} = {v:.4g}; goal {goal}.", "", goal)


def _element(stepper: Stepper, t: Target) -> tuple:
    """(tensor name, index): the same scalar named at either level compares equal."""
    if t.level == "neuron":
        assert stepper.view is not None
        tensor = stepper.view.nodes[t.node].tensor
        assert tensor is not None
        name, index = tensor
        return name, tuple(index)
    return stepper.trace.nodes[t.node].name, tuple(t.index or ())


def latest_metrics(history) -> dict:
    """The newest value of every reach metric in a training History (absent ones left out)."""
    out = {}
    _, loss = history.loss()
    if len(loss) and math.isfinite(loss[-1]):
        out["loss"] = float(loss[-1])
    _, val = history.val_loss()
    if len(val):
        out["val_loss"] = float(val[-1])
    _, acc, val_acc = history.accuracy()
    for key, col in (("accuracy", acc), ("val_accuracy", val_acc)):
        finite = col[np.isfinite(col)]
        if len(finite):
            out[key] = float(finite[-1])
    return out


def hidden_units(network_spec: dict) -> int:
    return sum(int(layer["units"]) for layer in network_spec["layers"][:-1])


def check_find(check: dict, stepper: Stepper, selected: str) -> Feedback:
    want = resolve(stepper, check["answer"])
    try:
        got = resolve(stepper, selected, "selection")
    except SpecError:
        return Feedback(False, f"{selected or 'Nothing'} is not a node of this walk.", "", want.label)
    if _element(stepper, got) == _element(stepper, want):
        return Feedback(True, f"Right: {want.label}.", "", want.label)
    return Feedback(False, f"Not {got.label}; look again.", "", want.label)


# -- steps and files --------------------------------------------------------------------------------
STEP_KEYS = ("text", "setup", "controls", "check")
SETUP_KEYS = ("template", "training", "walk")


def _validate_controls(d, path):
    _keys(d, ("shown", "hidden", "locked"), path)
    out = {}
    seen = {}
    for key in ("shown", "hidden", "locked"):
        names = d.get(key, [])
        if not isinstance(names, list):
            raise SpecError(f"{path}.{key}", f"expected a list of control names, got {_show(names)}")
        for i, n in enumerate(names):
            if n not in CONTROLS:
                raise SpecError(f"{path}.{key}[{i}]", f"unknown control {_show(n)} (expected one of {', '.join(CONTROLS)})")
            if key != "locked" and seen.get(n, key) != key:
                raise SpecError(f"{path}.{key}[{i}]", f"{n} is already {seen[n]}")
            if key != "locked":
                seen[n] = key
        out[key] = list(names)
    return out


def _walk_position(v, stepper: Stepper, path) -> None:
    if v in WALK_POSITIONS:
        return
    if isinstance(v, int) and not isinstance(v, bool):
        if -1 <= v < len(stepper.steps):
            return
        raise SpecError(path, f"step {v} is outside this walk (-1 to {len(stepper.steps) - 1})")
    raise SpecError(path, f"expected one of {', '.join(WALK_POSITIONS)} or a step number, got {_show(v)}")


def place_walk(stepper: Stepper, where) -> None:
    """Moves the walk to a step's setup position."""
    if where == "start":
        stepper.restart()
    elif where == "loss":
        stepper.run_to_loss()
    elif where == "end_of_backward":
        stepper.run_to_end_of_backward()
    elif where == "end":
        stepper.run_updates()
    else:
        stepper.position = int(where)


class Lesson:
    def __init__(self, title: str, project: Project, steps: list[dict]):
        self.title = title
        self.project = project
        self.steps = steps

    def project_at(self, i: int) -> Project:
        """The project step ``i`` starts from: the lesson's, changed by every setup up to it."""
        p = self.project
        for step in self.steps[:i + 1]:
            p = _apply_setup(p, step.get("setup") or {})
        return p

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "title": self.title,
                "project": self.project.to_dict(), "steps": copy.deepcopy(self.steps)}

    def to_json(self) -> str:
        return dumps(self.to_dict()) + "\n"

    def save(self, path) -> None:
        write_text_atomic(path, self.to_json())

    @classmethod
    def from_dict(cls, d) -> "Lesson":
        if not isinstance(d, dict):
            raise SpecError("", f"a lesson must be a JSON object, got {type(d).__name__}")
        if d.get("format") != FORMAT:
            raise SpecError("format", f"expected {FORMAT!r}, got {_show(d.get('format'))}")
        if d.get("version") != VERSION:
            raise SpecError("version", f"unsupported version {_show(d.get('version'))}; this build reads {VERSION}")
        _keys(d, ("format", "version", "title", "project", "steps"), "")
        title = _text(d.get("title"), "title")
        if "project" not in d:
            raise SpecError("project", "missing")
        try:
            project = Project.from_dict(d["project"])
        except SpecError as exc:
            raise SpecError(f"project.{exc.path}" if exc.path else "project", exc.detail) from None
        steps = d.get("steps")
        if not isinstance(steps, list) or not steps:
            raise SpecError("steps", f"expected a non-empty list of steps, got {_show(steps)}")
        out = []
        current = project
        walks = {}     # one walk per project state, made only when a check or position needs it

        def walk_of(p):
            if id(p) not in walks:
                try:
                    walks[id(p)] = (p, lesson_stepper(p))
                except SpecError:
                    walks[id(p)] = (p, None)
            return walks[id(p)][1]
        for i, s in enumerate(steps):
            path = f"steps[{i}]"
            _keys(s, STEP_KEYS, path)
            step = {"text": _text(s.get("text"), f"{path}.text")}
            if "setup" in s:
                setup = s["setup"]
                _keys(setup, SETUP_KEYS, f"{path}.setup")
                if "template" in setup and setup["template"] not in BY_KEY:
                    raise SpecError(f"{path}.setup.template",
                                    f"no template {_show(setup['template'])} (expected one of {', '.join(BY_KEY)})")
                if "training" in setup:
                    try:
                        validate_training({**current.training, **setup["training"]}
                                          if isinstance(setup["training"], dict) else setup["training"])
                    except SpecError as exc:
                        raise SpecError(f"{path}.setup.{exc.path}", exc.detail) from None
                current = _apply_setup(current, setup)
                if "walk" in setup:
                    _walk_position(setup["walk"], walk_of(current), f"{path}.setup.walk")
                step["setup"] = copy.deepcopy(setup)
            if "controls" in s:
                step["controls"] = _validate_controls(s["controls"], f"{path}.controls")
            if "check" in s:
                step["check"] = validate_check(s["check"], f"{path}.check", walk_of(current))
            out.append(step)
        return cls(title, project, out)

    @classmethod
    def load(cls, path) -> "Lesson":
        return load_located(path, "lesson file", cls.from_dict)


def _apply_setup(p: Project, setup: dict) -> Project:
    if "template" in setup:
        p = open_template(setup["template"])
    if "training" in setup:
        p = Project(p.network_spec, p.data, {**p.training, **setup["training"]}, p.view)
    return p


def lessons_dir():
    from .assets import lessons_dir as built_in
    return built_in()


def builtin_lessons() -> dict[str, Lesson]:
    """File stem → lesson, for every lesson shipped in assets/lessons."""
    return {f.stem: Lesson.load(f) for f in sorted(lessons_dir().glob("*.json"))}
