"""Starting the app: argument handling and a readable message when Qt cannot start."""

from __future__ import annotations

import argparse
import os
import sys

# Libraries Qt's xcb platform plugin loads at run time, with the Debian/Ubuntu
# package that provides each; Qt itself only says "could not load".
XCB_LIBRARIES = [
    ("xcb-cursor", "libxcb-cursor0"), ("xkbcommon-x11", "libxkbcommon-x11-0"),
    ("xcb-icccm", "libxcb-icccm4"), ("xcb-keysyms", "libxcb-keysyms1"),
    ("xcb-render-util", "libxcb-render-util0"), ("xcb-image", "libxcb-image0"),
    ("EGL", "libegl1"), ("fontconfig", "libfontconfig1"), ("GL", "libgl1"),
]


def missing_platform_libraries() -> list[tuple[str, str]]:
    import ctypes.util     # here, not at start-up: only an X11 start needs it
    return [(lib, pkg) for lib, pkg in XCB_LIBRARIES if ctypes.util.find_library(lib) is None]


def qt_problem() -> str | None:
    """Why a window cannot be opened here, in words a user can act on, or None."""
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        return (f"Qt (PySide6) could not be loaded: {exc}.\n"
                "Install the project's dependencies with: make run  (or pip install .)")
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc")):
        return None
    if sys.platform.startswith("linux"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return ("No display: backprop-viz needs a desktop session (DISPLAY or WAYLAND_DISPLAY is not set).\n"
                    "On a server, run it under a virtual display: xvfb-run backprop-viz\n"
                    "For a screenshot without any display: "
                    "QT_QPA_PLATFORM=offscreen backprop-viz --screenshot out.png")
        if not os.environ.get("WAYLAND_DISPLAY"):
            missing = missing_platform_libraries()
            if missing:
                pkgs = " ".join(pkg for _, pkg in missing)
                libs = ", ".join(f"lib{lib}" for lib, _ in missing)
                return (f"Qt's X11 platform plugin needs libraries that are not installed: {libs}.\n"
                        f"On Debian/Ubuntu: sudo apt-get install {pkgs}")
    return None


def parse_args(argv):
    p = argparse.ArgumentParser(prog="backprop-viz", description="See backpropagation work.",
                                epilog="Headless subcommands: trace, train, gradcheck, export "
                                       "(backprop-viz trace --help).")
    p.add_argument("file", nargs="?", help="a project or network file to open")
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="open the window, save a PNG of it once drawn, and exit")
    p.add_argument("--template", help="open a template by name instead of a file")
    p.add_argument("--size", default="1400x900", help="window size for --screenshot (1400x900)")
    return p.parse_args(argv)


def launch(argv) -> int:
    args = parse_args(argv)
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = qt_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 3
    from .application import run
    return run(args)
