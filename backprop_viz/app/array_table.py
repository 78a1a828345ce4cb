"""A table of numbers shown straight from a NumPy array: cells are formatted when
they are painted, so a 500-step sequence (tens of thousands of cells) opens at once."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QHeaderView, QTableView

from ..engine.formatting import fmt

EXACT_WIDTHS_UP_TO = 60     # columns; wider tables share one width measured on a few rows
DIGITS = 6


class ArrayTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.values = np.zeros((0, 0))
        self.headers: list[str] = []

    def set_array(self, values: np.ndarray, headers: list[str]) -> None:
        self.beginResetModel()
        self.values, self.headers = values, headers
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else int(self.values.shape[0])

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else int(self.values.shape[1]) if self.values.ndim == 2 else 0

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return fmt(float(self.values[index.row(), index.column()]), DIGITS)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if section < len(self.headers) else None
        return str(section + 1)


class ArrayTable(QTableView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.array_model = ArrayTableModel(self)
        self.setModel(self.array_model)

    def show_array(self, values: np.ndarray, headers: list[str]) -> None:
        self.array_model.set_array(values, headers)
        header = self.horizontalHeader()
        if len(headers) <= EXACT_WIDTHS_UP_TO:
            self.resizeColumnsToContents()
            return
        # Measuring every cell of thousands of columns is what took seconds: one width for all.
        metrics = QFontMetrics(self.font())
        sample = [fmt(float(v), DIGITS) for v in values[:5].reshape(-1)[:2000]]
        longest = max(sample + headers, key=len, default="0")
        width = max(metrics.horizontalAdvance(t) for t in (longest, max(headers, key=len), *sample[:50])) + 16
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setDefaultSectionSize(width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
