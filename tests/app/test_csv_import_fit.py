"""CSV import: targets a loss cannot learn are caught, and the network offered fits them."""

from PySide6.QtWidgets import QDialogButtonBox

from backprop_viz.app import dialogs
from backprop_viz.app.csv_import_dialog import CsvImportDialog

REGRESSION = "x1,x2,sales\n" + "".join(f"{i % 3},{i % 5},{i * 5}\n" for i in range(200))
THREE_CLASSES = "x1,x2,kind\n" + "".join(f"{i % 3},{i % 5},{i % 3}\n" for i in range(40))


def test_the_dialog_names_the_output_layer_and_loss_it_will_use(qtbot):
    dlg = CsvImportDialog(REGRESSION, "sales.csv")
    qtbot.addWidget(dlg)
    assert dlg.task.currentText() == "regression"
    assert "mean squared error" in dlg.summary.text()
    dlg.task.setCurrentText("classification")     # 0 … 995 as classes: refused, not trained
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert "too many classes" in dlg.error.text()
    dlg3 = CsvImportDialog(THREE_CLASSES, "kinds.csv")
    qtbot.addWidget(dlg3)
    assert "softmax output layer with cross-entropy" in dlg3.summary.text()


def test_bce_network_with_regression_targets_becomes_mse(qtbot, make_window, answers, tmp_path, monkeypatch):
    f = tmp_path / "sales.csv"
    f.write_text(REGRESSION)
    answers.open = str(f)
    answers.yes_no = True                  # "Change the network?"
    monkeypatch.setattr(dialogs, "import_csv", lambda parent, text, source: CsvImportDialog(text, source).build())
    w = make_window("xor")                 # sigmoid output, binary cross-entropy
    assert w.doc.project.network_spec["loss"] == "binary_cross_entropy"
    assert w.data_panel.import_csv()
    assert "yes_no" in answers.kinds()
    spec = w.doc.project.network_spec
    assert spec["loss"] == "mse" and spec["layers"][-1]["activation"] == "identity"
    assert max(t[0] for t in w.doc.project.data["T"]) == 995.0


def test_declining_keeps_the_network_and_the_data(qtbot, make_window, answers, tmp_path, monkeypatch):
    f = tmp_path / "sales.csv"
    f.write_text(REGRESSION)
    answers.open = str(f)
    answers.yes_no = False
    monkeypatch.setattr(dialogs, "import_csv", lambda parent, text, source: CsvImportDialog(text, source).build())
    w = make_window("xor")
    before = w.doc.project
    assert not w.data_panel.import_csv()
    assert w.doc.project is before
