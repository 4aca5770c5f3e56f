"""The flagship example runs and reproduces the figure: what it prints is what its store
holds, and the exponents it reports are the paper's strong-versus-weak contrast."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import superscale
from conftest import REPO

# One line per weight decay: "model.weight_decay=G: alpha_m = A ± SE, R² = R".
EXPONENT = re.compile(r"^(model\.weight_decay=\S+): alpha_m = (-?\d+\.\d{3}) ± (\d+\.\d{3}), R² = (\d+\.\d{3})$")


def test_flagship_example_reproduces_the_figure(tmp_path: Path) -> None:
    # The example's default reduced sweep (four widths, 2000 steps at batch 1024: about 25 s
    # on 2 cores), not --quick: at --quick's 300 steps the weak regime's loss does not yet
    # fall with width (α_m ≈ −0.07), so there is no figure to reproduce.
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "flagship.py"), "--out", str(tmp_path), "--threads", "2"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4, done.stdout
    printed = {}
    for line in lines[:2]:
        match = EXPONENT.match(line)
        assert match, line
        group, alpha, se, r_squared = match.groups()
        printed[group] = (float(alpha), float(se), float(r_squared))
    assert list(printed) == ["model.weight_decay=-0.5556", "model.weight_decay=0.3333"]
    assert lines[2] == f"figure: {tmp_path / 'flagship.png'}" and lines[3] == f"report: {tmp_path / 'report.html'}"
    figure = tmp_path / "flagship.png"
    assert figure.stat().st_size > 10_000 and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert done.stderr.count("loss_heldout_n_mse = ") == 8  # progress=True: one line per run

    # What it printed is what its store holds, to the printed digits: the exponents table
    # the store wrote, and the store read back by Study.open.
    with open(tmp_path / "exponents.csv", newline="") as handle:
        table = {row["group"]: row for row in csv.DictReader(handle)}
    stored = superscale.Study.open(tmp_path).exponents().set_index("group")
    for group, (alpha, se, r_squared) in printed.items():
        row = table[group]
        assert row["n_points"] == "4" and row["diverged_runs"] == "0"
        assert (round(float(row["alpha_m"]), 3), round(float(row["alpha_m_se"]), 3), round(float(row["r_squared"]), 3)) == (alpha, se, r_squared)
        assert float(stored.loc[group, "alpha_m"]) == float(row["alpha_m"])

    # The figure's claim (Liu, Liu & Gore 2025, Fig. 5e), with the band of the same reduced
    # sweep's Rust test (crates/superscale_kinds/tests/strong_versus_weak.rs): strong
    # superposition's α_m above 0.6 with R² > 0.9, and above weak's by more than 0.3.
    # Measured: strong 0.760 ± 0.063 (R² 0.987), weak 0.174 ± 0.023 (R² 0.966).
    strong, weak = printed["model.weight_decay=-0.5556"], printed["model.weight_decay=0.3333"]
    assert strong[0] > 0.6 and strong[2] > 0.9, strong
    assert strong[0] > weak[0] + 0.3, (strong, weak)
    # And every strong run stores every feature, every weak run few (φ½; C1).
    with open(tmp_path / "results.csv", newline="") as handle:
        runs = list(csv.DictReader(handle))
    assert len(runs) == 8
    for run in runs:
        phi_half = float(run["phi_half"])
        assert phi_half > 0.95 if run["weight_decay"] == "-0.5556" else phi_half < 0.2, run
