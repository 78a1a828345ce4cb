"""The forms allow exactly what the file format accepts: one declaration per setting."""

from PySide6.QtWidgets import QSpinBox

from backprop_viz.engine import budget
from backprop_viz.engine.fields import SETTINGS


def test_forms_take_their_limits_from_the_declared_settings(qtbot, make_window):
    w = make_window("xor")
    seed_high = SETTINGS["seed"].high
    assert w.inspector.seed.maximum() == seed_high
    assert w.training_panel.seed.maximum() == seed_high
    assert w.data_panel.seed.maximum() == seed_high
    assert w.data_panel.samples.maximum() == budget.MAX_SAMPLES
    assert w.data_panel.steps.maximum() == budget.MAX_TIME_STEPS
    assert w.stepper_panel.digits.maximum() == SETTINGS["view.digits"].high
    w.doc.select(("layer", 1))
    units = w.inspector.findChildren(QSpinBox, "unitsSpin")
    assert units and all(s.maximum() == budget.MAX_UNITS for s in units)
    assert w.data_panel.samples.toolTip() == SETTINGS["data.samples"].help


def test_a_seed_the_form_allows_is_one_the_file_accepts(qtbot, make_window):
    from backprop_viz.session.project import Project
    w = make_window("xor")
    top = w.training_panel.seed.maximum()
    d = w.doc.project.to_dict()
    d["training"]["seed"] = top
    d["data"]["seed"] = top
    d["network"]["seed"] = top
    Project.from_dict(d)
