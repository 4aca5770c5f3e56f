"""``superscale.weights``: what ``superscale weights`` does, from Python, checked against
numpy references (``docs/science/superposition.md`` §2, §3.4, §3.6; ``docs/science/tms.md``
§4) and against the CLI."""

from __future__ import annotations

import json
import math
import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import assert_releases_the_gil
import superscale
from superscale import weights


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> None:
    """A safetensors file by hand (an independent writer): u64 header length, JSON, data."""
    header: dict[str, object] = {"__metadata__": metadata} if metadata else {}
    blobs, offset = [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_gguf(path: Path, name: str, array: np.ndarray) -> None:
    """A GGUF v3 file with one F32 tensor (ggml's docs/gguf.md): ne is the shape reversed."""
    def string(s: str) -> bytes:
        return struct.pack("<Q", len(s)) + s.encode()

    rows, columns = array.shape
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, 0)
    head += string(name) + struct.pack("<IQQIQ", 2, columns, rows, 0, 0)
    head += b"\0" * (-len(head) % 32)
    path.write_bytes(head + np.ascontiguousarray(array, dtype="<f4").tobytes())


def numpy_mso(w: np.ndarray) -> tuple[float, float]:
    """Mean of cos² and of |cos| over pairs i < j of normalised rows (the paper's
    overlap-0.py without blocks)."""
    unit = w / np.linalg.norm(w, axis=1, keepdims=True)
    cos = (unit @ unit.T)[np.triu_indices(len(w), 1)]
    return float(np.mean(cos**2)), float(np.mean(np.abs(cos)))


def numpy_dimensionality(w: np.ndarray) -> np.ndarray:
    """D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (Elhage et al. 2022)."""
    unit = w / np.linalg.norm(w, axis=1, keepdims=True)
    return np.linalg.norm(w, axis=1) ** 2 / np.sum((unit @ w.T) ** 2, axis=1)


def polygon(k: int) -> np.ndarray:
    angles = 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def tegum(*blocks: np.ndarray) -> np.ndarray:
    """Polytopes in orthogonal subspaces (block diagonal)."""
    rows, columns = sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)
    out, r, c = np.zeros((rows, columns)), 0, 0
    for b in blocks:
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def test_exact_polytopes_have_their_dimensionalities() -> None:
    # 1-D antipodal pair ½, triangle ⅔, pentagon ⅖, tetrahedron ¾, cube ⅜ (tms.md §5.6, C0): each a
    # tight frame of equal vectors, so D_i = m/n of its block.
    tetrahedron = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)
    cube = np.array([[x, y, z] for x in (1, -1) for y in (1, -1) for z in (1, -1)]) / np.sqrt(3)
    w = tegum(np.array([[1.0], [-1.0]]), polygon(3), polygon(5), tetrahedron, cube)
    result = weights.measure(w, ambiguity=False)
    expected = [0.5] * 2 + [2 / 3] * 3 + [0.4] * 5 + [0.75] * 4 + [3 / 8] * 8
    np.testing.assert_allclose(result["dimensionality"], expected, atol=1e-12)
    np.testing.assert_allclose(result["dimensionality"], numpy_dimensionality(w), atol=1e-12)
    np.testing.assert_allclose(result["row_norms"], 1.0, atol=1e-15)
    unit = w / np.linalg.norm(w, axis=1, keepdims=True)
    interference = np.sum((unit @ w.T) ** 2, axis=1) - np.linalg.norm(w, axis=1) ** 2
    np.testing.assert_allclose(result["interference"], interference, atol=1e-12)
    assert result["mean_dimensionality"] == pytest.approx(np.mean(expected), abs=1e-12)


def test_a_simplex_meets_the_welch_bound_and_others_lie_above() -> None:
    # m + 1 vertices of a regular simplex in R^m: every cos = −1/m, so MSO = 1/m² = κ².
    m = 7
    centred = np.eye(m + 1) - 1 / (m + 1)
    basis = np.linalg.svd(centred)[0][:, :m]  # coordinates in the simplex's own m-space
    simplex = centred @ basis
    result = weights.measure(simplex, ambiguity=False)
    assert result["welch_sq"] == pytest.approx((m + 1 - m) / (m * m), rel=1e-15)
    assert result["mso"] == pytest.approx(1 / m**2, rel=1e-12)
    random = np.random.default_rng(0).standard_normal((50, m))
    other = weights.measure(random, ambiguity=False)
    assert other["mso"] > other["welch_sq"] == pytest.approx((50 - m) / (m * 49), rel=1e-15)
    assert superscale.measure.welch_bound(50, m) ** 2 == pytest.approx(other["welch_sq"], rel=1e-15)


