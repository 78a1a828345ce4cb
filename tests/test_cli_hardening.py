"""The command line's error boundary: one `error:` line and a non-zero exit for
any bad input, never a traceback, never a wait on a dialog."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_viz.cli import main
from tests.project_fuzz import BASES, HOSTILE, VARIANTS, variant, write_json

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "assets" / "examples"


def run(*args, env=None, timeout=120):
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    return subprocess.run([sys.executable, "-m", "backprop_viz", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def one_error_line(res, text):
    assert res.returncode not in (0, None), res.stdout
    assert "Traceback" not in res.stderr, res.stderr
    lines = [line for line in res.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert text in lines[0], lines[0]


def test_train_refuses_a_hundred_million_samples(tmp_path):
    res = run("train", EX / "xor.json", "--data", "xor", "--samples", 100_000_000, "--steps", 1,
              "--out", tmp_path / "o")
    one_error_line(res, "at most 100,000")


def test_gradcheck_refuses_a_zero_step():
    one_error_line(run("gradcheck", EX / "xor.json", "--eps", 0), "--eps")


def test_out_that_cannot_be_a_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = run("train", EX / "xor.json", "--data", "xor", "--steps", 2, "--out", blocker / "sub")
    one_error_line(res, str(blocker))


def test_huge_network_file_is_refused_without_allocating(tmp_path):
    f = tmp_path / "big.json"
    f.write_text('{"format":"backprop-viz/network","inputs":2,"layers":[{"units":20000},{"units":20000},'
                 '{"units":1}]}')
    one_error_line(run("gradcheck", f), "layers[0].units")
    f.write_text('{"format":"backprop-viz/network","inputs":2,"layers":[{"units":' + "9" * 400 + '}]}')
    one_error_line(run("gradcheck", f), "400-digit")
    f.write_text('{"format":"backprop-viz/network","inputs":2,"layers":[{"units":' + "9" * 5000 + '}]}')
    one_error_line(run("gradcheck", f), "usable JSON")


def test_bce_on_targets_beyond_one_is_refused(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n" + "".join(f"{i % 3},{i % 5},{i * 7}\n" for i in range(30)))
    res = run("train", EX / "xor.json", "--data", data, "--steps", 5, "--out", tmp_path / "o")
    one_error_line(res, "binary cross-entropy needs targets from 0 to 1")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a small tmpfs")
def test_export_to_a_full_disk_ends_with_an_error_not_a_dialog(tmp_path):
    from tests.faults import full_tmpfs
    project = tmp_path / "p.json"
    project.write_text((EX / "xor.json").read_text())
    with full_tmpfs(tmp_path / "disk") as disk:
        if disk is None:
            pytest.skip("mount is not allowed here")
        res = run("export", project, "--out", disk / "out", "--format", "svg",
                  env={"BACKPROP_VIZ_DATA_DIR": str(tmp_path / "data")}, timeout=200)
        one_error_line(res, "No space left on device")
        leftovers = [p.name for p in (disk / "out").iterdir()] if (disk / "out").exists() else []
        assert not [n for n in leftovers if n.startswith(".")], leftovers


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(VARIANTS) - 1), value=HOSTILE)
def test_fuzzed_network_files_through_the_cli(tmp_path, capsys, index, value):
    d = variant(index, value)
    f = tmp_path / "n.json"
    write_json(f, d["network"])
    code = main(["gradcheck", str(f), "--eps", "1e-4"])
    err = capsys.readouterr().err
    if code == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
