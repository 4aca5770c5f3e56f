"""The learning-coefficient kind from Python: ``superscale.run`` on an ``llc`` spec returns
its calibration and chains tables, with λ̂ of a regular model near d/2 and the settings
that produced it (docs/science/llc.md)."""

from __future__ import annotations

from pathlib import Path

import superscale

SPEC = """\
name = "py-llc"
kind = "llc"
seed = 3
[data]
n = 1000
[sampler]
step = 1e-4
chains = 8
draws = 4000
burn_in = 2000
[sweep]
model = [
    { family = "linear", shape = [4, 1] },
    { family = "reduced_rank", shape = [4, 3, 8] },
]
"""


def test_run_returns_the_llc_tables(tmp_path: Path) -> None:
    path = tmp_path / "llc.toml"
    path.write_text(SPEC)
    study = superscale.run(path, threads=2)
    assert study.kind == "llc" and len(study) == 2
    tables = study.tables()
    assert set(tables) == {"calibration", "chains"}
    calibration = tables["calibration"]
    assert list(calibration["model"]) == ["linear (4 1)", "reduced_rank (4 3 8)"]
    assert list(calibration["lambda"]) == [2.0, 6.0]
    assert (calibration["relative_error"].abs() < 0.1).all(), calibration
    assert (calibration["chains"] == 8).all() and (calibration["step"] == 1e-4).all()
    assert (calibration["ci_low"] < calibration["lambda_hat"]).all()
    assert len(tables["chains"]) == 16
    assert len(study.headlines) == 2 and "lambda_hat" in study.headlines[0]
