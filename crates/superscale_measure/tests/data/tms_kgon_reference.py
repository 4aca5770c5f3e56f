"""Reference values of the k-gon critical points of the high-sparsity toy model of
superposition (c = 6 features, m = 2 hidden units; docs/science/tms_phases.md §2),
computed independently of the Rust closed form `TmsPopulation` and `refine_kgon`:
the population loss K = (1/c) sum_i E_mu ||mu e_i - ReLU(mu W^T W_i + b)||^2, mu ~ U[0, 1],
is evaluated by the midpoint rule on 400 000 nodes of mu, and the polygon's common
length l and bias b are found by Newton's method on (l, b) with central-difference
derivatives. The test `tms_kgon_reference` in crates/superscale_measure/tests/llc_tms.rs
quotes the printed numbers.

    python crates/superscale_measure/tests/data/tms_kgon_reference.py
"""

import numpy as np

C = 6
MU = (np.arange(400_000) + 0.5) / 400_000


def kgon(k: int, length: float, bias: float):
    w = np.zeros((2, C))
    angles = 2 * np.pi * np.arange(k) / k
    w[0, :k] = length * np.cos(angles)
    w[1, :k] = length * np.sin(angles)
    b = np.full(C, -1.0)
    b[:k] = bias
    return w, b


def population_loss(w, b) -> float:
    gram = w.T @ w
    total = 0.0
    for i in range(C):
        # outputs j for inputs mu e_i: rows of mu, columns of j
        out = np.maximum(MU[:, None] * gram[i][None, :] + b[None, :], 0.0)
        target = np.zeros((MU.size, C))
        target[:, i] = MU
        total += ((target - out) ** 2).sum(axis=1).mean()
    return total / C


def refine(k: int, length: float, bias: float):
    x = np.array([length, bias])
    h = 1e-4
    for _ in range(30):
        f = lambda v: population_loss(*kgon(k, v[0], v[1]))
        grad = np.zeros(2)
        hess = np.zeros((2, 2))
        for a in range(2):
            e = np.eye(2)[a] * h
            grad[a] = (f(x + e) - f(x - e)) / (2 * h)
            for b_ in range(2):
                e2 = np.eye(2)[b_] * h
                hess[a, b_] = (f(x + e + e2) - f(x + e - e2) - f(x - e + e2) + f(x - e - e2)) / (4 * h * h)
        step = np.linalg.solve(hess, grad)
        x = x - step
        if np.abs(step).max() < 1e-10:
            break
    return x, population_loss(*kgon(k, x[0], x[1]))


if __name__ == "__main__":
    for k, start in [(5, (1.15, -0.25)), (6, (1.3, -0.6))]:
        (length, bias), loss = refine(k, *start)
        print(f"{k}-gon: length {length:.6f} bias {bias:.6f} loss {loss:.8f}")
    for k in (2, 3, 4):
        print(f"{k}-gon at length 1, bias 0: loss {population_loss(*kgon(k, 1.0, 0.0)):.8f}")
