"""Time one training step of the Liu, Liu & Gore (2025) toy model in PyTorch (CPU, float32).

Reproduces the `exp/exp-10.py` step of github.com/liuyz0/SuperpositionScaling as specified in
docs/science/superposition.md section 1:
  * n = 1000 features, alpha_paper = 1 (code alpha = 0): p_i = i^-1 / H_n, E = sum p = 1   (1.1)
  * fresh dense sampling every step:
      x = (torch.rand(B, n) < prob).float() * torch.rand(B, n) * 2                         (1.1)
  * W = randn(n, m) / sqrt(m), b = randn(n), y = relu(x @ W @ W.T + b), nn.MSELoss()(y, x)   (1.2, 1.3)
  * the authors' AdamW (exp/adamw.py, 1.4): param groups [W: gamma, b: 0.0]; per group first the
    decay with the current lr (gamma >= 0: p *= 1 - gamma*lr, also run as a no-op for b;
    gamma < 0: W_i += lr*gamma*W_i*(1 - 1/(|W_i| + eps)) row-wise), then Adam with bias
    correction, betas (0.9, 0.999), eps 1e-8. gamma = linspace(-1, 1, 10)[2] = -0.5556 (float32).
  * lr = get_lr(step, 1e-2, 20000), warmup 2000, cosine to 0.05*lr, set on all groups each step (1.5)
  * batch 2048, loss.item() logged every step (as the authors' `results[ii, step] = loss.item()`).
The per-step work timed is: sampling, lr update, zero_grad, forward, backward, optimizer step, .item().

Usage: bash bench/run_torch.sh [--widths 10,25,100] [--threads 1,2] [--steps 50] [--warmup 10]
Prints a JSON object (first) and a human-readable table (ms per step).

Measured on this machine (2-core AMD EPYC VM, 24 GiB, torch 2.15.0+cu132 wheel used on CPU, numpy 2.4.6,
Python 3.11.7), command `bash bench/run_torch.sh --steps 50 --warmup 10`, mean wall ms per step:
     m   T=1 (first run; range of 4 runs)   T=2 (first run; range of 4 runs)
    10   56.8  (53.4 - 56.8)                54.8  (35.6 - 54.8)
    25   44.9  (41.4 - 51.4)                37.5  (31.9 - 37.5)
   100   67.3  (57.3 - 68.9)                46.8  (40.2 - 46.8)
  T=1 phase split (one run): sampling x 22-26 ms, forward+backward 23-38 ms, optimizer 0.6-1.2 ms.
  m = 10 is slower than m = 25 in every run. CAVEAT: other sessions shared the 2 cores during all
  of these runs, so treat them as upper bounds (T=2 is hit hardest). Under heavy load T=1 wall time
  rose by up to 1.7x and T=2 by up to 9x, so compare only runs made on an idle machine. The
  "cpu_mean_ms" column is less sensitive to other load at T=1.
"""
import argparse
import math
import platform
import statistics
import time

import torch
from torch import nn
from step_table import print_report

N_FEATURES = 1000
BATCH = 2048
N_STEPS_SCHEDULE = 20000  # only used for the lr schedule
PEAK_LR = 1e-2


def get_lr(step: int, lr: float, n_steps: int, warmup_steps: int = 2000) -> float:
    """Schedule of exp-10.py (section 1.5): linear warmup on s = step + 1, cosine to 0.05*lr."""
    s = step + 1
    min_lr = 0.05 * lr
    if warmup_steps < n_steps:
        if s < warmup_steps:
            return lr * s / warmup_steps
        return (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (s - warmup_steps) / (n_steps - warmup_steps))) + min_lr
    return (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * s / n_steps)) + min_lr


