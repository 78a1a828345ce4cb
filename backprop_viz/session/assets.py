"""Where the bundled files are, in a checkout and in an installed copy."""

from __future__ import annotations

from pathlib import Path


def assets_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "assets"
    if here.is_dir():
        return here
    from importlib.resources import files
    return Path(str(files("backprop_viz.assets")))


def examples_dir() -> Path:
    return assets_dir() / "examples"