def test_gaussian_rows_have_mso_one_over_m_and_sampling_brackets_exact() -> None:
    n, m = 2000, 64
    w = np.random.default_rng(1).standard_normal((n, m))
    exact = weights.measure(w, ambiguity=False)
    mso, mean_abs = numpy_mso(w)
    assert exact["method"] == "exact" and exact["mso_ci"] == 0.0
    assert exact["mso"] == pytest.approx(mso, rel=1e-10)
    assert exact["mean_abs_cos"] == pytest.approx(mean_abs, rel=1e-10)
    # E[cos²] = 1/m exactly for isotropic directions; 2·10⁶ pairs, sd of the mean ≈ 0.4 %.
    assert exact["mso"] == pytest.approx(1 / m, rel=0.02)
    assert exact["m_mso"] == pytest.approx(1.0, rel=0.02)
    for seed in (0, 1, 2):
        sampled = weights.measure(w, sampled=True, pairs=200_000, seed=seed, ambiguity=False)
        assert sampled["method"] == "sampled" and sampled["seed"] == seed
        assert sampled["dimensionality"] is None and sampled["interference"] is None
        assert abs(sampled["mso"] - exact["mso"]) <= sampled["mso_ci"]
        assert abs(sampled["mean_abs_cos"] - exact["mean_abs_cos"]) <= sampled["mean_abs_cos_ci"]
    limit = weights.measure(w, exact_limit=1000, pairs=1000, ambiguity=False)
    assert limit["method"] == "sampled"
    again = weights.measure(w, sampled=True, pairs=200_000, seed=2, ambiguity=False)
    assert again["mso"] == sampled["mso"]  # seeded: the same pairs


def test_rows_columns_thresholds_and_ambiguity() -> None:
    rng = np.random.default_rng(2)
    w = rng.standard_normal((30, 6)) * rng.uniform(0.1, 1.5, (30, 1))
    rows = weights.measure(w, thresholds=[0.25, 0.8])
    columns = weights.measure(np.asfortranarray(w.T), features="columns")
    assert columns["features"] == "columns" and (columns["n"], columns["m"]) == (30, 6)
    np.testing.assert_array_equal(rows["row_norms"], columns["row_norms"])
    assert rows["mso"] == columns["mso"]
    norms = np.linalg.norm(w, axis=1)
    np.testing.assert_allclose(rows["row_norms"], norms, rtol=1e-14)
    assert rows["phi"] == {0.25: np.mean(norms > 0.25), 0.8: np.mean(norms > 0.8)}
    assert rows["phi_half"] == np.mean(norms > 0.5) and rows["phi_one"] == np.mean(norms > 1)
    assert rows["dims_per_feature"] == pytest.approx(6 / np.sum(w**2), rel=1e-13)
    # ‖WWᵀ − P‖₂ with P = I_m in the top-left corner (§2.3, App. D.5), dense numpy reference.
    p = np.zeros((30, 30))
    p[:6, :6] = np.eye(6)
    reference = np.max(np.abs(np.linalg.eigvalsh(w @ w.T - p)))
    assert rows["ambiguity"] == pytest.approx(reference, rel=1e-9)
    assert rows["ambiguity_converged"]


