"""The reference approach to mutual k-NN and unbiased CKA (platonic-rep metrics.py, as
described in docs/science/alignment.md §1), timed on CPU in torch and in numpy, for
comparison with `superscale align` on the same files (bench/run_align.sh).

Dense n × n similarity and mask matrices throughout, as the reference does: that is the
point of the comparison (memory grows as n²).

    python bench/align_reference.py make DIR --n 10000 --d 1024   # writes DIR/a.npy, DIR/b.npy
    python bench/align_reference.py torch DIR --metric mutual_knn --k 10
    python bench/align_reference.py numpy DIR --metric unbiased_cka
"""

import argparse
import time

import numpy as np


def make(args):
    rng = np.random.default_rng(args.seed)
    z = rng.standard_normal((args.n, 16)).astype(np.float32)
    a = z @ rng.standard_normal((16, args.d)).astype(np.float32)
    b = z @ rng.standard_normal((16, args.d)).astype(np.float32)
    a += 4 * rng.standard_normal(a.shape, dtype=np.float32)
    b += 4 * rng.standard_normal(b.shape, dtype=np.float32)
    np.save(f"{args.dir}/a.npy", a)
    np.save(f"{args.dir}/b.npy", b)


def torch_metric(a, b, metric, k):
    import torch
    import torch.nn.functional as F

    a = F.normalize(torch.from_numpy(a), dim=-1)
    b = F.normalize(torch.from_numpy(b), dim=-1)
    n = a.shape[0]
    if metric == "mutual_knn":
        def knn(x):
            return (x @ x.T).fill_diagonal_(-1e8).argsort(dim=1, descending=True)[:, :k]
        ka, kb = knn(a), knn(b)
        rows = torch.arange(n).unsqueeze(1)
        mask_a, mask_b = torch.zeros(n, n), torch.zeros(n, n)
        mask_a[rows, ka] = 1.0
        mask_b[rows, kb] = 1.0
        return ((mask_a * mask_b).sum(dim=1) / k).mean().item()

    def hsic_u(K, L):
        Kt, Lt = K.clone().fill_diagonal_(0), L.clone().fill_diagonal_(0)
        return ((Kt * Lt.T).sum() + Kt.sum() * Lt.sum() / ((n - 1) * (n - 2))
                - 2 * (Kt @ Lt).sum() / (n - 2)) / (n * (n - 3))

    K, L = a @ a.T, b @ b.T
    return (hsic_u(K, L) / (torch.sqrt(hsic_u(K, K) * hsic_u(L, L)) + 1e-6)).item()


def numpy_metric(a, b, metric, k):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    n = a.shape[0]
    if metric == "mutual_knn":
        def knn(x):
            s = x @ x.T
            np.fill_diagonal(s, -1e8)
            return np.argsort(-s, axis=1)[:, :k]
        ka, kb = knn(a), knn(b)
        rows = np.arange(n)[:, None]
        mask_a, mask_b = np.zeros((n, n), np.float32), np.zeros((n, n), np.float32)
        mask_a[rows, ka] = 1.0
        mask_b[rows, kb] = 1.0
        return float(((mask_a * mask_b).sum(axis=1) / k).mean())

    def hsic_u(K, L):
        Kt, Lt = K.copy(), L.copy()
        np.fill_diagonal(Kt, 0)
        np.fill_diagonal(Lt, 0)
        return ((Kt * Lt.T).sum() + Kt.sum() * Lt.sum() / ((n - 1) * (n - 2))
                - 2 * (Kt @ Lt).sum() / (n - 2)) / (n * (n - 3))

    K, L = a @ a.T, b @ b.T
    return float(hsic_u(K, L) / (np.sqrt(hsic_u(K, K) * hsic_u(L, L)) + 1e-6))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["make", "torch", "numpy"])
    parser.add_argument("dir")
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--d", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--metric", default="mutual_knn", choices=["mutual_knn", "unbiased_cka"])
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    if args.mode == "make":
        return make(args)
    a, b = np.load(f"{args.dir}/a.npy"), np.load(f"{args.dir}/b.npy")
    start = time.perf_counter()
    value = (torch_metric if args.mode == "torch" else numpy_metric)(a, b, args.metric, args.k)
    print(f"{args.mode} {args.metric}: {value:.6f} in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
