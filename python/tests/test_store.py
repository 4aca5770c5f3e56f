"""`superscale.run(spec, store=DIR)` writes the CLI's run store (same planning, per-run
commits and resume), and `Study.open` reads it back."""

from __future__ import annotations

import _thread
import subprocess
from pathlib import Path

import numpy as np
import pytest

import superscale


def without_seconds(csv_text: str) -> list[list[str]]:
    rows = [line.split(",") for line in csv_text.splitlines()]
    assert rows[0][-1] == "seconds"
    return [row[:-1] for row in rows]


def tiny_spec(widths: list[int]) -> superscale.Spec:
    return superscale.Spec(
        "tiny",
        model={"variant": "superposition_scaling", "n_features": 40, "n_hidden": 4, "alpha": 1.0, "weight_decay": -0.5},
        train={"steps": 100, "batch_size": 64, "schedule": {"kind": "constant", "lr": 0.01}},
        sweep={"model.n_hidden": widths},
    )


def test_run_into_a_store_is_the_cli_store(tmp_path: Path, cli: Path, small_toml: Path) -> None:
    subprocess.run([cli, "run", small_toml, "--store", tmp_path / "cli", "--threads", "2", "--quiet"], check=True, capture_output=True)
    study = superscale.run(small_toml, store=tmp_path / "py", threads=2)
    assert (tmp_path / "py" / "superscale.db").is_file() and study.report == str(tmp_path / "py" / "report.html")
    for name in ["results.csv", "curves.csv", "exponents.csv", "spec.toml"]:
        left, right = (tmp_path / "py" / name).read_text(), (tmp_path / "cli" / name).read_text()
        assert (without_seconds(left) == without_seconds(right)) if name == "results.csv" else left == right, name
    # The CLI reads the Python store as its own: everything is finished, nothing is rerun.
    again = subprocess.run([cli, "run", small_toml, "--store", tmp_path / "py", "--threads", "1"], check=True, capture_output=True, text=True)
    assert "all 12 runs finished" in again.stderr
    listing = subprocess.run([cli, "ls", tmp_path / "py"], check=True, capture_output=True, text=True)
    assert all(run_id in listing.stdout for run_id in study.run_ids)
    # And a second Python call resumes with nothing to do, to the same results.
    events: list[dict] = []
    resumed = superscale.run(small_toml, store=tmp_path / "py", threads=1, progress=events.append)
    assert events == [] and resumed.results_csv() == study.results_csv()


def test_an_interrupted_store_resumes_bit_identical(tmp_path: Path, small_study: superscale.Study) -> None:
    store = tmp_path / "store"

    def interrupt_after_first(event: dict) -> None:
        # The callback runs before the worker takes another run, and the interrupt is
        # handled before the worker goes on: one run committed, eleven left, on any machine.
        assert event["finished"] == 1
        _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt) as caught:
        superscale.run(small_study.spec, store=store, threads=1, progress=interrupt_after_first)
    partial = caught.value.study  # type: ignore[attr-defined]
    assert partial.interrupted and len(partial) == 1
    opened = superscale.Study.open(store)
    assert opened.interrupted and opened.results_csv() == partial.results_csv()

    events: list[dict] = []
    resumed = superscale.run(small_study.spec, store=store, threads=2, progress=events.append)
    assert not resumed.interrupted and len(resumed) == len(small_study)
    # Only the runs the interrupt left undone were trained again.
    assert len(events) == len(small_study) - len(partial) and events[0]["total"] == len(events)
    uninterrupted = small_study.results_csv()
    assert without_seconds((store / "results.csv").read_text()) == without_seconds(uninterrupted)
    assert without_seconds(resumed.results_csv()) == without_seconds(uninterrupted)
    assert (store / "curves.csv").read_text() == small_study.curves_csv()
    assert (store / "exponents.csv").read_text() == small_study.exponents_csv()
    assert not superscale.Study.open(store).interrupted


