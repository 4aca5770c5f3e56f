"""Golden values for the alignment metrics (superscale_measure::align), float64 numpy.

Writes, with a fixed seed:
  crates/superscale_measure/tests/data/align_a.npy    300 × 32 float32 features A
  crates/superscale_measure/tests/data/align_b.npy    300 × 48 float32 features B
  crates/superscale_measure/tests/data/align_golden.json

A and B are two noisy nonlinear renderings of one latent z ∈ R^16 (so they are partly
aligned), with Student-t noise so that clipping matters. References are to
docs/science/alignment.md §1 (formulas, as in platonic-rep metrics.py) and §2
(preprocessing). Differences from metrics.py, on purpose (the Rust crate does the same):
  * k-NN ties are broken by index: a stable sort on −similarity (smaller index first);
    the diagonal is −inf (the reference uses −1e8);
  * no +1e-6 in the CKA / CKNNA denominators (it made CKA scale-dependent);
  * lcs_knn is divided by k;
  * SVCCA is exact: U from a full SVD, canonical correlations = singular values of U_AᵀU_B
    (the reference uses randomised svd_lowrank and sklearn's NIPALS CCA).

JSON (see reference/README.md for the array convention {"shape", "data"}):
  meta, dims {n, d_a, d_b, k, cca_dim, rbf_sigma, q}
  clip         {exact_a, exact_b, per_row_a, per_row_b}: thresholds on the raw f32 features
  knn_a, knn_b (n×k) neighbour indices after the default preprocessing (exact clip, L2)
  scores       {metric: value} after the default preprocessing, every metric
  scores_raw   {metric: value} without clipping or normalisation (CKA family, SVCCA, mutual_knn)
  scores_per_row {mutual_knn, unbiased_cka}: per-row clip + L2
  cknna_full_k unbiased: CKNNA with k = n − 1 (equals scores.unbiased_cka, §5 A4)
  null         {orders (R×n), metric: [R values]}: B's rows re-paired as B[order], everything
               recomputed (neighbours included)
"""
import json
import os

import numpy as np

SEED = 8_2024
N, D_A, D_B, D_Z = 300, 32, 48, 16
K, CCA_DIM, SIGMA, Q = 10, 10, 1.0, 0.95
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "crates", "superscale_measure", "tests", "data")


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [v.item() for v in a.ravel(order="C")]}


def clip_exact(x, q):
    # remove_outliers(exact=True): sorted(|x|)[int(q * numel)]
    return np.sort(np.abs(x).ravel())[int(q * x.size)]


def clip_per_row(x, q):
    # remove_outliers(exact=False): mean over rows of torch.quantile(|x_i|, q) ('linear')
    return np.quantile(np.abs(x), q, axis=1).mean()


def prepare(x, clip="exact", normalize=True):
    x = x.astype(np.float64)
    if clip == "exact":
        t = clip_exact(x, Q)
        x = np.clip(x, -t, t)
    elif clip == "per_row":
        t = clip_per_row(x, Q)
        x = np.clip(x, -t, t)
    if normalize:
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x


def knn(x, k):
    s = x @ x.T
    np.fill_diagonal(s, -np.inf)
    # stable sort of −s: among equal similarities the smaller index comes first
    return np.argsort(-s, axis=1, kind="stable")[:, :k]


def mutual_knn(a, b, k):
    ka, kb = knn(a, k), knn(b, k)
    return float(np.mean([len(set(ka[i]) & set(kb[i])) / k for i in range(len(a))]))


def cycle_knn(a, b, k):
    ka, kb = knn(a, k), knn(b, k)
    return float(np.mean([(ka[kb[i]] == i).any() for i in range(len(a))]))


def lcs(x, y):
    dp = np.zeros((len(x) + 1, len(y) + 1), dtype=int)
    for i in range(1, len(x) + 1):
        for j in range(1, len(y) + 1):
            dp[i, j] = dp[i - 1, j - 1] + 1 if x[i - 1] == y[j - 1] else max(dp[i - 1, j], dp[i, j - 1])
    return dp[-1, -1]


def levenshtein(x, y):
    dp = np.zeros((len(x) + 1, len(y) + 1), dtype=int)
    dp[:, 0] = np.arange(len(x) + 1)
    dp[0, :] = np.arange(len(y) + 1)
    for i in range(1, len(x) + 1):
        for j in range(1, len(y) + 1):
            dp[i, j] = min(dp[i - 1, j - 1] + (x[i - 1] != y[j - 1]), dp[i - 1, j] + 1, dp[i, j - 1] + 1)
    return dp[-1, -1]


def lcs_knn(a, b, k):
    ka, kb = knn(a, k), knn(b, k)
    return float(np.mean([lcs(ka[i], kb[i]) for i in range(len(a))]) / k)


def edit_distance_knn(a, b, k):
    ka, kb = knn(a, k), knn(b, k)
    return float(1 - np.mean([levenshtein(ka[i], kb[i]) for i in range(len(a))]) / k)


def hsic_unbiased(K, L):
    # Song et al. 2012 eq. 5, as metrics.py hsic_unbiased (note L̃ᵀ in the first term)
    m = K.shape[0]
    Kt, Lt = K.copy(), L.copy()
    np.fill_diagonal(Kt, 0)
    np.fill_diagonal(Lt, 0)
    return ((Kt * Lt.T).sum() + Kt.sum() * Lt.sum() / ((m - 1) * (m - 2))
            - 2 * (Kt @ Lt).sum() / (m - 2)) / (m * (m - 3))


