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
import time
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


def test_training_releases_the_gil() -> None:
    counter = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.is_set():
            counter[0] += 1

    thread = threading.Thread(target=count)
    thread.start()
    try:
        while counter[0] == 0:
            time.sleep(0.01)
        before, started = counter[0], time.perf_counter()
        study = superscale.run(slow_spec(runs=2), threads=1)
        during, seconds = counter[0] - before, time.perf_counter() - started
    finally:
        stop.set()
        thread.join()
    assert len(study) == 2 and seconds > 0.3
    # A thread that could not take the GIL would not count at all; released, it counts
    # millions of times per second (fewer when the cores are shared).
    assert during > 20_000, f"the counter advanced only {during} times in {seconds:.2f} s of training"


def test_ctrl_c_stops_the_workers_and_raises_keyboard_interrupt() -> None:
    spec = slow_spec(runs=6)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    started = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt) as caught:
        superscale.run(spec, threads=2)
    elapsed = time.perf_counter() - started
    timer.join()
    partial = caught.value.study  # type: ignore[attr-defined]
    assert partial.interrupted and len(partial) < len(spec)
    # The workers stop within 100 steps of the signal, long before the six runs would end.
    assert elapsed < 3.0, f"took {elapsed:.2f} s to stop"


def test_finished_runs_survive_an_interrupt(small_study: superscale.Study) -> None:
    def interrupt_after_first(event: dict) -> None:
        assert event["total"] == len(small_study) and event["status"] == "done"
        _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt) as caught:
        superscale.run(small_study.spec, threads=1, progress=interrupt_after_first)
    partial = caught.value.study  # type: ignore[attr-defined]
    assert partial.interrupted and 1 <= len(partial) < len(small_study)
    kept = partial.results_csv().splitlines()
    full = small_study.results_csv().splitlines()
    by_index = {line.split(",")[0]: line.rsplit(",", 1)[0] for line in full[1:]}
    for line in kept[1:]:
        assert line.rsplit(",", 1)[0] == by_index[line.split(",")[0]]
    index = int(kept[1].split(",")[0])
    np.testing.assert_array_equal(partial.weights(index)[0], small_study.weights(index)[0])


def test_a_real_sigint_interrupts_a_script(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import sys, superscale\n"
        "spec = superscale.Spec('s', model=dict(variant='superposition_scaling', n_features=400, n_hidden=20,"
        " alpha=1.0, weight_decay=-0.5), train=dict(steps=200000, batch_size=256, schedule=dict(kind='constant', lr=0.01)))\n"
        "print('started', flush=True)\n"
        "try:\n"
        "    superscale.run(spec, threads=1)\n"
        "except KeyboardInterrupt as err:\n"
        "    print('interrupted', len(err.study), err.study.interrupted, flush=True)\n"
        "    raise\n"
    )
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "started\n"
    time.sleep(0.5)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert time.perf_counter() - sent < 5.0
    assert out == "interrupted 0 True\n" and "KeyboardInterrupt" in err and "panic" not in err
    assert process.returncode != 0


def test_progress_prints_like_the_cli(capfd: pytest.CaptureFixture[str]) -> None:
    superscale.run(slow_spec(runs=2, steps=100), threads=1, progress=True)
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 2 and all(" r0 n_hidden=2" in line and "L_heldout = " in line for line in lines)
    assert lines[0].startswith("[  1/2] ") and lines[1].startswith("[  2/2] ")


def test_a_failing_callback_stops_the_study() -> None:
    def fail(event: dict) -> None:
        raise RuntimeError(f"stop at {event['finished']}")

    with pytest.raises(RuntimeError, match="stop at 1") as caught:
        superscale.run(slow_spec(runs=3, steps=100), threads=1, progress=fail)
    assert caught.value.study.interrupted  # type: ignore[attr-defined]


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
    assert repr(small_study) == 'Study(name="small", runs=12/12)'


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
