"""File › Import weights…: one undoable edit, or a message naming the tensor at fault."""

import numpy as np
import pytest

from backprop_viz.session.torch_script import weight_tensors

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _file(tmp_path, project, scale=1.0, drop=None):
    tensors = {k: np.ascontiguousarray(v * scale) for k, v in weight_tensors(project.network()).items()}
    if drop:
        del tensors[drop]
    path = tmp_path / "trained.safetensors"
    safetensors_numpy.save_file(tensors, str(path))
    return str(path)


def test_imported_weights_show_and_undo_in_one_step(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    before = w.doc.project
    old = before.network().params["layers.0.weight"].copy()
    answers.open = _file(tmp_path, before, 0.25)
    w.act_import_weights.trigger()
    assert answers.kinds() == ["open"]
    np.testing.assert_array_equal(w.doc.project.network().params["layers.0.weight"], old * 0.25)
    assert "Imported the weights of trained.safetensors" in w.statusBar().currentMessage()
    assert w.act_undo.text() == "&Undo Import weights" and w.doc.modified
    w.act_undo.trigger()
    assert w.doc.project == before
    w.act_redo.trigger()
    np.testing.assert_array_equal(w.doc.project.network().params["layers.0.weight"], old * 0.25)


def test_weights_that_do_not_fit_are_refused_with_the_tensor_named(qtbot, make_window, answers, tmp_path):
    w = make_window("xor")
    before = w.doc.project
    assert not w.import_weights(_file(tmp_path, before, drop="layers.1.weight"))
    assert answers.kinds() == ["error"]
    title, text = answers.asked[0][1][:2]
    assert title == "Cannot import weights" and "layers.1.weight: missing" in text
    assert w.doc.project is before and not w.doc.modified


def test_cancelling_the_file_dialog_changes_nothing(qtbot, make_window, answers):
    w = make_window("xor")
    before = w.doc.project
    answers.open = None
    assert not w.import_weights()
    assert w.doc.project is before
