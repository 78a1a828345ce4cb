"""The engine and session layers must work with no Qt at all."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCK_QT = textwrap.dedent("""
    import sys, importlib.abc
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'superqt', 'qtawesome', 'PyQt5', 'PyQt6'):
                raise ImportError('Qt is blocked: ' + name)
    sys.meta_path.insert(0, Block())
""")


@pytest.mark.parametrize("package", ["backprop_viz.engine", "backprop_viz.session"])
def test_layer_imports_without_qt(package):
    pkg_dir = ROOT / package.replace(".", "/")
    if not pkg_dir.exists():
        pytest.skip(f"{package} does not exist yet")
    modules = [package] + [f"{package}.{p.stem}" for p in sorted(pkg_dir.glob("*.py")) if p.stem != "__init__"]
    code = BLOCK_QT + "\nimport importlib\nfor m in %r:\n    importlib.import_module(m)\n" % modules
    code += "assert not any(k.startswith(('PySide6', 'pyqtgraph')) for k in sys.modules)\n"
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_engine_imports_only_numpy_and_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"numpy", "backprop_viz"}
    for path in (ROOT / "backprop_viz" / "engine").glob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from") and not words[1].startswith("."):
                assert words[1].split(".")[0] in allowed, f"{path.name}: {line}"
