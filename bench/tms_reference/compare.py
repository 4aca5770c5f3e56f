"""C9 of docs/science/superposition.md §4 on saved weights: PyTorch's (npz from
tms_uniform_torch.py) and superscale's (a `superscale run ... --save-weights --out DIR`
study directory, safetensors read with numpy alone).

For each level: D* = m / ||W||_F^2 (notebook cell 18) and D_i = ||W_i||^2 / sum_j (Ŵ_i·W_j)^2
with the sum including j = i (cell 19, Ŵ_i = W_i / max(||W_i||, 1e-6)). Then the C9 checks:
D* at p = 1 in [0.9, 1.1]; levels with |D* - 1/2| <= 0.03; the D_i pooled over levels with
D* < 0.95 in 0.005-wide bins centred on 1/2, 3/4, 2/3, 2/5, 3/8, each against the bins
centred ±0.0125 away (a peak: >= 2x both; >= 10 features at 1/2).

Usage: compare.py [--levels=k,k,...] SOURCE [SOURCE ...], each an .npz (torch), a .safetensors of stacked
levels (the full C9 test with SUPERSCALE_C9_WEIGHTS=FILE) or a study directory.
"""

import csv
import json
import struct
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

FRACTIONS = [(0.75, "3/4"), (2 / 3, "2/3"), (0.5, "1/2"), (0.4, "2/5"), (0.375, "3/8")]


def dimensionality(W):
    """D_i of the rows of W (n x m), notebook cell 19, in float64."""
    W = W.astype(np.float64)
    norms = np.linalg.norm(W, axis=1)
    unit = W / np.maximum(norms, 1e-6)[:, None]
    return norms**2 / ((unit @ W.T) ** 2).sum(axis=1)


def read_safetensors(path):
    """{name: array} of a safetensors file (8-byte little-endian header length, JSON, data)."""
    raw = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    body = raw[8 + length :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": "<f4", "F64": "<f8"}[info["dtype"]]
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(body[start:end], dtype=dtype).reshape(info["shape"])
    return out


def load(source):
    """[(p, W n x m, b)] of every model in an npz or a study directory."""
    source = Path(source)
    if source.suffix == ".npz":
        data = np.load(source)
        return [(float(p), W, b) for p, W, b in zip(data["p"], data["W"], data["b"])]
    if source.suffix == ".safetensors":
        # Stacked levels written by the full C9 test (SUPERSCALE_C9_WEIGHTS).
        data = read_safetensors(source)
        return [(float(p), W, b) for p, W, b in zip(data["p"], data["W"], data["b"])]
    models = []
    with open(source / "results.csv") as handle:
        for row in csv.DictReader(handle):
            if row["status"] != "done":
                continue
            tensors = read_safetensors(
                source / "weights" / f"{row['run_id']}-r{row['replicate']}.safetensors"
            )
            models.append((float(row["feature_probability"]), tensors["W"], tensors["b"]))
    return models


def count(dims, centre):
    return int(((dims >= centre - 0.0025) & (dims < centre + 0.0025)).sum())


def report(source, only_levels=None):
    models = load(source)
    by_level = defaultdict(list)
    keep = None if only_levels is None else {round(20 ** (-k / 19), 4) for k in only_levels}
    for p, W, b in models:
        if keep is None or round(p, 4) in keep:
            by_level[round(p, 4)].append((W, b))
    print(f"== {source}: {len(models)} models, {len(by_level)} levels")
    print("   p       1/(1-S)   D* (per replicate)            mean b     features in the bins"
          " at 3/4 2/3 1/2 2/5 3/8")
    pooled = []
    d_star_means = []
    for p in sorted(by_level, reverse=True):
        d_stars = []
        for W, b in by_level[p]:
            m = W.shape[1]
            d_star = m / float((W.astype(np.float64) ** 2).sum())
            d_stars.append(d_star)
            if d_star < 0.95:
                pooled.append(dimensionality(W))
        bias = np.mean([b.mean() for _, b in by_level[p]])
        d_star_means.append((p, np.mean(d_stars)))
        listed = " ".join(f"{d:.4f}" for d in d_stars)
        level_dims = np.concatenate([dimensionality(W) for W, _ in by_level[p]])
        bins = " ".join(f"{count(level_dims, v):3d}" for v, _ in FRACTIONS)
        print(f"   {p:.5f}  {1 / p:7.3f}   {listed:30s} {bias:+.2e}  {bins}")
    dims = np.concatenate(pooled) if pooled else np.zeros(0)
    dense = [d for p, d in d_star_means if p == 1.0]
    sticky = sum(1 for _, d in d_star_means if abs(d - 0.5) <= 0.03)
    print(f"   D* at p = 1: {dense}; levels (mean D*) within 0.03 of 1/2: {sticky}")
    print(f"   pooled D_i: {dims.size} features; with D_i >= 0.1: {(dims >= 0.1).sum()}")
    for value, name in FRACTIONS:
        below, at, above = count(dims, value - 0.0125), count(dims, value), count(dims, value + 0.0125)
        peak = at >= 2 * below and at >= 2 * above and at > 0
        print(f"   {name:4s} bins -0.0125 / centre / +0.0125: {below:4d} / {at:4d} / {above:4d}"
              f"  {'PEAK' if peak else ''}")
    near = sum(int((np.abs(dims - v) <= 0.02).sum()) for v, _ in FRACTIONS + [(1.0, "1")])
    print(f"   within 0.02 of 1, 3/4, 2/3, 1/2, 2/5, 3/8: {near} of {(dims >= 0.1).sum()}"
          " features with D_i >= 0.1")
    histogram, edges = np.histogram(dims, bins=np.arange(0.0, 1.0501, 0.025))
    print("   histogram (0.025 bins from 0):", " ".join(str(c) for c in histogram))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    levels = None
    if arguments and arguments[0].startswith("--levels="):
        # Restrict every source to these k of p_k = 20^(-k/19), e.g. to put a torch run of
        # a subset of levels beside the same levels of a full run.
        levels = [int(k) for k in arguments.pop(0).split("=", 1)[1].split(",")]
    for source in arguments:
        report(source, levels)