def test_a_conflicting_spec_raises_the_cli_message(tmp_path: Path, cli: Path) -> None:
    store = tmp_path / "store"
    superscale.run(tiny_spec([4, 8]), store=store, threads=1)
    (tmp_path / "wider.toml").write_text(tiny_spec([4, 8, 16]).source)
    # Loaded from its file, the spec is named by its path in the message, as the CLI names it.
    wider = superscale.Spec.from_toml(tmp_path / "wider.toml")
    with pytest.raises(superscale.StoreError) as caught:
        superscale.run(wider, store=store, threads=1)
    message = str(caught.value)
    assert str(store) in message and "--extend" in message
    by_cli = subprocess.run([cli, "run", tmp_path / "wider.toml", "--store", store, "--quiet"], capture_output=True, text=True)
    assert by_cli.returncode == 2 and f"error: {message}" in by_cli.stderr
    extended = superscale.run(wider, store=store, threads=1, extend=True)
    assert len(extended) == 3 and not extended.interrupted
    assert without_seconds(extended.results_csv()) == without_seconds(superscale.run(wider, threads=1).results_csv())


def test_progress_prints_the_cli_summary(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    superscale.run(tiny_spec([4, 8]), store=tmp_path / "s", threads=1, progress=True)
    lines = capfd.readouterr().err.splitlines()
    assert lines[0] == f"tiny: 2 runs to do on 1 threads → {tmp_path / 's'} (new store)" and len(lines) == 3
    superscale.run(tiny_spec([4, 8]), store=tmp_path / "s", threads=1, progress=True)
    assert capfd.readouterr().err == f"tiny: all 2 runs finished in {tmp_path / 's'}; rewriting the report\n"


def test_store_errors(tmp_path: Path) -> None:
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(superscale.StoreError, match="is not a superscale store"):
        superscale.run(tiny_spec([4]), store=tmp_path / "foreign")
    with pytest.raises(superscale.StoreError, match="no superscale store here"):
        superscale.Study.open(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "superscale.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(superscale.StoreError, match="corrupted"):
        superscale.Study.open(tmp_path / "bad")
    assert issubclass(superscale.StoreError, superscale.SuperscaleError)


def test_out_is_an_alias_of_store(tmp_path: Path) -> None:
    study = superscale.run(tiny_spec([4]), out=tmp_path / "out", threads=1)
    assert (tmp_path / "out" / "superscale.db").is_file() and len(superscale.Study.open(tmp_path / "out")) == len(study) == 1
    with pytest.raises(ValueError, match="alias"):
        superscale.run(tiny_spec([4]), store=tmp_path / "a", out=tmp_path / "b")
    with pytest.raises(ValueError, match="store=DIR"):
        superscale.run(tiny_spec([4]), save_weights=True)


def test_study_open_frames_and_weights(tmp_path: Path) -> None:
    spec = tiny_spec([4, 8])
    saved = superscale.run(spec, store=tmp_path / "saved", threads=1, save_weights=True)
    opened = superscale.Study.open(tmp_path / "saved")
    assert repr(opened) == repr(saved) and opened.run_ids == saved.run_ids
    assert opened.spec.canonical_json() == spec.canonical_json()
    assert opened.report == str(tmp_path / "saved" / "report.html")
    assert opened.results_csv() == saved.results_csv() and opened.curves_csv() == saved.curves_csv()
    assert opened.exponents().equals(saved.exponents()) and opened.curves().equals(saved.curves())
    assert opened.results().equals(saved.results())
    for index in range(len(saved)):
        W, b = opened.weights(index)
        W0, b0 = saved.weights(index)
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)
        assert W.dtype == np.float32 and not W.flags.writeable
        geometry, expected = opened.geometry(index), saved.geometry(index)
        assert geometry is not None and expected is not None
        np.testing.assert_array_equal(geometry["row_norms"], expected["row_norms"])
        assert geometry["phi_half"] == expected["phi_half"] and geometry["overlap_all"] == expected["overlap_all"]
    unsaved = superscale.run(spec, store=tmp_path / "unsaved", threads=1)
    assert unsaved.weights(0)[0].shape == (40, 4)  # trained now: in memory
    with pytest.raises(superscale.StoreError, match="save_weights=True"):
        superscale.Study.open(tmp_path / "unsaved").weights(0)
