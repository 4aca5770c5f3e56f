"""Time a PyTorch grid of Anthropic toy models (the peer of superscale_models::grid), in three layouts.

1024 models of n = 5 features, m = 2 hidden units, stacked over an instance dimension and
trained together as in the TMS notebook (Elhage et al. 2022, cell 4; docs/tms.md): W [I, n, m]
xavier-normal over the whole stacked tensor (as the notebook calls it), b = 0,
x = where(rand <= p, rand, 0) per instance and feature, out = relu(x W Wᵀ + b),
loss = sum over instances of mean over (batch, feature) of importance * (x - out)^2,
torch.optim.AdamW(lr=1e-3) with its default weight decay 0.01 on W and b; batch 1024.

Layouts (--layout), the same model, data distribution and optimizer in each:
  einsum  batch-major x [B, I, n], two einsums (the notebook's layout; the first peer)
  bmm     instance-major x [I, B, n], two torch.bmm (one GEMM per model, batched)
  vmap    instance-major, torch.func.vmap over one model's loss and gradient
          (grad_and_value of a per-model function of W [n, m], b [n], x [B, n]), the layout
          of grid libraries built on torch.func (parameters stacked [I, n, m])
  bmm-transposed, vmap-transposed
          the same with each model's batch transposed, x [I, n, B]: the batch is the
          contiguous dimension, so the elementwise passes (ReLU, residual, importance
          weighting and their gradients) run over rows of B = 1024 instead of n = 5
--compile wraps the loss-and-gradient in torch.compile (inductor, CPU C++ code generated with
the machine's g++; the sampling stays eager, see Grid); --fused uses AdamW(fused=True).

Grids (the same as `cargo run --release -p superscale_models --example grid_benchmark`):
  dense: every feature active (p = 1), importance 0.9^i ... per row of 32
  grid:  32 x 32 over importance decay r in [0.5, 1] (I_i = r^i) x p in [0.01, 1] log-spaced
Torch draws the two dense uniform tensors of the notebook whatever p is, so its cost does
not depend on the grid. bench/torch_grid_check.py checks that the layouts compute the same.

Usage: bash bench/run_grid.sh, or
  python bench/torch_grid.py [--layout bmm] [--steps 200] [--warmup 20] [--threads 2] [--grid grid]
Prints one JSON line: median and mean wall ms per step over the timed steps, process CPU ms per
step (threads summed), the 10 000-step time scaled from the median, the first and last loss.
"""
import argparse
import json
import statistics
import time

import torch

INSTANCES, N_FEATURES, N_HIDDEN, BATCH = 1024, 5, 2, 1024
LAYOUTS = ("einsum", "bmm", "bmm-transposed", "vmap", "vmap-transposed")


def build(grid: str, instances: int = INSTANCES, n: int = N_FEATURES):
    """Importance [I, n] and feature probability [I, n] of the benchmark grid."""
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


def init_parameters(seed: int, instances: int = INSTANCES, n: int = N_FEATURES, m: int = N_HIDDEN):
    """The notebook's initialisation: xavier_normal_ on the stacked [I, n, m] tensor, b = 0."""
    torch.manual_seed(seed)
    W = torch.empty(instances, n, m)
    torch.nn.init.xavier_normal_(W)
    return W, torch.zeros(instances, n)


def batch_major(layout: str) -> bool:
    return layout == "einsum"


def transposed(layout: str) -> bool:
    return layout.endswith("-transposed")


def sample(probability: torch.Tensor, batch: int, layout: str) -> torch.Tensor:
    """x = where(U <= p, U', 0): [B, I, n] for the batch-major layout, [I, n, B] for the
    transposed ones, [I, B, n] otherwise."""
    instances, n = probability.shape
    if batch_major(layout):
        x = torch.rand(batch, instances, n)
        return torch.where(torch.rand(batch, instances, n) <= probability, x, torch.zeros(()))
    if transposed(layout):
        x = torch.rand(instances, n, batch)
        return torch.where(torch.rand(instances, n, batch) <= probability[:, :, None], x, torch.zeros(()))
    x = torch.rand(instances, batch, n)
    return torch.where(torch.rand(instances, batch, n) <= probability[:, None, :], x, torch.zeros(()))


def einsum_loss(W, b, x, importance):
    hidden = torch.einsum("bif,ifh->bih", x, W)
    out = torch.relu(torch.einsum("bih,ifh->bif", hidden, W) + b)
    return (importance * (x - out) ** 2).mean(dim=(0, 2)).sum()


def bmm_loss(W, b, x, importance):
    hidden = torch.bmm(x, W)
    out = torch.relu(torch.bmm(hidden, W.transpose(1, 2)) + b[:, None, :])
    return (importance[:, None, :] * (x - out) ** 2).mean(dim=(1, 2)).sum()


