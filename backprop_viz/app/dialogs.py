"""Every modal question the app asks, in one place (tests replace these)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..engine.errors import SpecError

PROJECT_FILTER = "backprop-viz files (*.json);;All files (*)"

# Set by headless commands (backprop-viz export): nobody could answer a dialog
# there, so an error becomes a SpecError for the command's error line, and a
# question is never asked.
_headless = False


def set_headless(on: bool) -> None:
    global _headless
    _headless = on


def _refuse_in_headless(title: str) -> None:
    if _headless:
        raise SpecError(title, "needs an answer, and there is no window to ask in")


def open_path(parent: QWidget, title="Open", folder="", filter=PROJECT_FILTER) -> str | None:
    _refuse_in_headless(title)
    path, _ = QFileDialog.getOpenFileName(parent, title, folder, filter)
    return path or None


def save_path(parent: QWidget, title="Save as", folder="", filter=PROJECT_FILTER) -> str | None:
    _refuse_in_headless(title)
    path, _ = QFileDialog.getSaveFileName(parent, title, folder, filter)
    return path or None


def save_discard_cancel(parent: QWidget, name: str) -> str:
    """'save', 'discard' or 'cancel'."""
    _refuse_in_headless("Unsaved changes")
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"Save the changes to {name} before closing?",
                      QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                      | QMessageBox.StandardButton.Cancel, parent)
    answer = box.exec()
    return {QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")


def error(parent: QWidget, title: str, text: str) -> None:
    if _headless:
        raise SpecError(title, " ".join(text.split()))
    QMessageBox.critical(parent, title, text)


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    _refuse_in_headless(title)
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes


CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"


def import_csv(parent: QWidget, text, source: str) -> dict | None:
    """The import dialog for CSV text already read (or parsed); the data choice, or None if cancelled."""
    _refuse_in_headless("Import CSV")
    from .csv_import_dialog import CsvImportDialog
    dialog = CsvImportDialog(text, source, parent)
    return dialog.result_data if dialog.exec() == CsvImportDialog.DialogCode.Accepted else None


def png_size(parent: QWidget, width: int = 1200, height: int = 800) -> tuple[int, int] | None:
    """Width and height in pixels for a PNG export, or None if cancelled."""
    _refuse_in_headless("PNG size")
    from PySide6.QtWidgets import QInputDialog
    text, ok = QInputDialog.getText(parent, "PNG size", "Width × height in pixels:", text=f"{width}x{height}")
    if not ok:
        return None
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        error(parent, "PNG size", f"“{text}” is not WIDTHxHEIGHT, e.g. 1920x1080")
        return None
    if not (16 <= w <= 10000 and 16 <= h <= 10000):
        error(parent, "PNG size", "width and height must be between 16 and 10000 pixels")
        return None
    return w, h


def compare_runs(parent: QWidget, project) -> list | None:
    """Training › Compare…: the settings to vary ([(key, [Change, …]), …]), or None if cancelled."""
    _refuse_in_headless("Compare runs")
    from .compare_dialog import CompareDialog
    dialog = CompareDialog(project, parent)
    return dialog.axes if dialog.exec() == CompareDialog.DialogCode.Accepted else None
