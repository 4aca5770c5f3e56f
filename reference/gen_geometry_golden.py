"""Golden values for the geometry measurements of a weight matrix W (rows = features).

Writes crates/superscale_measure/tests/data/geometry_golden.json. float64 numpy, fixed seed.
Science references are to docs/science/superposition.md (sections 1.7 and 2) and docs/science/tms.md
(the Anthropic measures, its section 4; the exact polytopes, its section 5.6).

W is n = 40 rows × m = 6: rows ~ N(0, I/m) (norm ≈ 1, the 1.2 init), then rows 0–3 scaled to tiny
norms (1e-3 … 1e-5; all stay above the 1e-6 clamp, so plain and clamped normalisation coincide
exactly), rows 4–9 scaled to norms 1.2–1.7, rows 10–13 to 0.3–0.45. No norm lies within 1e-3 of the
thresholds 0.5 and 1. Normalised rows are Ŵ_i = W_i / max(‖W_i‖, 1e-6).

JSON layout (see reference/README.md). Every array is {"shape": [...], "data": [row-major flat list]}:
  meta                 generator, numpy version, seed, dtype, layout, norm_clamp (1e-6)
  dims                 {"n": 40, "m": 6}
  w                    (n×m) the input matrix
  row_norms            (n)  ‖W_i‖₂
  phi_half, phi_one    fractions of rows with ‖W_i‖ > 1/2 and > 1
  count_half, count_one  the same as counts
  overlaps_all         {n_rows, n_pairs, mean_sq, var_sq}: (Ŵ_i·Ŵ_j)² over all pairs i < j
  overlaps_strong      the same over rows with ‖W_i‖ > 1 only (var = population variance over pairs)
  beta_reference       {mean: 1/m, var: 2(m−1)/(m²(m+2))}: random-unit-vector values (1.7, 2)
  frobenius_sq         ‖W‖²_F
  dims_per_feature     D* = m / ‖W‖²_F
  feature_dimensionality (n)  D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)², sum includes j = i
  interference         (n)  Σ_{j≠i} (Ŵ_i·W_j)²
  welch                {nu: n, m, kappa: sqrt((ν−m)/(m(ν−1))), kappa_sq}
  welch_strong         the same with ν = count_one (number of rows with norm > 1)
  polytopes            list of {name, w (k×d), feature_dimensionality (k), expected (exact value)}:
                       exact polytope cases of tms.md section 5.6
  ambiguity            ‖W Wᵀ − P‖₂ (section 2, App. D.5), P = n×n zeros with I_m top-left, by
                       numpy's dense 2-norm (largest singular value)
"""
import json
import math
import os

import numpy as np

SEED = 6_2022
N, M = 40, 6
CLAMP = 1e-6
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "superscale_measure",
                   "tests", "data", "geometry_golden.json")


def arr(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel(order="C")]}


def unit_rows(w):
    # tms.md section 4 (notebook cell 19): W_unit = W / clamp(‖W_i‖, 1e-6); section 2 overlaps use W_i/‖W_i‖.
    return w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), CLAMP)


def pair_overlaps(w):
    """Section 2 (App. D.6): squared overlaps (Ŵ_i·Ŵ_j)² over pairs i < j; mean and population variance."""
    u = unit_rows(w)
    iu = np.triu_indices(w.shape[0], k=1)
    sq = (u @ u.T)[iu] ** 2
    return {"n_rows": int(w.shape[0]), "n_pairs": int(sq.size),
            "mean_sq": float(sq.mean()) if sq.size else None,
            "var_sq": float(sq.var()) if sq.size else None}  # np.var: ddof = 0


def feature_dimensionality(w):
    """tms.md section 4 metrics: D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (j = i included) and Σ_{j≠i} (Ŵ_i·W_j)²."""
    proj_sq = (unit_rows(w) @ w.T) ** 2  # [i, j] = (Ŵ_i·W_j)²
    norms_sq = (w * w).sum(axis=1)
    return norms_sq / proj_sq.sum(axis=1), proj_sq.sum(axis=1) - np.diag(proj_sq)


def welch(nu, m):
    """Section 1.7, Eq. 5: κ = sqrt((ν − m)/(m(ν − 1))), the bound on max |cos| for ν unit vectors in R^m."""
    k = math.sqrt((nu - m) / (m * (nu - 1))) if nu > m else None
    return {"nu": int(nu), "m": int(m), "kappa": k, "kappa_sq": k * k if k is not None else None}


