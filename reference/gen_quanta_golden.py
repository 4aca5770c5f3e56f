"""Golden values for the quanta kind, crates/superscale_kinds (docs/science/quanta.md §1, §3 C1, §6/D5).

Writes crates/superscale_kinds/tests/data/quanta_golden.json (conventions:
reference/README.md). float64 numpy, no randomness.

- frequencies: the code's p_t = (t + offset)^-alpha / sum, t = 1..n_tasks
  (scripts/sparse-parity-v4.py L238-240), and test sizes int(p_t * test_points) (L242);
- mirage: l(N) = (N/1e9)^-0.3, exact match exp(-5 l), edit distance 5 (1 - exp(-l)) on a
  log grid of N in [1e7, 1e12] (Schaeffer et al. 2023; D5).
"""
import json
import os

import numpy as np


def frequencies(n_tasks, alpha, offset):
    t = np.arange(1, n_tasks + 1, dtype=np.float64)
    w = (t + offset) ** (-alpha)
    return w / w.sum()


def main():
    cases = []
    for n_tasks, alpha, offset, test_points in [(500, 1.4, 0.0, 1_000_000), (100, 1.5, 0.0, 30_000),
                                                  (20, 1.4, 0.0, 20_000), (50, 1.2, 2.0, 100_000)]:
        p = frequencies(n_tasks, alpha, offset)
        sizes = (p * test_points).astype(np.int64)
        cases.append({"n_tasks": n_tasks, "alpha": alpha, "offset": offset, "test_points": test_points,
                      "frequencies": [float(v) for v in p], "test_sizes": [int(v) for v in sizes]})
    c1 = cases[0]
    # The values quoted in docs/science/quanta.md §3 C1 (5 significant digits) must follow.
    quoted = {1: 0.34513, 2: 0.13078, 10: 0.013740, 100: 5.470e-4, 500: 5.747e-5}
    for t, value in quoted.items():
        assert abs(c1["frequencies"][t - 1] - value) <= 0.5e-4 * value, (t, c1["frequencies"][t - 1])
    assert c1["test_sizes"][:3] == [345126, 130778, 74132] and c1["test_sizes"][-1] == 57
    assert sum(c1["test_sizes"]) == 999_746
    n = np.exp(np.linspace(np.log(1e7), np.log(1e12), 11))
    loss = (n / 1e9) ** (-0.3)
    golden = {
        "meta": {"generator": "reference/gen_quanta_golden.py", "numpy": np.__version__, "dtype": "float64"},
        "frequencies": cases,
        "mirage": {"scale": 1e9, "exponent": 0.3, "target_tokens": 5.0,
                   "parameters": [float(v) for v in n],
                   "token_loss": [float(v) for v in loss],
                   "exact_match": [float(v) for v in np.exp(-5.0 * loss)],
                   "edit_distance": [float(v) for v in 5.0 * (1.0 - np.exp(-loss))]},
    }
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "crates", "superscale_kinds", "tests", "data", "quanta_golden.json")
    with open(out, "w") as handle:
        json.dump(golden, handle, indent=1)
        handle.write("\n")
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
