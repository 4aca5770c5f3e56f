"""A tiny model trained from Python: its recorded held-out loss agrees with a plain numpy
forward pass of the returned weights on fresh samples from the same data distribution.

Model (superscale_models): y = ReLU(x W Wᵀ + b), loss L = mean over samples of
Σ_i I_i (y_i − x_i)² (the paper's n × MSE; I_i = 1 except in the Anthropic variant).
"""

from __future__ import annotations

import numpy as np
import pytest

import superscale

SAMPLES = 200_000


def sample_superposition_scaling(rng: np.random.Generator, n: int, alpha: float, density: float) -> np.ndarray:
    """p_i = E i^-α / Σ_j j^-α; an active feature is U(0, 2) (superscale_models::data)."""
    p = np.arange(1, n + 1, dtype=float) ** -alpha
    p *= density / p.sum()
    active = rng.random((SAMPLES, n)) < p
    return np.where(active, rng.uniform(0.0, 2.0, (SAMPLES, n)), 0.0)


def sample_anthropic(rng: np.random.Generator, n: int, probability: float) -> np.ndarray:
    """Each feature active with probability 1 − S, values U(0, 1)."""
    active = rng.random((SAMPLES, n)) < probability
    return np.where(active, rng.uniform(0.0, 1.0, (SAMPLES, n)), 0.0)


def per_sample_loss(x: np.ndarray, W: np.ndarray, b: np.ndarray, importance: np.ndarray) -> np.ndarray:
    W, b = W.astype(np.float64), b.astype(np.float64)
    y = np.maximum(x @ W @ W.T + b, 0.0)
    return ((y - x) ** 2 * importance).sum(axis=1)


MODELS = {
    "superposition_scaling": {"variant": "superposition_scaling", "n_features": 40, "n_hidden": 6, "alpha": 1.0, "weight_decay": -0.3},
    "anthropic": {"variant": "anthropic", "n_features": 20, "n_hidden": 5, "feature_probability": 0.1, "importance_decay": 0.9},
}


@pytest.mark.parametrize("variant", sorted(MODELS))
def test_heldout_loss_matches_a_numpy_forward_pass(variant: str) -> None:
    model = MODELS[variant]
    spec = superscale.Spec(
        f"tiny-{variant}",
        model=model,
        train={"steps": 400, "batch_size": 256, "schedule": {"kind": "constant", "lr": 0.01}},
        record={"heldout_batches": 100},
    )
    study = superscale.run(spec, threads=1)
    W, b = study.weights(0)
    recorded = float(study.results()["loss_heldout_n_mse"][0])
    n = model["n_features"]
    rng = np.random.default_rng(20251127)
    if variant == "anthropic":
        x = sample_anthropic(rng, n, model["feature_probability"])
        importance = model["importance_decay"] ** np.arange(n)
    else:
        x = sample_superposition_scaling(rng, n, model["alpha"], 1.0)
        importance = np.ones(n)
    losses = per_sample_loss(x, W, b, importance)
    mine = losses.mean()
    # Both are sample means of the same per-sample loss: the Rust one over 100 batches of
    # 256 held-out samples, this one over SAMPLES fresh ones.
    se = losses.std() * np.sqrt(1 / (100 * 256) + 1 / SAMPLES)
    assert abs(mine - recorded) < 5 * se, f"numpy {mine:.5f} vs recorded {recorded:.5f} (SE {se:.5f})"
    # The check has power: dropping the bias or shrinking W moves the loss far outside it.
    for W_other, b_other in [(W, np.zeros_like(b)), (0.8 * W, b)]:
        other = per_sample_loss(x, W_other, b_other, importance).mean()
        assert abs(other - recorded) > 5 * se, "the comparison cannot tell a wrong model apart"
