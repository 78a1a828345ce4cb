"""Where the bundled files are, in a checkout and in an installed copy."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def assets_dir() -> Path:
    # A checkout keeps assets/ beside the package; an installed copy has them
    # inside it as backprop_viz/assets (see pyproject.toml).
    for candidate in (_PACKAGE.parent / "assets", _PACKAGE / "assets"):
        if (candidate / "examples").is_dir():
            return candidate
    raise FileNotFoundError("the bundled assets folder is missing; reinstall backprop-viz")


def examples_dir() -> Path:
    return assets_dir() / "examples"


def lessons_dir() -> Path:
    """The built-in lessons."""
    return assets_dir() / "lessons"
