"""Size limits, checked before anything is allocated.

Each limit keeps the app responsive and its files readable on an ordinary
laptop; the README lists them. The messages say what to do instead.
"""

from __future__ import annotations

from .errors import SpecError

MAX_UNITS = 4096                 # neurons in one layer
MAX_PARAMETERS = 2_000_000       # weights, biases and norm parameters of a network
MAX_SAMPLES = 100_000            # samples of a data set (generated, typed or imported)
MAX_DATA_VALUES = 3_200_000      # samples × (inputs + targets) kept in a project (100,000 × 32)
MAX_TIME_STEPS = 500             # time steps of a sequence
MAX_CSV_BYTES = 50 * 1024 * 1024 # a CSV file to import or train on
MAX_CSV_COLUMNS = 1000           # columns of a CSV file
MAX_NEURON_NODES = 2000          # scalar nodes drawn in the neuron-level graph
MAX_CHAIN_PATHS = 64             # chain-rule paths written out for one parameter
# What the app writes must open again: compact JSON of the largest data set
# and network allowed stays below this (about 25 bytes per number at worst).
MAX_FILE_BYTES = 128 * 1024 * 1024


def check_parameters(count: int, path: str = "layers") -> None:
    if count > MAX_PARAMETERS:
        raise SpecError(path, f"the network would have {count:,} parameters; at most {MAX_PARAMETERS:,} "
                              "are allowed (use fewer or narrower layers)")


def check_samples(count: int, path: str = "samples") -> None:
    if count > MAX_SAMPLES:
        raise SpecError(path, f"{count:,} samples asked for; at most {MAX_SAMPLES:,} are allowed "
                              "(use a smaller sample, or train on a random subset)")


def check_data_values(rows: int, columns: int, path: str = "data") -> None:
    check_samples(rows, path)
    if rows * columns > MAX_DATA_VALUES:
        raise SpecError(path, f"{rows:,} samples × {columns} values = {rows * columns:,} numbers; at most "
                              f"{MAX_DATA_VALUES:,} are kept in a project (use fewer samples or columns)")


def check_time_steps(steps: int, path: str = "steps") -> None:
    if steps > MAX_TIME_STEPS:
        raise SpecError(path, f"{steps:,} time steps; at most {MAX_TIME_STEPS} are allowed "
                              "(use shorter sequences)")


def check_csv_size(size: int, path: str) -> None:
    if size > MAX_CSV_BYTES:
        raise SpecError(path, f"is {size / 1e6:.0f} MB; at most {MAX_CSV_BYTES / 1e6:.0f} MB can be loaded "
                              "(keep a random subset of the rows)")


def check_csv_columns(columns: int, path: str) -> None:
    if columns > MAX_CSV_COLUMNS:
        raise SpecError(path, f"has {columns:,} columns; at most {MAX_CSV_COLUMNS:,} can be loaded "
                              "(keep only the columns the network needs)")
