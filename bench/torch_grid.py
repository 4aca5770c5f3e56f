"""Time a vectorised PyTorch grid of Anthropic toy models (the peer of superscale_grid).

1024 models of n = 5 features, m = 2 hidden units, stacked over an instance dimension and
trained together as in the TMS notebook (Elhage et al. 2022, cell 4;
shared/science/superposition_scaling.md section 6): W [I, n, m] xavier-normal, b = 0,
x = where(rand <= p, rand, 0) per instance and feature, out = relu(einsum(x, W, W) + b),
loss = sum over instances of mean over (batch, feature) of importance * (x - out)^2,
torch.optim.AdamW(lr=1e-3) with its default weight decay 0.01 on W and b; batch 1024.

Grids (the same as `cargo run --release -p superscale_grid --example grid_benchmark`):
  dense: every feature active (p = 1), importance 0.9^i ... per row of 32
  grid:  32 x 32 over importance decay r in [0.5, 1] (I_i = r^i) x p in [0.01, 1] log-spaced
Torch draws the two dense uniform tensors of the notebook whatever p is, so its cost does
not depend on the grid.

Usage: bash bench/run_grid.sh [--steps 200] [--warmup 20] [--threads 2] [--grid grid]
Prints mean wall ms per step and the 10 000-step time scaled from it.
"""
import argparse
import json
import time

import torch


def build(grid: str, instances: int = 1024, n: int = 5):
    rows = torch.arange(instances) // 32
    cols = torch.arange(instances) % 32
    decay = 0.5 + 0.5 * rows.double() / 31.0
    if grid == "dense":
        p = torch.ones(instances, dtype=torch.float64)
    else:
        p = 0.01 ** (cols.double() / 31.0)
    importance = (decay[:, None] ** torch.arange(n).double()[None, :]).float()
    probability = p[:, None].expand(instances, n).float().contiguous()
    return importance, probability


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--grid", default="grid", choices=["grid", "dense"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    instances, n, m, batch = 1024, 5, 2, 1024
    importance, probability = build(args.grid, instances, n)
    W = torch.nn.Parameter(torch.empty(instances, n, m))
    torch.nn.init.xavier_normal_(W)
    b = torch.nn.Parameter(torch.zeros(instances, n))
    optimizer = torch.optim.AdamW([W, b], lr=1e-3)

    def step() -> float:
        x = torch.rand(batch, instances, n)
        x = torch.where(torch.rand(batch, instances, n) <= probability, x, torch.zeros(()))
        hidden = torch.einsum("bif,ifh->bih", x, W)
        out = torch.relu(torch.einsum("bih,ifh->bif", hidden, W) + b)
        loss = (importance * (x - out) ** 2).mean(dim=(0, 2)).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    seconds = time.perf_counter() - started
    ms = 1e3 * seconds / args.steps
    print(json.dumps({"grid": args.grid, "threads": args.threads, "steps_timed": args.steps,
                      "ms_per_step": round(ms, 3), "scaled_10000_steps_s": round(ms * 10.0, 1),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
