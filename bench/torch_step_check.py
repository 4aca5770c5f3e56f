"""Check that torch_step.py's SparseSampler draws the authors' distribution x = (U < p) * U' * 2.

Over S batches (n = 1000, alpha = 1, B = 2048) it compares, against the exact values:
  * each feature's count of active entries (Binomial(S * B, p_i)): every |z| < 5.5 and the
    chi-square of the 1000 z's within 5 standard deviations of its mean
  * the number of active features per row (mean sum p, variance sum p (1 - p))
  * the values of active entries (U(0, 2): mean 1, variance 1/3, half of them below 1)
  * no entry drawn twice (the scatter would hide it)
once with the sampler's budget of gaps per feature and once with a budget of one gap, so the
loop that draws on when a budget ends before row B is exercised on every feature.

Then that the `-compiled` forms train as their eager twins: from the same W, b (m = 25) and on
the same batches (dense and sparse draws), the torch.compile loss and the eager one are
trained side by side with the authors' optimizer; each step's loss must agree to a relative
1e-5 and the final W and b to an absolute 1e-5 (float32 sums in a different order, so a
tolerance, not the bit).

Exits 1 if any check fails. Run: bash bench/run_torch.sh check [--batches 300] [--steps 20]
"""
import argparse
import math
import sys

import torch

from torch_step import BATCH, N_FEATURES, PEAK_LR, N_STEPS_SCHEDULE, SignedAdamW, SparseSampler, dense_sample, get_lr, loss_function


def check(sampler: SparseSampler, prob: torch.Tensor, batches: int, label: str) -> bool:
    n, B = prob.numel(), BATCH
    counts = torch.zeros(n, dtype=torch.float64)
    per_row = []
    value_sum = value_square = below_one = active = 0.0
    duplicates = 0
    for _ in range(batches):
        rows_drawn, cols_drawn = sampler.entries()
        duplicates += rows_drawn.numel() - torch.unique(rows_drawn * n + cols_drawn).numel()
        x = sampler.scatter(rows_drawn, cols_drawn)
        mask = x > 0
        counts += mask.sum(0).double()
        per_row.append(mask.sum(1).double())
        values = x[mask].double()
        value_sum += values.sum().item()
        value_square += (values * values).sum().item()
        below_one += (values < 1).sum().item()
        active += values.numel()
        # x > 0 misses an active entry whose value is exactly 0 (probability 2^-24 per entry)
    p = prob.double()
    trials = batches * B
    z = (counts - trials * p) / torch.sqrt(trials * p * (1 - p))
    chi2 = (z * z).sum().item()
    rows = torch.cat(per_row)
    row_mean_se = math.sqrt((p * (1 - p)).sum().item() / rows.numel())
    value_mean = value_sum / active
    value_var = value_square / active - value_mean ** 2
    checks = {
        "max |z| of per-feature counts < 5.5": (z.abs().max().item(), z.abs().max().item() < 5.5),
        "chi-square of the z's (mean n, sd sqrt(2n))": (chi2, abs(chi2 - n) < 5 * math.sqrt(2 * n)),
        "active per row, mean (sum p = 1)": (rows.mean().item(), abs(rows.mean().item() - p.sum().item()) < 5 * row_mean_se),
        "active per row, variance (sum p(1-p))": (rows.var().item(), abs(rows.var().item() / (p * (1 - p)).sum().item() - 1) < 0.05),
        "value mean (1)": (value_mean, abs(value_mean - 1) < 5 * math.sqrt(1 / 3 / active)),
        "value variance (1/3)": (value_var, abs(value_var * 3 - 1) < 0.03),
        "fraction of values below 1 (1/2)": (below_one / active, abs(below_one / active - 0.5) < 5 * math.sqrt(0.25 / active)),
        "no entry drawn twice": (duplicates, duplicates == 0),
    }
    ok = all(passed for _, passed in checks.values())
    print(f"{label}: {batches} batches, {int(active)} active entries")
    for name, (value, passed) in checks.items():
        print(f"  {name}: {value:.6g} {'ok' if passed else 'FAILED'}")
    return ok


def train(compiled: bool, W0: torch.Tensor, b0: torch.Tensor, batches: list) -> tuple[list, torch.Tensor, torch.Tensor]:
    """The step of torch_step.time_width on given batches: (losses, final W, final b)."""
    W, b = torch.nn.Parameter(W0.clone()), torch.nn.Parameter(b0.clone())
    gamma = torch.linspace(-1, 1, 10)[2]
    opt = SignedAdamW([{"params": [W], "weight_decay": gamma, "lr": 0.0},
                       {"params": [b], "weight_decay": 0.0, "lr": 0.0}])
    loss_given = loss_function(compiled)
    losses = []
    for step, x in enumerate(batches):
        for g in opt.groups:
            g["lr"] = get_lr(step, PEAK_LR, N_STEPS_SCHEDULE)
        opt.zero_grad()
        loss = loss_given(W, b, x)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, W.detach(), b.detach()


def check_compiled(prob: torch.Tensor, steps: int, width: int = 25) -> bool:
    W0 = torch.randn(N_FEATURES, width) / math.sqrt(width)
    b0 = torch.randn(N_FEATURES)
    sampler = SparseSampler(prob, BATCH)
    ok = True
    for label, draw in (("authors", lambda: dense_sample(prob, BATCH)), ("sparse", sampler)):
        batches = [draw() for _ in range(steps)]
        eager, W_eager, b_eager = train(False, W0, b0, batches)
        compiled, W_compiled, b_compiled = train(True, W0, b0, batches)
        loss_error = max(abs(c - e) / abs(e) for c, e in zip(compiled, eager))
        param_error = max((W_compiled - W_eager).abs().max().item(), (b_compiled - b_eager).abs().max().item())
        passed = loss_error < 1e-5 and param_error < 1e-5
        ok &= passed
        print(f"{label}-compiled against {label}, {steps} steps at m = {width}: max relative loss difference "
              f"{loss_error:.3g}, max |W, b difference| {param_error:.3g} (loss {eager[0]:.5f} -> {eager[-1]:.5f}) "
              f"{'ok' if passed else 'FAILED'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=300)
    ap.add_argument("--steps", type=int, default=20, help="training steps of the compiled-against-eager check")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    prob = torch.tensor([1 / i for i in range(1, N_FEATURES + 1)])
    prob = prob / prob.sum()
    ok = check(SparseSampler(prob, BATCH), prob, a.batches, "default budget")
    ok &= check(SparseSampler(prob, BATCH, slack_sd=0.0, slack=-10**9), prob, a.batches // 3,
                "one-gap budget (every feature goes through the draw-on loop)")
    ok &= check_compiled(prob, a.steps)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
