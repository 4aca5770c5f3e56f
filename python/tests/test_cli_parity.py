"""Python and the CLI give identical numbers for the same spec (the bits do not depend on
the thread count, so the two sides use different ones)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

import superscale


def without_seconds(csv_text: str) -> list[list[str]]:
    """Rows of a results.csv without its last column, the wall time."""
    rows = [line.split(",") for line in csv_text.splitlines()]
    assert rows[0][-1] == "seconds"
    return [row[:-1] for row in rows]


def test_results_match_the_cli_exactly(tmp_path: Path, cli: Path, small_toml: Path, small_study: superscale.Study) -> None:
    subprocess.run([cli, "run", small_toml, "--out", tmp_path / "cli", "--threads", "2", "--quiet"], check=True, capture_output=True)
    study = superscale.run(small_toml, out=tmp_path / "py", threads=1)
    for name in ["results.csv", "exponents.csv", "curves.csv", "spec.toml"]:
        assert (tmp_path / "py" / name).exists() and (tmp_path / "py" / "report.html").exists()
    cli_results = (tmp_path / "cli" / "results.csv").read_text()
    assert without_seconds(study.results_csv()) == without_seconds(cli_results)
    assert without_seconds((tmp_path / "py" / "results.csv").read_text()) == without_seconds(cli_results)
    assert study.exponents_csv() == (tmp_path / "cli" / "exponents.csv").read_text()
    assert study.curves_csv() == (tmp_path / "cli" / "curves.csv").read_text()
    assert (tmp_path / "py" / "spec.toml").read_text() == small_toml.read_text()
    assert study.report == str(tmp_path / "py" / "report.html")
    # The session's study ran from a Spec object on one thread: the same bits again.
    assert without_seconds(small_study.results_csv()) == without_seconds(cli_results)

    # The DataFrame holds exactly the numbers of the CLI's file.
    frame = study.results()
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
    expected = pd.read_csv(tmp_path / "cli" / "results.csv", dtype={"run_id": str}, **exact)
    assert list(frame.columns) == list(expected.columns)
    for column in expected.columns.drop("seconds"):
        left, right = frame[column].to_numpy(), expected[column].to_numpy()
        if left.dtype.kind == "f":
            np.testing.assert_array_equal(left, right.astype(float), err_msg=column)
        else:
            assert [str(v) for v in left] == [str(v) for v in right], column
    assert frame["run_id"].tolist() == superscale.Spec.from_toml(small_toml).run_ids
    assert frame["seed"].tolist() == [p["seed"] for p in study.spec.points]


def test_exponents_and_curves_frames(small_study: superscale.Study) -> None:
    exponents = small_study.exponents()
    assert exponents["group"].tolist() == ["model.weight_decay=-0.5", "model.weight_decay=0.3"]
    assert (exponents["n_points"] == 6).all() and (exponents["diverged_runs"] == 0).all()
    results = small_study.results()
    strong = results[results["weight_decay"] == -0.5]
    fitted = superscale.fit.power_law(strong["n_hidden"], strong["loss_heldout_n_mse"])
    assert fitted.exponent == exponents["alpha_m"][0] and fitted.exponent_se == exponents["alpha_m_se"][0]
    curves = small_study.curves()
    assert list(curves.columns) == ["index", "run_id", "replicate", "step", "loss_batch_n_mse"]
    steps, losses = small_study.curve(0)
    first = curves[curves["index"] == 0]
    np.testing.assert_array_equal(first["step"].to_numpy(), steps)
    np.testing.assert_array_equal(first["loss_batch_n_mse"].to_numpy(), losses)


def test_polars_frame_has_the_same_values(small_study: superscale.Study) -> None:
    polars = __import__("polars")
    frame = small_study.to_polars()
    pandas_frame = small_study.results()
    assert frame.columns == list(pandas_frame.columns)
    assert frame["run_id"].to_list() == pandas_frame["run_id"].tolist()
    np.testing.assert_array_equal(frame["loss_heldout_n_mse"].to_numpy(), pandas_frame["loss_heldout_n_mse"].to_numpy())
    assert frame.schema["seed"] == polars.UInt64
