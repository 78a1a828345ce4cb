"""File › Open and the command-line file with hostile files: a message, never a crash."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.project_fuzz import HOSTILE, VARIANTS, variant, write_json


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(VARIANTS) - 1), value=HOSTILE)
def test_fuzzed_files_through_file_open(make_window, answers, tmp_path, index, value):
    w = make_window.window if hasattr(make_window, "window") else None
    if w is None:
        w = make_window("xor")
        make_window.window = w
    f = tmp_path / "p.json"
    write_json(f, variant(index, value))
    answers.open = str(f)
    answers.save_discard_cancel = "discard"
    before = len(answers.asked)
    opened = w.open_dialog()
    kinds = [k for k, _ in answers.asked[before:]]
    assert opened or "error" in kinds
    if not opened:
        text = [a for k, a in answers.asked[before:] if k == "error"][-1][1]
        assert str(f) in text


def test_a_bad_command_line_file_opens_the_window_with_a_message(qtbot, answers, tmp_path):
    from backprop_viz.app.application import create_window
    f = tmp_path / "bad.json"
    f.write_text('{"format": "backprop-viz/network", "inputs": 2, "loss": ["mse"], "layers": [{"units": 1}]}')
    window, error = create_window(str(f))
    qtbot.addWidget(window)
    assert error and "loss" in error and str(f) in error
    assert window.doc.path is None          # the default project instead
    window.doc.undo_stack.setClean()
    window.close()