class SignedAdamW:
    """Re-statement of the authors' AdamW (section 1.4); same tensor ops in the same order."""

    def __init__(self, groups, betas=(0.9, 0.999), eps=1e-8):
        self.groups = groups  # list of dicts: {"params": [tensors], "weight_decay": float or 0-d tensor, "lr": float}
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.state = {}

    def zero_grad(self):
        for g in self.groups:
            for p in g["params"]:
                p.grad = None  # torch >= 2.0 default (set_to_none=True)

    @torch.no_grad()
    def step(self):
        for g in self.groups:
            lr, wd = g["lr"], g["weight_decay"]
            ps = [p for p in g["params"] if p.grad is not None]
            for p in ps:
                st = self.state.setdefault(id(p), {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
                st["t"] += 1
            # 1) decay first, with the current lr
            for p in ps:
                if wd >= 0:
                    p.mul_(1 - wd * lr)
                else:
                    norms = p.norm(dim=1).unsqueeze(1).add_(self.eps)
                    p.add_(wd * p * (1 - 1 / norms), alpha=lr)
            # 2) Adam with bias correction, using the gradient taken before the decay
            for p in ps:
                st = self.state[id(p)]
                t, m, v = st["t"], st["m"], st["v"]
                bc1 = 1 - self.beta1 ** t
                bc2 = 1 - self.beta2 ** t
                m.mul_(self.beta1).add_(p.grad, alpha=1 - self.beta1)
                v.mul_(self.beta2).addcmul_(p.grad, p.grad, value=1 - self.beta2)
                denom = (v.sqrt() / math.sqrt(bc2)).add_(self.eps)
                p.addcdiv_(m, denom, value=-lr / bc1)


def time_width(m: int, threads: int, steps: int, warmup: int, seed: int) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    n = N_FEATURES
    alpha_code = torch.linspace(0, 1, 9)[0]  # 0.0 -> alpha_paper = 1
    prob = torch.tensor([1 / i ** (1 + alpha_code) for i in range(1, n + 1)])
    prob = prob / prob.sum()
    gamma = torch.linspace(-1, 1, 10)[2]  # -0.5556, a float32 0-d tensor as in exp-10.py
    W = nn.Parameter(torch.randn(n, m) / math.sqrt(m))
    b = nn.Parameter(torch.randn(n))
    relu = nn.ReLU()
    criteria = nn.MSELoss()
    opt = SignedAdamW([{"params": [W], "weight_decay": gamma, "lr": 0.0},
                       {"params": [b], "weight_decay": 0.0, "lr": 0.0}])
    times, cpu, losses, phases = [], [], [], {"sample": 0.0, "forward_backward": 0.0, "optimizer": 0.0}
    for step in range(warmup + steps):
        c0, t0 = time.process_time(), time.perf_counter()
        x = (torch.rand(BATCH, n) < prob).float() * torch.rand(BATCH, n) * 2
        ta = time.perf_counter()
        lr = get_lr(step, PEAK_LR, N_STEPS_SCHEDULE)
        for g in opt.groups:
            g["lr"] = lr
        opt.zero_grad()
        y = relu(x @ W @ W.T + b)
        loss = criteria(y, x)
        loss.backward()
        tb = time.perf_counter()
        opt.step()
        losses.append(loss.item())
        t1, c1 = time.perf_counter(), time.process_time()
        if step >= warmup:  # CPU eager ops are synchronous, so phase boundaries are exact
            times.append((t1 - t0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
            phases["sample"] += (ta - t0) * 1e3 / steps
            phases["forward_backward"] += (tb - ta) * 1e3 / steps
            phases["optimizer"] += (t1 - tb) * 1e3 / steps
    return {
        "m": m, "threads": threads, "timed_steps": steps, "warmup_steps": warmup,
        "mean_ms": statistics.fmean(times), "median_ms": statistics.median(times),
        "min_ms": min(times), "stdev_ms": statistics.stdev(times) if len(times) > 1 else 0.0,
        # process CPU time per step, all threads summed: with T = 1 it is close to the wall time on an
        # idle machine and much less sensitive to other load; with T = 2, wall >= cpu / 2
        "cpu_mean_ms": statistics.fmean(cpu),
        "phase_mean_ms": phases, "first_loss": losses[0], "last_loss": losses[-1],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--widths", default="10,25,100", help="comma-separated hidden widths m")
    ap.add_argument("--threads", default="1,2", help="comma-separated torch.set_num_threads values")
    ap.add_argument("--steps", type=int, default=50, help="timed steps per (width, threads)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps before timing")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    widths = [int(s) for s in a.widths.split(",") if s]
    threads = [int(s) for s in a.threads.split(",") if s]
    results = [time_width(m, t, a.steps, a.warmup, a.seed) for t in threads for m in widths]
    out = {
        "bench": "torch_step", "protocol": "exp-10.py, n=1000, alpha_paper=1, B=2048, gamma=-0.5556, float32",
        "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "results": results,
    }
    print_report(out, widths, threads)


if __name__ == "__main__":
    main()
