"""Answers files round-trip and bad ones are refused with the field; selections are named as find checks name them."""

import json

import pytest

from backprop_viz.engine import SpecError
from backprop_viz.session.lesson_answers import Answers, markdown
from backprop_viz.session.lesson_picks import canvas_pick, graph_pick, label_of
from backprop_viz.session.lessons import Lesson, check_find, lesson_stepper, lessons_dir


def test_round_trip(tmp_path):
    a = Answers("L", 4, 2, {0: ("1.5", True), 3: ("down", False)})
    a.save(tmp_path / "a.json")
    b = Answers.load(tmp_path / "a.json")
    assert b == a
    assert b.fits("L", 4) is None and "not 'M'" in b.fits("M", 4) and "4-step" in b.fits("L", 5)


@pytest.mark.parametrize("change, where", [
    ({"format": "x"}, "format"), ({"version": 2}, "version"), ({"lesson": ""}, "lesson"),
    ({"steps": 0}, "steps"), ({"position": 4}, "position"), ({"answers": {}}, "answers"),
    ({"answers": [{"step": 9, "answer": "1", "correct": True}]}, "answers[0].step"),
    ({"answers": [{"step": 0, "answer": 1, "correct": True}]}, "answers[0].answer"),
    ({"answers": [{"step": 0, "answer": "1", "correct": "yes"}]}, "answers[0].correct"),
    ({"answers": [{"step": 0, "answer": "1"}]}, "answers[0]"),
    ({"answers": [{"step": 0, "answer": "1", "correct": True}] * 2}, "answers[1].step"),
    ({"extra": 1}, "extra"),
])
def test_bad_answers_are_located(tmp_path, change, where):
    d = {"format": "backprop-viz/lesson-answers", "version": 1, "lesson": "L", "steps": 4, "position": 0,
         "answers": []}
    d.update(change)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        Answers.load(p)
    assert err.value.path == f"{p}: {where}"


def test_markdown_escapes_table_cells():
    steps = [{"text": "# One", "check": {"kind": "find", "answer": "W1"}}]
    md = markdown("T", steps, Answers("T", 1, 0, {0: ("a|b", False)}))
    assert "| 1. One | find it on the canvas or the graph | a\\|b | not right |" in md


def test_canvas_and_graph_picks_name_the_walk_elements():
    lesson = Lesson.load(lessons_dir() / "worked_example.json")
    st = lesson_stepper(lesson.project)
    spec = lesson.project.network_spec
    assert canvas_pick(spec, ("edge", 0, 1, 0)) == "layers.0.weight[1,0]"
    assert canvas_pick(spec, ("bias", 0, 0)) == "layers.0.bias[0]"
    assert canvas_pick(spec, ("neuron", 1, 0)) == "layers.0.act[0,0]"
    assert canvas_pick(spec, ("neuron", 0, 1)) == "X[0,1]"
    assert canvas_pick(spec, ("layer", 1)) is None and canvas_pick(spec, None) is None
    assert label_of(st, "layers.0.weight[1,0]") == "W2" and label_of(st, "X[0,1]") == "X2"
    assert label_of(st, "layers.0.act[0,0]") == "predicted"
    ids = {n.label: n.id for n in st.view.nodes}
    assert graph_pick(st, ids["W1"]) == "layers.0.weight[0,0]" and graph_pick(st, ids["s"]) == "s"
    assert check_find({"kind": "find", "answer": "W2"}, st, label_of(st, "layers.0.weight[1,0]")).correct
    deep = lesson_stepper(Lesson.load(lessons_dir() / "vanishing_gradients.json").project)
    assert graph_pick(deep, deep.trace.by_name["layers.3.weight"]) == "layers.3.weight"
    assert graph_pick(deep, deep.trace.by_name["loss.data"]) == "loss.data"
    assert label_of(deep, "layers.9.weight[1,0]") == "layers.9.weight[1,0]"