def ambiguity(w):
    """Section 2 (App. D.5): amb = ‖W Wᵀ − P‖₂ with P = n×n zeros carrying I_m in the top-left block."""
    n, m = w.shape
    p = np.zeros((n, n))
    p[:m, :m] = np.eye(m)
    return float(np.linalg.norm(w @ w.T - p, 2))


def polytopes():
    """tms.md section 5.6: exact D_i for basis vector, antipodal pair, triangle, tetrahedron, pentagon, square antiprism."""
    ang = lambda k: [(math.cos(2 * math.pi * j / k), math.sin(2 * math.pi * j / k)) for j in range(k)]
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / math.sqrt(3)
    r, h = math.sqrt(2 / 3), 1 / math.sqrt(3)
    anti = [(r * math.cos(math.pi * j / 2 + off), r * math.sin(math.pi * j / 2 + off), z)
            for z, off in ((h, 0.0), (-h, math.pi / 4)) for j in range(4)]
    cases = [("basis_vector", np.array([[1.0, 0.0]]), 1.0),
             ("antipodal_pair", np.array([[1.0], [-1.0]]), 0.5),
             ("triangle", np.array(ang(3)), 2 / 3),
             ("tetrahedron", tet, 0.75),
             ("pentagon", np.array(ang(5)), 0.4),
             ("square_antiprism", np.array(anti), 0.375)]
    out = []
    for name, w, expected in cases:
        d, _ = feature_dimensionality(w)
        assert np.allclose(d, expected, rtol=0, atol=1e-12), (name, d)
        out.append({"name": name, "w": arr(w), "feature_dimensionality": arr(d), "expected": expected})
    return out


def main():
    rng = np.random.default_rng(SEED)
    w = rng.standard_normal((N, M)) / math.sqrt(M)
    targets = {0: 1e-3, 1: 3e-4, 2: 1e-4, 3: 1e-5,
               4: 1.2, 5: 1.3, 6: 1.4, 7: 1.5, 8: 1.6, 9: 1.7,
               10: 0.3, 11: 0.35, 12: 0.4, 13: 0.45}
    for i, t in targets.items():
        w[i] *= t / np.linalg.norm(w[i])
    norms = np.linalg.norm(w, axis=1)
    assert np.abs(norms - 0.5).min() > 1e-3 and np.abs(norms - 1.0).min() > 1e-3 and norms.min() > CLAMP

    strong = norms > 1.0
    d_i, interf = feature_dimensionality(w)
    fro_sq = float((w * w).sum())
    out = {
        "meta": {"generator": "reference/gen_geometry_golden.py", "numpy_version": np.__version__,
                 "seed": SEED, "dtype": "float64", "norm_clamp": CLAMP,
                 "layout": "arrays are {shape, data}, data row-major (C order) flat; scalars are numbers"},
        "dims": {"n": N, "m": M},
        "w": arr(w),
        "row_norms": arr(norms),
        "phi_half": float((norms > 0.5).mean()),  # section 2, Eq. 3
        "phi_one": float(strong.mean()),  # section 2, Eq. 9/15
        "count_half": int((norms > 0.5).sum()),
        "count_one": int(strong.sum()),
        "overlaps_all": pair_overlaps(w),  # section 2, Fig. 17 (all rows)
        "overlaps_strong": pair_overlaps(w[strong]),  # section 2, App. D.6 / Fig. 5c (‖W_i‖ > 1)
        "beta_reference": {"mean": 1 / M, "var": 2 * (M - 1) / (M * M * (M + 2))},  # section 1.7
        "frobenius_sq": fro_sq,
        "dims_per_feature": M / fro_sq,  # tms.md section 4.3: D* = m / ‖W‖²_F
        "feature_dimensionality": arr(d_i),  # tms.md section 4.4
        "interference": arr(interf),  # tms.md section 4.2: "superposition" of feature i
        "welch": welch(N, M),  # section 1.7 Eq. 5 (referenced from section 2)
        "welch_strong": welch(int(strong.sum()), M),
        "polytopes": polytopes(),
        "ambiguity": ambiguity(w),
    }
    # exact fact (1.7): mean squared overlap of ν unit vectors is ≥ κ² (the all-pairs mean here)
    assert out["overlaps_all"]["mean_sq"] >= out["welch"]["kappa_sq"]

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
