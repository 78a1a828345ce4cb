"""A student's answers to a lesson: saved with the lesson position to carry on later, and written
as Markdown to hand in.

An answers file is JSON::

    {"format": "backprop-viz/lesson-answers", "version": 1, "lesson": "<the lesson's title>",
     "steps": 12, "position": 6,
     "answers": [{"step": 1, "answer": "1.94", "correct": true}, …]}

``step`` and ``position`` count from 0, as the lesson's ``steps`` list does. Problems raise
``SpecError`` with the field path, as lesson and project files do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..engine import SpecError
from ..engine.fields import _show
from ..engine.files import dumps, read_json, write_text_atomic

FORMAT = "backprop-viz/lesson-answers"
VERSION = 1


@dataclass
class Answers:
    lesson: str                       # the lesson's title: answers belong to one lesson
    steps: int                        # how many steps it has
    position: int = 0
    given: dict[int, tuple[str, bool]] = field(default_factory=dict)     # step → (answer, right?)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "lesson": self.lesson, "steps": self.steps,
                "position": self.position,
                "answers": [{"step": i, "answer": a, "correct": ok} for i, (a, ok) in sorted(self.given.items())]}

    def save(self, path) -> None:
        write_text_atomic(path, dumps(self.to_dict()) + "\n")

    @classmethod
    def from_dict(cls, d) -> "Answers":
        if not isinstance(d, dict):
            raise SpecError("", f"an answers file must be a JSON object, got {type(d).__name__}")
        if d.get("format") != FORMAT:
            raise SpecError("format", f"expected {FORMAT!r}, got {_show(d.get('format'))}")
        if d.get("version") != VERSION:
            raise SpecError("version", f"unsupported version {_show(d.get('version'))}; this build reads {VERSION}")
        for key in d:
            if key not in ("format", "version", "lesson", "steps", "position", "answers"):
                raise SpecError(key, "unknown key (expected format, version, lesson, steps, position, answers)")
        lesson = d.get("lesson")
        if not isinstance(lesson, str) or not lesson.strip():
            raise SpecError("lesson", f"expected the lesson's title, got {_show(lesson)}")
        steps = _count(d.get("steps"), "steps", 1, None)
        position = _count(d.get("position"), "position", 0, steps - 1)
        given = {}
        rows = d.get("answers")
        if not isinstance(rows, list):
            raise SpecError("answers", f"expected a list, got {_show(rows)}")
        for i, row in enumerate(rows):
            path = f"answers[{i}]"
            if not isinstance(row, dict) or set(row) != {"step", "answer", "correct"}:
                raise SpecError(path, "expected an object with step, answer and correct")
            step = _count(row["step"], f"{path}.step", 0, steps - 1)
            if not isinstance(row["answer"], str):
                raise SpecError(f"{path}.answer", f"expected text, got {_show(row['answer'])}")
            if not isinstance(row["correct"], bool):
                raise SpecError(f"{path}.correct", f"expected true or false, got {_show(row['correct'])}")
            if step in given:
                raise SpecError(f"{path}.step", f"step {step} is answered twice")
            given[step] = (row["answer"], row["correct"])
        return cls(lesson, steps, position, given)

    @classmethod
    def load(cls, path) -> "Answers":
        data = read_json(path, "answers file")
        try:
            return cls.from_dict(data)
        except SpecError as exc:
            where = os.fspath(path)
            raise SpecError(f"{where}: {exc.path}" if exc.path else where, exc.detail) from None

    def fits(self, title: str, steps: int) -> str | None:
        """Why these answers are not for the lesson ``title`` of ``steps`` steps (None if they are)."""
        if self.lesson != title:
            return f"these answers are for the lesson {self.lesson!r}, not {title!r}"
        if self.steps != steps:
            return f"these answers are for a {self.steps}-step version of the lesson; this one has {steps}"
        return None


def _count(v, path, low, high) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < low or (high is not None and v > high):
        bound = f"from {low} to {high}" if high is not None else f"≥ {low}"
        raise SpecError(path, f"expected a whole number {bound}, got {_show(v)}")
    return v


def _heading(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.lstrip("#").strip()


def _question(check: dict) -> str:
    kind = check["kind"]
    if kind == "predict":
        q = check["quantity"].replace("_", " ")
        return f"predict the {q} of {check['of']}" if "of" in check else f"predict the {q}"
    if kind == "reach":
        op = check["op"].replace("<=", "≤").replace(">=", "≥")
        limit = f", with at most {check['max_hidden_units']} hidden neurons" if "max_hidden_units" in check else ""
        return f"reach {check['metric'].replace('_', ' ')} {op} {check['value']}{limit}"
    return "find it on the canvas or the graph"


def markdown(lesson_title: str, steps: list[dict], answers: Answers) -> str:
    """The answers to hand in: every step with a check, the question, the answer given and whether
    the app found it right."""
    done = sum(1 for ok in (a[1] for a in answers.given.values()) if ok)
    checked = [i for i, s in enumerate(steps) if s.get("check")]
    lines = [f"# {lesson_title}: answers", "",
              f"{done} of {len(checked)} checks right; stopped at step {answers.position + 1} of {len(steps)}.", "",
              "| Step | Question | Answer | Checked |", "| --- | --- | --- | --- |"]
    for i in checked:
        given = answers.given.get(i)
        answer = given[0] if given else "(not answered)"
        verdict = "—" if not given else "right" if given[1] else "not right"
        cells = [f"{i + 1}. {_heading(steps[i]['text'])}", _question(steps[i]["check"]), answer, verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def export_markdown(path, lesson_title: str, steps: list[dict], answers: Answers) -> None:
    write_text_atomic(path, markdown(lesson_title, steps, answers))
