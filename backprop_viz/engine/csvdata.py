"""Numeric CSV text → arrays, with errors that name the line and column."""

from __future__ import annotations

import csv
import io
import math
import os

import numpy as np

from . import budget
from .errors import SpecError


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_csv_text(text: str, source: str = "CSV"):
    """(header or None, float64 matrix). Raises SpecError('<source> line L, column C', …)."""
    if not text.strip():
        raise SpecError(source, "the file is empty")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    # Counted on the first line before anything is parsed: 10,000 columns would
    # take seconds to parse only to be refused.
    first_line = text.lstrip().split("\n", 1)[0]
    budget.check_csv_columns(first_line.count(delimiter) + 1, source)
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for line_no, row in enumerate(reader, start=1):
            if not row or all(not c.strip() for c in row):
                continue
            rows.append((line_no, [c.strip() for c in row]))
    except csv.Error as exc:
        raise SpecError(f"{source} line {reader.line_num}", f"unreadable CSV ({exc})") from None
    if not rows:
        raise SpecError(source, "the file has no rows")
    header = None
    first = rows[0][1]
    if not all(_is_number(c) for c in first if c):
        header = first
        rows = rows[1:]
    if not rows:
        raise SpecError(source, "the file has a header but no data rows")
    width = len(header) if header else len(rows[0][1])
    if all(len(row) == width for _, row in rows):
        # NumPy converts all cells in C (a 50 MB file in seconds, not tens of
        # seconds); only a file with a bad cell is walked cell by cell to name it.
        try:
            data = np.array([row for _, row in rows], dtype=np.float64)
        except (ValueError, OverflowError):
            data = None
        if data is not None and data.shape == (len(rows), width) and np.isfinite(data).all():
            return header, data
    data = np.empty((len(rows), width))
    for r, (line_no, row) in enumerate(rows):
        if len(row) != width:
            raise SpecError(f"{source} line {line_no}",
                            f"has {len(row)} columns, expected {width} like the first row")
        for c, cell in enumerate(row):
            where = f"{source} line {line_no}, column {c + 1}"
            if cell == "":
                raise SpecError(where, "missing value")
            try:
                v = float(cell)
            except ValueError:
                raise SpecError(where, f"not a number: {cell[:40]!r}") from None
            if not math.isfinite(v):
                raise SpecError(where, f"not a finite number: {cell[:40]!r}")
            data[r, c] = v
    return header, data


def read_csv_file(path):
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise SpecError(str(path), f"cannot read ({exc.strerror or exc})") from None
    budget.check_csv_size(size, str(path))
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise SpecError(str(path), "is not UTF-8 text") from None
    except OSError as exc:
        raise SpecError(str(path), f"cannot read ({exc.strerror or exc})") from None
    return read_csv_text(text, os.path.basename(str(path)))


def split_columns(data: np.ndarray, n_inputs: int, n_targets: int, source: str = "CSV"):
    """First ``n_inputs`` columns are inputs, the next ``n_targets`` targets."""
    need = n_inputs + n_targets
    if data.shape[1] != need:
        raise SpecError(source, f"has {data.shape[1]} columns; the network needs {n_inputs} input "
                                f"and {n_targets} target column(s) = {need}")
    return data[:, :n_inputs], data[:, n_inputs:]
