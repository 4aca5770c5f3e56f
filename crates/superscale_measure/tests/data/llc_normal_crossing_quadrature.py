"""Reference values of the exact expectation of the LLC estimate for the normal crossing
f(x) = w1^a w2^b x at finite n·beta and localisation gamma (docs/science/llc.md §4.2),
by a numpy sum over a grid uniform in asinh(w / 1e-3), independently of the Rust
quadrature `normal_crossing_posterior_lambda` whose unit test quotes these numbers.

    python crates/superscale_measure/tests/data/llc_normal_crossing_quadrature.py

E[t K] under p(w) ∝ exp(-t K(w) - gamma |w|^2 / 2), K = (w1^a w2^b)^2, t = n beta mean(x^2)
(mean(x^2) = 1 here: inputs N(0, 1)), n = 1000, beta = 1 / ln n.
"""

import numpy as np


def expected(a: int, b: int, t: float, gamma: float, points: int = 4001) -> float:
    scale = 1e-3
    end = np.arcsinh(8 / np.sqrt(gamma) / scale)
    u = np.linspace(-end, end, points)
    w = np.sinh(u) * scale
    weight = np.cosh(u) * scale * (u[1] - u[0])
    w1, w2 = np.meshgrid(w, w, indexing="ij")
    energy = t * (w1**a * w2**b) ** 2
    log_p = -energy - gamma / 2 * (w1**2 + w2**2)
    p = np.exp(log_p - log_p.max()) * weight[:, None] * weight[None, :]
    return float((energy * p).sum() / p.sum())


if __name__ == "__main__":
    t = 1000 / np.log(1000)
    for (a, b), gamma in [((1, 1), 1.0), ((1, 2), 0.1), ((2, 3), 0.01)]:
        print(f"({a}, {b}) gamma {gamma}: {expected(a, b, t, gamma):.4f}  (lambda = {1 / (2 * max(a, b)):.4f})")
