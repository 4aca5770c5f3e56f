"""The store's Parquet export, read back by pandas and polars (issue 3's round trip), matches
the study's results table written beside it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import polars as pl


def test_parquet_export_reads_back_in_pandas_and_polars(tmp_path: Path, cli: Path, small_toml: Path) -> None:
    store = tmp_path / "study"
    subprocess.run([str(cli), "run", str(small_toml), "--store", str(store), "--threads", "2", "--quiet"], check=True)
    subprocess.run([str(cli), "export", str(store), "--format", "parquet"], check=True)
    export = store / "export"
    runs = pd.read_parquet(export / "runs.parquet")
    results = pd.read_csv(store / "results.csv", float_precision="round_trip")
    assert len(runs) == len(results) == 12
    assert runs["run_id"].tolist() == results["run_id"].tolist()
    # The exported held-out losses are the stored f64 values, bit for bit.
    assert (runs["loss_heldout_n_mse"].to_numpy() == results["loss_heldout_n_mse"].to_numpy()).all()
    assert runs["model.n_hidden"].tolist() == results["n_hidden"].tolist()
    curves = pl.read_parquet(export / "curves.parquet")
    assert curves.height == len(pd.read_csv(store / "curves.csv"))
    assert set(pl.read_parquet(export / "runs.parquet")["run_id"].to_list()) == set(results["run_id"])
