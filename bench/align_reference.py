"""The reference approach to mutual k-NN and unbiased CKA (platonic-rep metrics.py, as
described in docs/science/alignment.md §1), timed on CPU in torch and in numpy, for
comparison with `superscale align` on the same files (bench/run_align.sh).

Two methods for mutual k-NN (--method):
  dense  the reference's: the full n × n similarity, a full argsort of every row, dense n × n
         masks (memory grows as n²)
  topk   what a practitioner would write instead: similarities of a block of rows at a time
         (--block rows × n), torch.topk / np.argpartition for the k largest, and the
         intersection of the two neighbour lists per row (memory O(block · n + n · k))
Unbiased CKA is the reference's dense n × n kernels in both.

    python bench/align_reference.py make DIR --n 10000 --d 1024   # writes DIR/a.npy, DIR/b.npy
    python bench/align_reference.py torch DIR --metric mutual_knn --k 10 [--method topk]
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


def torch_topk_knn(x, k, block):
    """The k nearest neighbours (by cosine, itself excluded) of every row, a block of rows at a time."""
    import torch

    n = x.shape[0]
    neighbours = torch.empty(n, k, dtype=torch.long)
    for start in range(0, n, block):
        stop = min(start + block, n)
        s = x[start:stop] @ x.T
        s[torch.arange(stop - start), torch.arange(start, stop)] = -1e8
        neighbours[start:stop] = s.topk(k, dim=1).indices
    return neighbours


def numpy_topk_knn(x, k, block):
    n = x.shape[0]
    neighbours = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, block):
        stop = min(start + block, n)
        s = x[start:stop] @ x.T
        s[np.arange(stop - start), np.arange(start, stop)] = -1e8
        neighbours[start:stop] = np.argpartition(-s, k - 1, axis=1)[:, :k]
    return neighbours


def shared_fraction(ka, kb, k):
    """Mean over rows of |knn_a(i) ∩ knn_b(i)| / k, from two n × k neighbour lists."""
    return float((ka[:, :, None] == kb[:, None, :]).any(axis=2).sum(axis=1).mean() / k)


def torch_metric(a, b, metric, k, method="dense", block=1024):
    import torch
    import torch.nn.functional as F

    a = F.normalize(torch.from_numpy(a), dim=-1)
    b = F.normalize(torch.from_numpy(b), dim=-1)
    n = a.shape[0]
    if metric == "mutual_knn" and method == "topk":
        return shared_fraction(torch_topk_knn(a, k, block).numpy(), torch_topk_knn(b, k, block).numpy(), k)
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


def numpy_metric(a, b, metric, k, method="dense", block=1024):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    n = a.shape[0]
    if metric == "mutual_knn" and method == "topk":
        return shared_fraction(numpy_topk_knn(a, k, block), numpy_topk_knn(b, k, block), k)
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
    parser.add_argument("--method", default="dense", choices=["dense", "topk"],
                        help="mutual k-NN: the reference's full sort and dense masks, or blockwise top-k")
    parser.add_argument("--block", type=int, default=1024, help="rows per block of the topk method")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    args = parser.parse_args()
    if args.mode == "make":
        return make(args)
    a, b = np.load(f"{args.dir}/a.npy"), np.load(f"{args.dir}/b.npy")
    if args.mode == "torch" and args.threads:
        import torch

        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    value = (torch_metric if args.mode == "torch" else numpy_metric)(a, b, args.metric, args.k, args.method, args.block)
    print(f"{args.mode} ({args.method}) {args.metric}: {value:.6f} in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
