"""Training from Python: GIL released, Ctrl-C, progress, and the arrays a study hands out."""

from __future__ import annotations

import _thread
import json
import os
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import superscale


def slow_spec(runs: int = 4, steps: int = 1500) -> superscale.Spec:
    """Runs of about half a second each on one thread."""
    return superscale.Spec(
        "slow",
        model={"variant": "superposition_scaling", "n_features": 400, "n_hidden": 20, "alpha": 1.0, "weight_decay": -0.5},
        train={"steps": steps, "batch_size": 256, "schedule": {"kind": "constant", "lr": 0.01}},
        sweep={"model.n_hidden": [20 + k for k in range(runs)]},
    )


def long_and_short_spec() -> superscale.Spec:
    """Two runs: a long one (10⁶ steps, several minutes) and a short one (50 steps). Runs
    start largest first, so with two threads the short one finishes while the long one
    trains: its progress event marks "training is under way", and the long run cannot end
    before a test that stops the study has stopped it. Were the stop ignored, the long run
    would finish and the call would return both runs (a failure, minutes later)."""
    return superscale.Spec(
        "long-and-short",
        model={"variant": "superposition_scaling", "n_features": 400, "n_hidden": 20, "alpha": 1.0, "weight_decay": -0.5},
        train={"steps": 1_000_000, "batch_size": 256, "schedule": {"kind": "constant", "lr": 0.01}},
        sweep={"train.steps": [1_000_000, 50]},
    )


def test_training_releases_the_gil() -> None:
    # Another Python thread must count to a million while `run` trains, and it is the
    # counter that ends the study (KeyboardInterrupt, once it is done), so no clock is
    # involved: the short run's progress event starts the counter. Were the GIL held while
    # Rust trains, the counter could not move until the call returned, which would then
    # happen only after the long run, with both runs and no interrupt.
    target = 1_000_000
    counted = [0]
    go = threading.Event()

    def count() -> None:
        go.wait()
        for _ in range(target):
            counted[0] += 1
        _thread.interrupt_main()

    thread = threading.Thread(target=count)
    thread.start()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            superscale.run(long_and_short_spec(), threads=2, progress=lambda event: go.set())
    finally:
        go.set()
        thread.join()
    partial = caught.value.study  # type: ignore[attr-defined]
    assert counted[0] == target
    assert partial.interrupted and len(partial) == 1 and int(partial.results()["index"][0]) == 1


def test_ctrl_c_stops_the_workers_and_raises_keyboard_interrupt() -> None:
    # Ctrl-C from another thread (as a terminal's signal arrives) once the short run has
    # finished: the workers stop in the middle of the long run, which is not kept.
    finished_one = threading.Event()

    def ctrl_c() -> None:
        finished_one.wait()
        _thread.interrupt_main()

    thread = threading.Thread(target=ctrl_c)
    thread.start()
    spec = long_and_short_spec()
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            superscale.run(spec, threads=2, progress=lambda event: finished_one.set())
    finally:
        finished_one.set()
        thread.join()
    partial = caught.value.study  # type: ignore[attr-defined]
    assert partial.interrupted and len(partial) == 1 and len(spec) == 2
    assert list(partial.results()["index"]) == [1]  # the short run; the long one was stopped


def test_finished_runs_survive_an_interrupt(small_study: superscale.Study) -> None:
    def interrupt_after_first(event: dict) -> None:
        assert event["total"] == len(small_study) and event["status"] == "done"
        _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt) as caught:
        superscale.run(small_study.spec, threads=1, progress=interrupt_after_first)
    partial = caught.value.study  # type: ignore[attr-defined]
    # The callback runs before the worker takes another run, and the interrupt is handled
    # before the worker goes on: exactly one run, on any machine.
    assert partial.interrupted and len(partial) == 1
    kept = partial.results_csv().splitlines()
    full = small_study.results_csv().splitlines()
    by_index = {line.split(",")[0]: line.rsplit(",", 1)[0] for line in full[1:]}
    for line in kept[1:]:
        assert line.rsplit(",", 1)[0] == by_index[line.split(",")[0]]
    index = int(kept[1].split(",")[0])
    np.testing.assert_array_equal(partial.weights(index)[0], small_study.weights(index)[0])


def test_a_real_sigint_interrupts_a_script(tmp_path: Path) -> None:
    # A real SIGINT, sent once the script says its short run has finished (the long one
    # then trains for minutes): the script sees KeyboardInterrupt with the short run kept.
    script = tmp_path / "train.py"
    script.write_text(
        "import sys, superscale\n"
        "spec = superscale.Spec('s', model=dict(variant='superposition_scaling', n_features=400, n_hidden=20,"
        " alpha=1.0, weight_decay=-0.5), train=dict(steps=1000000, batch_size=256, schedule=dict(kind='constant', lr=0.01)),"
        " sweep={'train.steps': [1000000, 50]})\n"
        "def finished(event):\n"
        "    print('finished', event['index'], flush=True)\n"
        "try:\n"
        "    superscale.run(spec, threads=2, progress=finished)\n"
        "except KeyboardInterrupt as err:\n"
        "    print('interrupted', len(err.study), err.study.interrupted, flush=True)\n"
        "    raise\n"
    )
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "finished 1\n"
    process.send_signal(signal.SIGINT)
    out, err = process.communicate()
    assert out == "interrupted 1 True\n" and "KeyboardInterrupt" in err and "panic" not in err
    assert process.returncode != 0


