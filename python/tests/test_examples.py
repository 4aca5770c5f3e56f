"""The examples run (quick variants) and produce their outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_flagship_example_reproduces_the_figure(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "flagship.py"), "--quick", "--out", str(tmp_path), "--threads", "2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["model.weight_decay=-0.5556", "model.weight_decay=0.3333"]
    assert all("alpha_m = " in line for line in lines[:2])
    figure = tmp_path / "flagship.png"
    assert figure.stat().st_size > 10_000 and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "report.html").exists() and (tmp_path / "results.csv").exists()
    assert done.stderr.count("L_heldout") == 6  # progress=True: one line per run
