"""Golden values for the toy-model capability measurement (crates/superscale_kinds,
src/toy/capability/measure.rs and sweep.rs; docs/quanta.md "Capability").

Writes crates/superscale_kinds/tests/data/capability_golden.json. float64 numpy; the
weights and inputs come from a seeded numpy generator and are stored in the file (as f32
values), so the Rust test reads the same numbers.

- outputs: the tied toy model y = ReLU(x W W^T + b) (docs/science/superposition.md §1.2),
  evaluated densely, for feature i with x_i replaced by a value and with x_i set to 0;
- spearman: Pearson correlation of average ranks (ties get their mean rank), including
  +inf entries ranked last.
"""
import json
import os

import numpy as np


def rankdata(a):
    a = np.asarray(a, dtype=np.float64)
    order = np.argsort(a, kind="stable")
    ranks = np.empty(len(a))
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and a[order[j + 1]] == a[order[i]]:
            j += 1
        ranks[order[i:j + 1]] = (i + j + 2) / 2.0
        i = j + 1
    return ranks


def spearman(a, b):
    ra, rb = rankdata(a), rankdata(b)
    ra -= ra.mean()
    rb -= rb.mean()
    return float((ra * rb).sum() / np.sqrt((ra * ra).sum() * (rb * rb).sum()))


def main():
    rng = np.random.default_rng(9)
    n, m = 7, 3
    w = rng.normal(0.0, 1.0 / np.sqrt(m), size=(n, m)).astype(np.float32)
    b = rng.normal(0.0, 0.3, size=n).astype(np.float32)
    wd, bd = w.astype(np.float64), b.astype(np.float64)
    cases = []
    for _ in range(12):
        active = np.sort(rng.choice(n, size=rng.integers(0, 4), replace=False))
        values = rng.uniform(0.0, 2.0, size=len(active)).astype(np.float32)
        feature = int(rng.integers(0, n))
        value = float(rng.uniform(0.0, 2.0))
        x = np.zeros(n)
        x[active] = values.astype(np.float64)
        x_on, x_off = x.copy(), x.copy()
        x_on[feature] = value
        x_off[feature] = 0.0
        y_on = np.maximum(x_on @ wd @ wd.T + bd, 0.0)[feature]
        y_off = np.maximum(x_off @ wd @ wd.T + bd, 0.0)[feature]
        cases.append({"columns": [int(c) for c in active], "values": [float(v) for v in values],
                      "feature": feature, "value": value, "active": float(y_on), "inactive": float(y_off)})
    a = [3.0, 1.0, 2.0, 1.0, 5.0, 4.0, 2.0]
    c = [10.0, float("inf"), 3.0, 3.0, float("inf"), 7.0, 1.0]
    golden = {
        "n_features": n, "width": m,
        "weights": [float(v) for v in w.ravel()], "bias": [float(v) for v in b],
        "outputs": cases,
        "spearman": {"a": a, "b": [v if np.isfinite(v) else "inf" for v in c],
                     "ranks_a": [float(r) for r in rankdata(a)], "rho": spearman(a, c)},
    }
    out = os.path.join(os.path.dirname(__file__), "..", "crates", "superscale_kinds", "tests", "data",
                       "capability_golden.json")
    with open(out, "w") as f:
        json.dump(golden, f, indent=1)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
