"""superscale.fit and superscale.measure on plain numpy data, checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import superscale
from superscale import fit, measure


def test_power_law_recovers_the_exponent_and_its_ols_standard_error() -> None:
    rng = np.random.default_rng(1)
    x = np.geomspace(10, 1000, 12)
    y = 3.0 * x**-0.7 * np.exp(rng.normal(0, 0.05, x.size))
    result = fit.power_law(x, y)
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    residuals = np.log(y) - (intercept + slope * np.log(x))
    se = np.sqrt(residuals @ residuals / (x.size - 2) / ((np.log(x) - np.log(x).mean()) ** 2).sum())
    assert result.exponent == pytest.approx(-slope, rel=1e-12)
    assert result.intercept == pytest.approx(intercept, rel=1e-12)
    assert result.exponent_se == pytest.approx(se, rel=1e-10)
    assert result.n_points == 12 and 0.9 < result.r_squared <= 1.0 and result.bootstrap is None
    boot = fit.power_law(list(x), list(y), bootstrap=200, seed=3).bootstrap
    assert boot is not None and boot.replicates.shape == (200 - boot.failed, 2)
    alpha = boot.quantities["alpha"]
    assert alpha["lower"] < 0.7 < alpha["upper"] and alpha["estimate"] == pytest.approx(result.exponent)


def test_law_forms_and_prediction() -> None:
    x = np.geomspace(1e2, 1e5, 10)
    offset = fit.law("offset-power", x, 1.5 + 20.0 * x**-0.5)
    assert offset.form == "offset-power" and offset.converged and offset.starts is not None
    assert offset.parameters["alpha"] == pytest.approx(0.5, abs=1e-6)
    np.testing.assert_allclose(offset.predict(x), 1.5 + 20.0 * x**-0.5, rtol=1e-8)
    power = fit.law("power", x, 2.0 * x**-0.3, bootstrap=50, groups=np.arange(10) // 2)
    assert set(power.parameters) == {"A", "alpha"} and power.bootstrap is not None
    assert power.bootstrap.quantities["alpha"]["standard_error"] < 1e-9


def test_chinchilla_needs_its_second_input() -> None:
    n = np.repeat(np.geomspace(1e7, 1e9, 4), 3)
    d = np.tile(np.geomspace(1e9, 1e11, 3), 4)
    loss = 1.7 + 400 / n**0.34 + 410 / d**0.28
    law = fit.chinchilla(n, d, loss)
    assert law.form == "chinchilla" and set(law.derived) == {"a", "b", "N_opt", "D_opt", "tokens_per_parameter"}
    np.testing.assert_allclose(law.predict(n, d), loss, rtol=1e-3)
    with pytest.raises(superscale.FitError, match="second input"):
        fit.law("chinchilla", n, loss)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1, 2], [1, 2], "needs at least 3 points, got 2"),
        ([1, 2, 3], [1, 2], "x has 3 values but y has 2"),
        ([1, 2, 3], [1, -2, 3], "y must be positive to take its logarithm, but point 1 has -2"),
        ([1, np.nan, 3], [1, 2, 3], "x at point 1 is not finite (NaN)"),
    ],
)
def test_fit_errors_carry_the_crates_messages(x: list, y: list, message: str) -> None:
    with pytest.raises(superscale.FitError) as caught:
        fit.power_law(x, y)
    assert message in str(caught.value) and isinstance(caught.value, superscale.SuperscaleError)


def test_unknown_form_and_bad_bootstrap() -> None:
    with pytest.raises(superscale.FitError, match="unknown form"):
        fit.law("cubic", [1, 2, 3], [1, 2, 3])
    with pytest.raises(superscale.FitError, match="level"):
        fit.power_law([1, 2, 3, 4], [4, 3, 2, 1], bootstrap=10, level=1.5)


def numpy_overlap(W: np.ndarray, rows: np.ndarray) -> tuple[float, float, float]:
    unit = W[rows] / np.linalg.norm(W[rows], axis=1, keepdims=True)
    cos = (unit @ unit.T)[np.triu_indices(len(rows), 1)]
    return (cos**2).mean(), (cos**2).var(), np.abs(cos).mean()


def test_geometry_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    W = rng.normal(0, 0.4, (300, 12))
    g = measure.geometry(W)
    norms = np.linalg.norm(W, axis=1)
    np.testing.assert_allclose(g["row_norms"], norms, rtol=1e-14)
    assert g["phi_half"] == (norms > 0.5).mean() and g["phi_one"] == (norms > 1).mean()
    mean, var, mean_abs = numpy_overlap(W, np.arange(300))
    assert g["overlap_all"]["mean"] == pytest.approx(mean, rel=1e-12)
    assert g["overlap_all"]["variance"] == pytest.approx(var, rel=1e-9)
    assert g["overlap_all"]["mean_abs"] == pytest.approx(mean_abs, rel=1e-12)
    strong = np.flatnonzero(norms > 1)
    assert g["overlap_strong"]["rows"] == strong.size
    assert g["overlap_strong"]["mean"] == pytest.approx(numpy_overlap(W, strong)[0], rel=1e-12)
    kappa_sq = (strong.size - 12) / (12 * (strong.size - 1))
    assert g["overlap_strong"]["welch_kappa_sq"] == pytest.approx(max(kappa_sq, 0.0))
    assert g["dimensions_per_feature"] == pytest.approx(12 / (W**2).sum(), rel=1e-14)
    assert measure.dimensions_per_feature(W) == g["dimensions_per_feature"]
    np.testing.assert_array_equal(measure.row_norms(W), g["row_norms"])
    assert measure.mean_squared_overlap(W, rows=list(strong))["mean"] == g["overlap_strong"]["mean"]


def test_any_layout_and_dtype_is_measured_the_same() -> None:
    W = np.random.default_rng(2).normal(size=(50, 8))
    reference = measure.geometry(W)
    for variant in [np.asfortranarray(W), W.astype(np.float32).astype(np.float64), W.tolist()]:
        assert measure.geometry(variant)["phi_half"] == reference["phi_half"]
    wide = np.zeros((50, 16))
    wide[:, ::2] = W  # a strided view is copied once, not refused
    np.testing.assert_allclose(measure.geometry(wide[:, ::2])["row_norms"], reference["row_norms"])


def test_feature_dimensionality_matches_the_tms_notebook() -> None:
    rng = np.random.default_rng(5)
    W = rng.normal(size=(30, 4))
    W[3] = 0.0
    dims, interference = measure.feature_dimensionality(W)
    norms = np.linalg.norm(W, axis=1)
    unit = W / np.maximum(norms, 1e-6)[:, None]
    total = ((unit @ W.T) ** 2).sum(axis=1)
    np.testing.assert_allclose(interference, total - norms**2 * (norms > 0), rtol=1e-9, atol=1e-12)
    live = norms > 0
    np.testing.assert_allclose(dims[live], norms[live] ** 2 / total[live], rtol=1e-12)
    assert dims[3] == 0.0
    # Antipodal pairs in 2-D: each feature has dimensionality 1/2 (Elhage et al. 2022).
    square = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    np.testing.assert_allclose(measure.feature_dimensionality(square)[0], 0.5)


def test_measure_errors_are_exceptions_not_panics() -> None:
    with pytest.raises(superscale.MeasureError, match="width 0"):
        measure.geometry(np.zeros((5, 0)))
    with pytest.raises(TypeError):
        measure.geometry(np.zeros(5))
    with pytest.raises(IndexError):
        measure.mean_squared_overlap(np.eye(3), rows=[0, 3])
    assert measure.welch_bound(3, 2) == pytest.approx(0.5)