def hsic_biased(K, L):
    H = np.eye(K.shape[0]) - 1 / K.shape[0]
    return np.trace(K @ H @ L @ H)


def rbf(x, sigma):
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * sigma ** 2))


def cka(a, b, kernel="ip", unbiased=False):
    K, L = (a @ a.T, b @ b.T) if kernel == "ip" else (rbf(a, SIGMA), rbf(b, SIGMA))
    h = hsic_unbiased if unbiased else hsic_biased
    return float(h(K, L) / np.sqrt(h(K, K) * h(L, L)))


def cknna(a, b, k):
    n = len(a)
    K, L = a @ a.T, b @ b.T

    def sim(K, L):
        def mask(S):
            m = np.zeros((n, n))
            m[np.arange(n)[:, None], knn_of_kernel(S, k)] = 1
            return m
        M = mask(K) * mask(L)
        return hsic_unbiased(M * K, M * L)

    return float(sim(K, L) / np.sqrt(sim(K, K) * sim(L, L)))


def knn_of_kernel(S, k):
    S = S.copy()
    np.fill_diagonal(S, -np.inf)
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


def basis(x, dim):
    x = x - x.mean(0)
    x = x / (x.std(0, ddof=1) + 1e-8)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    # The leading subspace must be separated for two exact SVDs to agree on it: the subspace
    # error is about 1e-16·σ₁/(σ_dim − σ_dim+1), so a 0.1 % gap keeps it below 1e-12.
    assert s[dim - 1] / s[dim] > 1.001, (s[dim - 1], s[dim])
    return u[:, :dim]


def svcca(a, b, dim=CCA_DIM):
    s = np.linalg.svd(basis(a, dim).T @ basis(b, dim), compute_uv=False)
    return float(np.minimum(s, 1).mean())


METRICS = {
    "mutual_knn": lambda a, b: mutual_knn(a, b, K),
    "cycle_knn": lambda a, b: cycle_knn(a, b, K),
    "lcs_knn": lambda a, b: lcs_knn(a, b, K),
    "edit_distance_knn": lambda a, b: edit_distance_knn(a, b, K),
    "cka": lambda a, b: cka(a, b),
    "unbiased_cka": lambda a, b: cka(a, b, unbiased=True),
    "rbf_cka": lambda a, b: cka(a, b, kernel="rbf"),
    "cknna": lambda a, b: cknna(a, b, K),
    "svcca": svcca,
}


def main():
    rng = np.random.default_rng(SEED)
    scales = 0.8 ** np.arange(D_Z)  # decaying latent scales: a clear SVD spectrum
    z = rng.standard_normal((N, D_Z)) * scales
    a = np.tanh(z @ rng.standard_normal((D_Z, D_A))) + 0.3 * rng.standard_t(3, (N, D_A))
    b = np.maximum(z @ rng.standard_normal((D_Z, D_B)), 0) + 0.3 * rng.standard_t(3, (N, D_B))
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "align_a.npy"), a32)
    np.save(os.path.join(OUT, "align_b.npy"), b32)

    pa, pb = prepare(a32), prepare(b32)
    ra, rb = prepare(a32, clip=None, normalize=False), prepare(b32, clip=None, normalize=False)
    qa, qb = prepare(a32, clip="per_row"), prepare(b32, clip="per_row")
    scores = {name: f(pa, pb) for name, f in METRICS.items()}
    raw = {name: METRICS[name](ra, rb) for name in ["mutual_knn", "cka", "unbiased_cka", "cknna", "svcca"]}
    full_k = cknna(pa, pb, N - 1)
    assert abs(full_k - scores["unbiased_cka"]) < 1e-12 * abs(full_k) + 1e-15, (full_k, scores["unbiased_cka"])
    orders = np.stack([rng.permutation(N) for _ in range(5)])
    null = {"orders": arr(orders)}
    for name in ["mutual_knn", "cycle_knn", "cknna", "unbiased_cka", "cka", "svcca"]:
        null[name] = [METRICS[name](pa, pb[o]) for o in orders]

    golden = {
        "meta": {"generator": "reference/gen_align_golden.py", "numpy": np.__version__, "seed": SEED,
                 "dtype": "features float32 on disk, everything else float64",
                 "layout": "row-major; knn rows nearest first"},
        "dims": {"n": N, "d_a": D_A, "d_b": D_B, "k": K, "cca_dim": CCA_DIM, "rbf_sigma": SIGMA, "q": Q},
        "clip": {"exact_a": float(clip_exact(a32.astype(np.float64), Q)),
                 "exact_b": float(clip_exact(b32.astype(np.float64), Q)),
                 "per_row_a": float(clip_per_row(a32.astype(np.float64), Q)),
                 "per_row_b": float(clip_per_row(b32.astype(np.float64), Q))},
        "knn_a": arr(knn(pa, K)),
        "knn_b": arr(knn(pb, K)),
        "scores": scores,
        "scores_raw": raw,
        "scores_per_row": {"mutual_knn": METRICS["mutual_knn"](qa, qb),
                           "unbiased_cka": METRICS["unbiased_cka"](qa, qb)},
        "cknna_full_k": full_k,
        "null": null,
    }
    with open(os.path.join(OUT, "align_golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    print({k: round(v, 4) for k, v in scores.items()})


if __name__ == "__main__":
    main()