def bmm_transposed_loss(W, b, x, importance):
    hidden = torch.bmm(W.transpose(1, 2), x)
    out = torch.relu(torch.bmm(W, hidden) + b[:, :, None])
    return (importance[:, :, None] * (x - out) ** 2).mean(dim=(1, 2)).sum()


def one_model_transposed_loss(W, b, x, importance):
    """One model, its batch transposed: W [n, m], b [n], x [n, B], importance [n]."""
    out = torch.relu(W @ (W.T @ x) + b[:, None])
    return (importance[:, None] * (x - out) ** 2).mean()


def one_model_loss(W, b, x, importance):
    """One model: W [n, m], b [n], x [B, n], importance [n]."""
    out = torch.relu(x @ W @ W.T + b)
    return (importance * (x - out) ** 2).mean()


class Grid:
    """The stacked parameters, their optimizer and one training step in a given layout."""

    def __init__(self, layout: str, W: torch.Tensor, b: torch.Tensor, importance, probability,
                 compile: bool = False, fused: bool = False, batch: int = BATCH):
        if layout not in LAYOUTS:
            raise ValueError(f"layout {layout!r}: expected one of {LAYOUTS}")
        self.layout, self.batch = layout, batch
        self.importance, self.probability = importance, probability
        self.W = torch.nn.Parameter(W.clone())
        self.b = torch.nn.Parameter(b.clone())
        self.optimizer = torch.optim.AdamW([self.W, self.b], lr=1e-3, fused=fused or None)
        self.vmapped = layout.startswith("vmap")
        if self.vmapped:
            one_model = one_model_transposed_loss if transposed(layout) else one_model_loss
            per_model = torch.func.grad_and_value(one_model, argnums=(0, 1))
            self._gradients = torch.func.vmap(per_model, in_dims=(0, 0, 0, 0))
        self._loss_fn = {"einsum": einsum_loss, "bmm": bmm_loss, "bmm-transposed": bmm_transposed_loss}.get(layout)
        # torch.compile wraps the loss and gradient of a given batch (for einsum and bmm the
        # forward, whose backward autograd compiles ahead of time; for vmap the vmapped
        # loss-and-gradient). The sampling stays eager: inductor's in-kernel random numbers
        # took about three times the CPU of torch.rand here.
        self._given = self._given_vmap if self.vmapped else self._given_loss
        if compile:
            self._given = torch.compile(self._given)

    def _given_loss(self, W, b, x):
        return self._loss_fn(W, b, x, self.importance)

    def _given_vmap(self, W, b, x):
        (dW, db), losses = self._gradients(W, b, x, self.importance)
        return losses.sum(), dW, db

    def gradients(self, x):
        """(loss summed over instances, dW, db) for a given batch x in this layout."""
        if self.vmapped:
            return self._given(self.W.detach(), self.b.detach(), x)
        W, b = self.W.detach().requires_grad_(), self.b.detach().requires_grad_()
        loss = self._given(W, b, x)
        dW, db = torch.autograd.grad(loss, (W, b))
        return loss.detach(), dW, db

    def apply(self, dW, db) -> None:
        self.W.grad, self.b.grad = dW, db
        self.optimizer.step()

    def step(self, x: torch.Tensor | None = None) -> float:
        """One AdamW step on a fresh batch (or on x, for the equivalence check); returns the loss."""
        if x is None:
            x = sample(self.probability, self.batch, self.layout)
        loss, dW, db = self.gradients(x)
        self.apply(dW, db)
        return loss.item()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layout", default="einsum", choices=LAYOUTS)
    parser.add_argument("--compile", action="store_true", help="torch.compile the loss and gradient")
    parser.add_argument("--fused", action="store_true", help="AdamW(fused=True)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--grid", default="grid", choices=["grid", "dense"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    importance, probability = build(args.grid)
    W, b = init_parameters(args.seed)
    grid = Grid(args.layout, W, b, importance, probability, compile=args.compile, fused=args.fused)
    started = time.perf_counter()
    losses = [grid.step() for _ in range(args.warmup)]
    warmup_s = time.perf_counter() - started
    times = []
    cpu_started = time.process_time()
    for _ in range(args.steps):
        t0 = time.perf_counter()
        losses.append(grid.step())
        times.append(time.perf_counter() - t0)
    cpu_ms = 1e3 * (time.process_time() - cpu_started) / args.steps
    median_ms = 1e3 * statistics.median(times)
    print(json.dumps({
        "grid": args.grid, "layout": args.layout, "compile": args.compile, "fused": args.fused,
        "threads": args.threads, "steps_timed": args.steps, "warmup_steps": args.warmup,
        "warmup_s": round(warmup_s, 2), "ms_per_step": round(median_ms, 3),
        "mean_ms_per_step": round(1e3 * statistics.fmean(times), 3), "cpu_ms_per_step": round(cpu_ms, 3),
        "scaled_10000_steps_s": round(median_ms * 10.0, 1),
        "first_loss": losses[0], "last_loss": losses[-1], "torch": torch.__version__}))


if __name__ == "__main__":
    main()
