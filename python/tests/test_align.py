"""superscale.align against the golden numpy values of reference/gen_align_golden.py (the
shipped features in crates/superscale_measure/tests/data), the chance level and the null,
seeded reproducibility, the GIL being released, and errors as MeasureError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import assert_releases_the_gil
import superscale
from superscale.align import METRICS

DATA = Path(__file__).resolve().parents[2] / "crates" / "superscale_measure" / "tests" / "data"


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads((DATA / "align_golden.json").read_text())


@pytest.fixture(scope="module")
def pair() -> tuple[np.ndarray, np.ndarray]:
    return np.load(DATA / "align_a.npy"), np.load(DATA / "align_b.npy")


@pytest.mark.parametrize("metric", METRICS)
def test_every_metric_matches_numpy(metric: str, golden: dict, pair) -> None:
    a, b = pair  # float32 arrays: converted to float64 once
    result = superscale.align(a, b, metric=metric, k=10, permutations=0)
    assert result.metric == metric
    assert result.score == pytest.approx(golden["scores"][metric], rel=1e-6, abs=1e-12)
    assert result.null is None and result.interval is None


def test_chance_null_and_interval(pair) -> None:
    a, b = pair
    result = superscale.align(a, b, permutations=200, bootstrap=50, seed=3)
    assert result.chance == pytest.approx(10 / 299)
    assert result.null is not None and result.interval is not None
    # A shuffled pairing of the golden pair sits at chance (sd/sqrt(200) standard error).
    assert abs(result.null.mean - result.chance) < 4 * result.null.sd / np.sqrt(200)
    assert result.null.p_value == pytest.approx(1 / 201)
    assert result.null.calibrated == pytest.approx(
        (result.score - result.null.mean) / (1 - result.null.mean))
    assert result.interval.low < result.interval.high
    again = superscale.align(a, b, permutations=200, bootstrap=50, seed=3)
    assert again == result
    other = superscale.align(a, b, permutations=200, bootstrap=50, seed=4)
    assert other.null != result.null


def test_preprocessing_switches(pair, golden: dict) -> None:
    a, b = pair
    raw = superscale.align(a, b, metric="unbiased_cka", permutations=0,
                           normalize=False, clip_quantile=None)
    assert raw.score == pytest.approx(golden["scores_raw"]["unbiased_cka"], rel=1e-6)
    per_row = superscale.align(a, b, metric="mutual_knn", permutations=0, clip="per_row")
    assert per_row.score == pytest.approx(golden["scores_per_row"]["mutual_knn"], abs=1e-12)


def test_releases_the_gil(pair) -> None:
    a, b = pair
    assert_releases_the_gil(lambda: superscale.align(a, b, metric="svcca", permutations=0, bootstrap=100))


@pytest.mark.parametrize("kwargs, message", [
    ({"b": np.zeros((20, 4))}, "rows"),
    ({"k": 300}, "k = 300"),
    ({"metric": "nope"}, "unknown metric"),
    ({"clip": "sideways"}, "clip"),
    ({"clip_quantile": 1.5}, "quantile"),
])
def test_errors_are_measure_errors(pair, kwargs: dict, message: str) -> None:
    a, b = pair
    arguments = {"a": a, "b": b, "permutations": 0, **kwargs}
    with pytest.raises(superscale.MeasureError, match=message):
        superscale.align(**arguments)
    with pytest.raises(superscale.SuperscaleError):
        superscale.align(a, np.full_like(b, np.nan), permutations=0)
