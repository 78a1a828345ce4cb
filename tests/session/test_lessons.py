import json

import pytest

from backprop_viz.engine import SpecError
from backprop_viz.session.lessons import (Lesson, builtin_lessons, check_find, check_predict, check_reach,
                                          lesson_stepper, lessons_dir, place_walk)
from backprop_viz.session.templates import open_template


def worked():
    return Lesson.load(lessons_dir() / "worked_example.json")


def minimal(**step):
    return {"format": "backprop-viz/lesson", "version": 1, "title": "t",
            "project": open_template("worked_example").to_dict(),
            "steps": [{"text": "hello", **step}]}


def test_builtin_lessons_load():
    lessons = builtin_lessons()
    assert "worked_example" in lessons
    for lesson in lessons.values():
        assert lesson.title and lesson.steps


def test_round_trip(tmp_path):
    lesson = worked()
    path = tmp_path / "l.json"
    lesson.save(path)
    again = Lesson.load(path)
    assert again.to_dict() == lesson.to_dict()
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "backprop-viz/lesson"


def test_worked_example_checks_accept_the_seed_numbers_digit_for_digit():
    lesson = worked()
    answers = {"s": "1.94", "predicted": "0.874352143", "W1": "0.009276093", "W2": "0.027828278"}
    seen = {}
    for i, step in enumerate(lesson.steps):
        check = step.get("check")
        if not check or check["kind"] != "predict":
            continue
        fb = check_predict(check, lesson_stepper(lesson.project_at(i)), "0")
        seen[(check["quantity"], check.get("of"))] = fb.expected
    assert seen[("gradient", "W1")] == "0.009276093"
    assert seen[("gradient", "W2")] == "0.027828278"
    assert seen[("value", "predicted")] == "0.874352143"
    assert seen[("loss", None)] == "0.356465271"
    assert seen[("updated", "W1")] == "0.499907239"
    assert seen[("update_sign", "W1")] == "down"
    assert seen[("loss_after", None)] == "0.356370591"
    assert all(answers[k] == seen[("gradient", k)] for k in ("W1", "W2"))


def test_wrong_answer_is_refused_with_the_working():
    lesson = worked()
    i = next(i for i, s in enumerate(lesson.steps) if s.get("check", {}).get("of") == "W1"
             and s["check"]["quantity"] == "gradient")
    st = lesson_stepper(lesson.project_at(i))
    check = lesson.steps[i]["check"]
    right = check_predict(check, st, "0.009276093")
    assert right.correct
    wrong = check_predict(check, st, "0.0278")
    assert not wrong.correct
    assert "0.009276093" in wrong.message
    assert wrong.working.startswith("∂E/∂W1 = ∂E/∂s·∂s/∂W1 = 0.092760926 × 0.1 = 0.009276093")
    junk = check_predict(check, st, "a lot")
    assert not junk.correct and "not a number" in junk.message


def test_sign_and_element_names():
    st = lesson_stepper(open_template("worked_example"))
    sign = {"kind": "predict", "quantity": "update_sign", "of": "W2"}
    assert check_predict(sign, st, "down").correct
    assert not check_predict(sign, st, "up").correct
    # A layer-level element names the same number as its neuron label.
    by_element = {"kind": "predict", "quantity": "gradient", "of": "layers.0.weight[0,0]", "tolerance": 1e-9}
    assert check_predict(by_element, st, "0.009276093").correct


def test_reach_and_find():
    goal = {"kind": "reach", "metric": "val_accuracy", "op": ">=", "value": 0.95, "max_hidden_units": 3}
    assert not check_reach(goal, {}).correct
    assert not check_reach(goal, {"val_accuracy": 0.9}).correct
    assert check_reach(goal, {"val_accuracy": 0.96}, hidden_units=3).correct
    too_big = check_reach(goal, {"val_accuracy": 0.99}, hidden_units=8)
    assert not too_big.correct and "at most 3" in too_big.message
    st = lesson_stepper(open_template("worked_example"))
    find = {"kind": "find", "answer": "W2"}
    assert check_find(find, st, "W2").correct
    assert not check_find(find, st, "W1").correct
    assert check_find(find, st, "layers.0.weight[1,0]").correct


def test_place_walk():
    st = lesson_stepper(open_template("worked_example"))
    place_walk(st, "end_of_backward")
    assert st.describe().startswith("∂E/∂W1")
    place_walk(st, 0)
    assert st.describe().startswith("s = ")
    place_walk(st, "start")
    assert st.current is None