def test_progress_prints_like_the_cli(capfd: pytest.CaptureFixture[str]) -> None:
    superscale.run(slow_spec(runs=2, steps=100), threads=1, progress=True)
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 2 and all(" r0 n_hidden=2" in line and "loss_heldout_n_mse = " in line for line in lines)
    assert lines[0].startswith("[  1/2] ") and lines[1].startswith("[  2/2] ")


def test_a_failing_callback_stops_the_study() -> None:
    def fail(event: dict) -> None:
        raise RuntimeError(f"stop at {event['finished']}")

    with pytest.raises(RuntimeError, match="stop at 1") as caught:
        superscale.run(slow_spec(runs=3, steps=100), threads=1, progress=fail)
    partial = caught.value.study  # type: ignore[attr-defined]
    assert partial.interrupted and len(partial) == 1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="threads must be at least 1"):
        superscale.run(slow_spec(), threads=0)
    with pytest.raises(TypeError):
        superscale.run(42)  # type: ignore[arg-type]
    with pytest.raises(superscale.SpecError, match="cannot read the spec"):
        superscale.run("no/such/spec.toml")


def test_threads_default_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPERSCALE_THREADS", "zero")
    with pytest.raises(ValueError, match="SUPERSCALE_THREADS"):
        superscale.run(slow_spec())


def test_weights_are_shared_read_only_arrays(small_study: superscale.Study) -> None:
    W, b = small_study.weights(0)
    assert W.shape == (60, 4) and b.shape == (60,) and W.dtype == np.float32 == b.dtype
    again, _ = small_study.weights(0)
    # No copy: every call returns a view of the one buffer the study owns, moved (not
    # copied) from Rust into numpy; it is read-only so the study cannot be changed.
    assert np.shares_memory(W, again) and not W.flags.owndata and W.base is not None
    assert not W.flags.writeable and not b.flags.writeable
    with pytest.raises(ValueError):
        W[0, 0] = 1.0
    run_id = small_study.run_ids[1]
    np.testing.assert_array_equal(small_study.weights(run_id, replicate=1)[0], small_study.weights(1)[0])
    assert np.shares_memory(small_study.weights(-1)[0], small_study.weights(len(small_study) - 1)[0])
    with pytest.raises(IndexError):
        small_study.weights(len(small_study))
    with pytest.raises(KeyError):
        small_study.weights("0000000000000000")
    del small_study  # the arrays keep their buffer alive on their own
    assert float(np.abs(W).sum()) > 0


def test_recorded_geometry_is_measure_geometry_of_the_weights(small_study: superscale.Study) -> None:
    for index in range(len(small_study)):
        W, _ = small_study.weights(index)
        recorded = small_study.geometry(index)
        measured = superscale.measure.geometry(W)
        assert recorded is not None
        np.testing.assert_array_equal(recorded["row_norms"], measured["row_norms"])
        for key in ["phi_half", "phi_one", "overlap_all", "overlap_strong", "dimensions_per_feature"]:
            assert recorded[key] == measured[key], key
    row = small_study.results().iloc[5]
    geometry = small_study.geometry(5)
    assert geometry is not None and row["phi_half"] == geometry["phi_half"]


def test_study_write_and_repr(tmp_path: Path, small_study: superscale.Study) -> None:
    report = small_study.write(tmp_path / "deep" / "out")
    assert Path(report).name == "report.html" and Path(report).exists()
    assert os.path.exists(tmp_path / "deep" / "out" / "results.csv")
    assert repr(small_study) == 'Study(name="small", kind="toy", runs=12/12)'


def test_study_renders_as_html_in_jupyter(small_study: superscale.Study) -> None:
    html = small_study._repr_html_()
    assert html.startswith('<div class="superscale-study">') and html.endswith("</div>")
    assert "<b>small</b>" in html and "toy study, 12 of 12 runs done, 0 failed" in html
    # The key table: α_m per decay group, in the paper's notation, with the regime named.
    assert "<th>γ</th><th>α_m ± SE</th>" in html
    assert "γ = −0.5 (strong)" in html and "γ = 0.3 (weak)" in html
    # The main figure, inline: loss against width with its legend and hover run ids.
    assert html.count("<svg") == 1 and 'data-figure="loss-vs-width"' in html
    assert 'class="entry"' in html and small_study.run_ids[0] in html
    assert "<script" not in html and "<th>run</th>" not in html, "no table of every run"


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """The safetensors layout, written by hand: u64 header length, JSON header, raw data."""
    header, blobs, offset = {"__metadata__": {"by": "test"}}, [], 0
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": {"float32": "F32", "float64": "F64"}[array.dtype.name], "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def test_weights_load_reads_safetensors_zero_copy(tmp_path: Path, small_study: superscale.Study) -> None:
    W, b = small_study.weights(2)
    path = tmp_path / f"{small_study.run_ids[2]}-r0.safetensors"
    write_safetensors(path, {"W": W, "b": b})
    loaded_W, loaded_b = superscale.weights.load(path)
    np.testing.assert_array_equal(loaded_W, W)
    np.testing.assert_array_equal(loaded_b, b)
    assert loaded_W.dtype == np.float32 and not loaded_W.flags.writeable
    assert isinstance(loaded_W.base, np.memmap)  # memory-mapped, not read into a copy
    write_safetensors(tmp_path / "other.safetensors", {"X": np.zeros(3)})
    with pytest.raises(ValueError, match="not a superscale weights file"):
        superscale.weights.load(tmp_path / "other.safetensors")
