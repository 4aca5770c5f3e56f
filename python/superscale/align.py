"""Alignment between two representations of the same items (Platonic Representation
Hypothesis metrics, ``docs/science/alignment.md``).

    import superscale
    result = superscale.align(A, B, metric="mutual_knn", k=10, permutations=100,
                              bootstrap=200, seed=0)
    result.score, result.chance, result.null.z, result.null.calibrated, result.interval.low

Rows of ``A`` (n × d_A) and ``B`` (n × d_B) are the same n items in the same order. The
computation runs in Rust without the GIL; errors are :class:`superscale.MeasureError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy.typing as npt

from ._superscale import align_metrics, align_pair

METRICS: tuple[str, ...] = tuple(align_metrics())


@dataclass(frozen=True)
class NullStats:
    """The permutation null: B's rows shuffled ``permutations`` times."""

    permutations: int
    mean: float
    sd: float
    z: float
    p_value: float
    """one-sided (1 + #{null ≥ score}) / (1 + permutations)"""
    calibrated: float
    """(score − mean) / (1 − mean)"""


@dataclass(frozen=True)
class Interval:
    """A bootstrap percentile interval over items."""

    replicates: int
    confidence: float
    low: float
    high: float
    sd: float


@dataclass(frozen=True)
class Alignment:
    """A score with its chance level, permutation null and bootstrap interval."""

    metric: str
    score: float
    n: int
    k: Optional[int]
    chance: Optional[float]
    null: Optional[NullStats]
    interval: Optional[Interval]


def align(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    metric: str = "mutual_knn",
    k: int = 10,
    *,
    permutations: int = 100,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    normalize: bool = True,
    clip_quantile: Optional[float] = 0.95,
    clip: str = "exact",
    rbf_sigma: float = 1.0,
    cca_dim: int = 10,
) -> Alignment:
    """Alignment of two representations (rows paired); see ``superscale align --help``.

    ``clip_quantile=None`` disables clipping; ``clip="per_row"`` takes the reference CLI's
    per-row threshold instead of the exact one.
    """
    raw = align_pair(
        a, b, metric, k, permutations, bootstrap, confidence, seed, normalize,
        clip_quantile, clip, rbf_sigma, cca_dim,
    )
    null = NullStats(**raw["null"]) if raw["null"] is not None else None
    interval = Interval(**raw["interval"]) if raw["interval"] is not None else None
    return Alignment(
        metric=raw["metric"], score=raw["score"], n=raw["n"], k=raw["k"],
        chance=raw["chance"], null=null, interval=interval,
    )


__all__ = ["METRICS", "Alignment", "Interval", "NullStats", "align"]