@pytest.mark.parametrize("change, path", [
    (lambda d: d.update(format="x"), "format"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d.update(extra=1), "extra"),
    (lambda d: d.pop("title"), "title"),
    (lambda d: d["project"]["network"]["layers"][0].update(activation="nope"),
     "project.network.layers[0].activation"),
    (lambda d: d.update(steps=[]), "steps"),
    (lambda d: d["steps"][0].update(text=3), "steps[0].text"),
    (lambda d: d["steps"][0].update(colour="red"), "steps[0].colour"),
    (lambda d: d["steps"][0].update(setup={"template": "nope"}), "steps[0].setup.template"),
    (lambda d: d["steps"][0].update(setup={"walk": 99}), "steps[0].setup.walk"),
    (lambda d: d["steps"][0].update(setup={"walk": "middle"}), "steps[0].setup.walk"),
    (lambda d: d["steps"][0].update(setup={"training": {"optimizer": {"name": "sgd", "lr": -1}}}),
     "steps[0].setup.training.optimizer.lr"),
    (lambda d: d["steps"][0].update(controls={"hidden": ["cockpit"]}), "steps[0].controls.hidden[0]"),
    (lambda d: d["steps"][0].update(controls={"shown": ["graph"], "hidden": ["graph"]}),
     "steps[0].controls.hidden[0]"),
    (lambda d: d["steps"][0].update(check={"kind": "guess"}), "steps[0].check.kind"),
    (lambda d: d["steps"][0].update(check={"kind": "predict", "quantity": "gradient"}), "steps[0].check.of"),
    (lambda d: d["steps"][0].update(check={"kind": "predict", "quantity": "gradient", "of": "W9"}),
     "steps[0].check.of"),
    (lambda d: d["steps"][0].update(check={"kind": "predict", "quantity": "gradient", "of": "layers.0.weight[5,0]"}),
     "steps[0].check.of"),
    (lambda d: d["steps"][0].update(check={"kind": "predict", "quantity": "loss", "tolerance": 0}),
     "steps[0].check.tolerance"),
    (lambda d: d["steps"][0].update(check={"kind": "reach", "metric": "loss", "op": "<", "value": 1}),
     "steps[0].check.op"),
    (lambda d: d["steps"][0].update(check={"kind": "reach", "metric": "loss", "op": "<=", "value": "low"}),
     "steps[0].check.value"),
    (lambda d: d["steps"][0].update(check={"kind": "find"}), "steps[0].check.answer"),
])
def test_bad_lessons_name_the_field(change, path):
    d = minimal()
    change(d)
    with pytest.raises(SpecError) as info:
        Lesson.from_dict(d)
    assert info.value.path == path, str(info.value)


def test_bad_file_names_the_file_and_field(tmp_path):
    d = minimal(check={"kind": "predict", "quantity": "value", "of": "nothing"})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        Lesson.load(path)
    assert str(info.value).startswith(f"{path}: steps[0].check.of: no node or parameter 'nothing'")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(SpecError):
        Lesson.load(tmp_path / "broken.json")


def test_vanishing_gradients_lesson_asks_for_the_weights_it_means():
    import numpy as np
    lesson = builtin_lessons()["vanishing_gradients"]
    find = next(s["check"] for s in lesson.steps if s.get("check", {}).get("kind") == "find")
    st = lesson_stepper(lesson.project_at(1))
    grads = {n.name: np.abs(n.grad) for n in st.trace.nodes if n.name.endswith(".weight")}
    name = max(grads, key=lambda k: grads[k].max())
    index = np.unravel_index(grads[name].argmax(), grads[name].shape)
    assert check_find(find, st, f"{name}[{','.join(str(int(i)) for i in index)}]").correct
    first = grads["layers.0.weight"]
    predict = next(s["check"] for s in lesson.steps if s.get("check", {}).get("kind") == "predict")
    assert predict["of"] == "layers.0.weight[%d,%d]" % np.unravel_index(first.argmax(), first.shape)
    assert first.max() < grads[name].max() * 1e-6          # what the lesson is about
    # The fix step changes the network to the ReLU one.
    fix = len(lesson.steps) - 1
    assert all(l["activation"] == "relu" for l in lesson.project_at(fix).network_spec["layers"][:-1])


def test_first_network_lesson_limits_hidden_units():
    lesson = builtin_lessons()["first_network"]
    goal = lesson.steps[1]["check"]
    assert goal["max_hidden_units"] == 4
    assert check_reach(goal, {"val_accuracy": 1.0}, hidden_units=4).correct
    assert not check_reach(goal, {"val_accuracy": 1.0}, hidden_units=16).correct


def test_time_ratio_through_time_and_relative_tolerance():
    from backprop_viz.session.lessons import expected_value, validate_check
    st5 = lesson_stepper(open_template("remember_5"))
    st20 = lesson_stepper(open_template("remember_20"))
    check = validate_check({"kind": "predict", "quantity": "time_ratio", "rtol": 0.05}, "c", st5)
    r5, working = expected_value(check, st5)
    r20, _ = expected_value(check, st20)
    assert 0.02 < r5 < 0.04 and r20 < 1e-6          # it vanishes over 20 steps
    assert working.startswith("‖∂E/∂h₁‖ / ‖∂E/∂h₆‖ = ")
    assert check_predict(check, st5, "0.027").correct
    assert not check_predict(check, st5, "0.03").correct      # 10 % off
    assert check_predict(check, st20, "2e-8").correct
    assert not check_predict(check, st20, "0").correct        # a relative tolerance alone: 0 is not near 2e-8
    with pytest.raises(SpecError) as err:
        validate_check({"kind": "predict", "quantity": "time_ratio"}, "steps[1].check",
                       lesson_stepper(open_template("worked_example")))
    assert err.value.path == "steps[1].check.quantity" and "recurrent" in err.value.detail
    for bad, where in (({"rtol": 1.5}, "rtol"), ({"rtol": 0.1, "tolerance": -1}, "tolerance"),
                       ({"tolerance": 0}, "tolerance")):
        with pytest.raises(SpecError) as err:
            validate_check({"kind": "predict", "quantity": "loss", **bad}, "c", None)
        assert err.value.path == f"c.{where}"
    with pytest.raises(SpecError) as err:
        validate_check({"kind": "predict", "quantity": "update_sign", "of": "W1", "rtol": 0.1}, "c", None)
    assert err.value.path == "c.rtol"