def test_reads_every_format_and_lists_tensors(tmp_path: Path) -> None:
    w = np.random.default_rng(3).standard_normal((12, 5)).astype(np.float32)
    write_safetensors(tmp_path / "m.safetensors", {"lm_head.weight": w, "bias": w[:, :1]}, {"loss": "0.5"})
    np.save(tmp_path / "m.npy", w)
    np.savez(tmp_path / "m.npz", first=w, second=w.T)
    write_gguf(tmp_path / "m.gguf", "token_embd.weight", w)
    listed = weights.tensors(tmp_path / "m.safetensors")
    assert listed == [{"name": "bias", "dtype": "F32", "shape": [12, 1]},
                      {"name": "lm_head.weight", "dtype": "F32", "shape": [12, 5]}]
    assert weights.tensors(tmp_path / "m.gguf") == [{"name": "token_embd.weight", "dtype": "F32", "shape": [12, 5]}]
    assert weights.metadata(tmp_path / "m.safetensors") == {"loss": "0.5"}
    assert weights.metadata(tmp_path / "m.npy") == {}
    for path, tensor in [("m.safetensors", "lm_head.weight"), ("m.npy", None), ("m.npz", "first"),
                         ("m.gguf", None)]:
        read = weights.read(tmp_path / path, tensor)
        assert read.dtype == np.float64 and read.shape == (12, 5)
        np.testing.assert_array_equal(read, w.astype(np.float64))
        assert weights.measure(str(tmp_path / path), tensor)["mso"] == pytest.approx(numpy_mso(w.astype(np.float64))[0], rel=1e-12)
    np.testing.assert_array_equal(weights.read(tmp_path / "m.npz", "second", features="columns"), w)


def test_errors_carry_the_cli_messages(tmp_path: Path, cli: Path) -> None:
    w = np.ones((4, 3), np.float32)
    write_safetensors(tmp_path / "two.safetensors", {"a": w, "b": w})
    two, absent = str(tmp_path / "two.safetensors"), str(tmp_path / "absent.npy")
    cases = [
        (lambda: weights.read(two, "nope"), [two, "--tensor", "nope"]),
        (lambda: weights.measure(absent), [absent]),
    ]
    for call, arguments in cases:
        with pytest.raises(superscale.MeasureError) as caught:
            call()
        done = subprocess.run([str(cli), "weights", *arguments], capture_output=True, text=True)
        assert done.returncode == 2
        assert done.stderr.strip() == f"error: {caught.value}"
    with pytest.raises(superscale.MeasureError, match="choose one of its 2-D tensors"):
        weights.read(tmp_path / "two.safetensors")
    with pytest.raises(superscale.MeasureError, match="features=\"diagonal\""):
        weights.measure(w, features="diagonal")
    with pytest.raises(superscale.MeasureError, match="--pairs must be at least 1"):
        weights.measure(w, sampled=True, pairs=0)


def test_non_finite_rows_are_refused_dropped_or_zeroed(tmp_path: Path, cli: Path) -> None:
    w = np.random.default_rng(8).standard_normal((12, 4))
    w[2, 1], w[7, 3] = np.nan, -np.inf
    np.save(tmp_path / "bad.npy", w)
    bad = str(tmp_path / "bad.npy")
    with pytest.raises(superscale.MeasureError) as caught:
        weights.measure(bad)
    assert f"{bad} :: array: 2 non-finite entries (NaN or ±inf) in 2 of its 12 rows" in str(caught.value)
    done = subprocess.run([str(cli), "weights", bad, "--tensor", "array"], capture_output=True, text=True)
    assert done.returncode == 2 and str(caught.value) in done.stderr
    # Dropping measures the other ten rows exactly as numpy does without them.
    dropped = weights.measure(bad, non_finite="drop")
    kept = np.delete(w, [2, 7], axis=0)
    assert (dropped["n"], dropped["non_finite_rows"], dropped["non_finite"]) == (10, 2, "drop")
    assert dropped["mso"] == pytest.approx(numpy_mso(kept)[0], rel=1e-12)
    zeroed = weights.measure(w, non_finite="zero")
    assert (zeroed["n"], zeroed["zero_rows"], zeroed["non_finite_entries"]) == (12, 2, 2)
    np.testing.assert_array_equal(zeroed["row_norms"][[2, 7]], [0.0, 0.0])
    family = weights.family([bad, bad], non_finite="zero", ambiguity=False)
    assert family["table"]["non_finite"] == ["zero", "zero"]
    with pytest.raises(superscale.MeasureError, match='non_finite="keep"'):
        weights.measure(w, non_finite="keep")
    # Every row zero: D* and the overlaps are undefined (NaN), not inf and 0.
    zero = weights.measure(np.zeros((10, 4)))
    assert math.isnan(zero["dims_per_feature"]) and math.isnan(zero["mso"]) and zero["zero_rows"] == 10


