"""Lint and type checks of the Qt-free layers, run with the tests (settings in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["backprop_viz/engine", "backprop_viz/session"]


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    pytest.importorskip("ruff", reason="install the test extras: pip install -e '.[test]'")
    res = _run("ruff", "check", "--no-cache", "--output-format", "concise", *TARGETS, "backprop_viz/cli.py")
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_finds_nothing():
    pytest.importorskip("mypy", reason="install the test extras: pip install -e '.[test]'")
    res = _run("mypy", "--no-incremental", "--cache-dir", "/dev/null", *TARGETS)
    assert res.returncode == 0, res.stdout + res.stderr