def test_family_fits_mso_and_loss(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    widths, noise = [8, 12, 16, 24, 32, 48], [0.03, -0.02, 0.01, -0.03, 0.02, 0.0]
    paths, losses = [], {}
    for m, e in zip(widths, noise):
        path = tmp_path / f"w{m}.safetensors"
        loss = 2.0 * m**-0.7 * (1 + e)
        # Half the losses from the metadata, one from a table, the rest given explicitly.
        metadata = {"loss": repr(loss)} if m in (8, 12, 16) else None
        write_safetensors(path, {"W": rng.standard_normal((300, m))}, metadata)
        paths.append(path)
        if m == 48:
            losses["w48.safetensors"] = loss
    (tmp_path / "losses.csv").write_text(f"file,loss\nw24.safetensors,{2.0 * 24**-0.7 * 0.97!r}\nw32.safetensors,{2.0 * 32**-0.7 * 1.02!r}\n")
    result = weights.family(paths, losses=losses, loss_table=tmp_path / "losses.csv", ambiguity=False)
    frame = pd.DataFrame(result["table"])
    assert list(frame["m"]) == widths
    assert list(frame["loss_source"]) == ["metadata"] * 3 + ["table"] * 2 + ["argument"]
    np.testing.assert_allclose(frame["loss"], [2.0 * m**-0.7 * (1 + e) for m, e in zip(widths, noise)], rtol=1e-15)
    fit = result["loss_fit"]
    assert fit["n_points"] == 6 and abs(fit["exponent"] - 0.7) < 0.05
    assert fit["lower"] < 0.7 < fit["upper"] and fit["level"] == 0.95
    # numpy reference of the OLS slope of ln L on ln m
    slope = np.polyfit(np.log(widths), np.log(frame["loss"]), 1)[0]
    assert fit["exponent"] == pytest.approx(-slope, rel=1e-12)
    mso = result["mso_fit"]
    assert mso["exponent"] == pytest.approx(-np.polyfit(np.log(widths), np.log(frame["mso"]), 1)[0], rel=1e-12)
    assert abs(mso["exponent"] - 1.0) < 0.05  # Gaussian rows: MSO ≈ 1/m (§3.4)
    assert result["mso_note"] is None and result["loss_note"] is None and result["with_loss"] == 6
    alone = weights.family(paths[3:], ambiguity=False)
    assert alone["loss_fit"] is None and "no file has a loss" in alone["loss_note"]
    with pytest.raises(superscale.MeasureError, match=r'losses\["w48.safetensors"\]: the loss must be a positive'):
        weights.family(paths, losses={"w48.safetensors": -1.0}, ambiguity=False)
    with pytest.raises(superscale.MeasureError, match="w9.npy is not one of the input files"):
        weights.family(paths, losses={"w9.npy": 1.0}, ambiguity=False)


def test_family_matches_the_cli(tmp_path: Path, cli: Path) -> None:
    rng = np.random.default_rng(5)
    paths = []
    for m in (4, 8, 16):
        np.save(tmp_path / f"w{m}.npy", rng.standard_normal((40, m)))
        paths.append(tmp_path / f"w{m}.npy")
    (tmp_path / "l.csv").write_text("file,loss\nw4.npy,1.0\nw8.npy,0.6\nw16.npy,0.3\n")
    result = weights.family(paths, loss_table=tmp_path / "l.csv", seed=7, bootstrap=500)
    done = subprocess.run([str(cli), "weights", *map(str, paths), "--losses", str(tmp_path / "l.csv"),
                           "--seed", "7", "--bootstrap", "500", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cli_rows = pd.read_csv(tmp_path / "weights.csv")
    ours = pd.DataFrame(result["table"])
    for column in ["n", "m", "mso", "mean_abs_cos", "welch_sq", "ambiguity", "loss"]:
        np.testing.assert_array_equal(cli_rows[column].to_numpy(), ours[column].to_numpy(), err_msg=column)
    fit = result["loss_fit"]
    line = next(l for l in done.stdout.splitlines() if l.startswith("fit loss"))
    assert f"slope = {fit['exponent']:.4f}" in line and f"[{fit['lower']:.4f}, {fit['upper']:.4f}]" in line


def test_releases_the_gil() -> None:
    w = np.random.default_rng(6).standard_normal((3000, 128))
    assert_releases_the_gil(lambda: weights.measure(w))

