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

Forms (--forms, comma-separated; each form is timed at every width and thread count):
  authors   the authors' protocol as above: two dense B x n uniform tensors per step (about
            half of an eager step on this machine), eager PyTorch
  sparse    the same distribution drawn as superscale draws it: per feature, geometric gaps
            between active rows (ln(1 - U)/ln(1 - p_i), about B * sum(p) + overhead draws),
            then U(0, 2) values for the active entries only, scattered into a zero B x n x
            (SparseSampler; bench/torch_step_check.py checks its frequencies and values)
  authors-compiled, sparse-compiled
            the same with the loss and its backward under torch.compile (inductor, C++ from
            the machine's g++). The sampling stays eager (inductor's in-kernel random numbers
            took about three times the CPU of torch.rand for the grid peer, and the sparse
            draw has data-dependent shapes), and so does the authors' optimizer (its Python
            step count would recompile the graph every step)

Usage: bash bench/run_torch.sh [--widths 10,25,100] [--threads 1,2] [--steps 50] [--warmup 10]
                              [--forms authors,sparse,authors-compiled,sparse-compiled]
Prints a JSON object (first) and a human-readable table (ms per step).

Measured on this machine for the authors' form, before the other forms existed (2-core AMD EPYC VM, 24 GiB, torch 2.15.0+cu132 wheel used on CPU, numpy 2.4.6,
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


class SparseSampler:
    """x ~ (U < p) * U' * 2 drawn the way superscale draws it: only the active entries.

    Feature i is active in each row independently with probability p_i, so the gaps between
    its active rows are geometric: gap = floor(ln(1 - U) / ln(1 - p_i)) for U ~ U[0, 1) (the
    number of inactive rows before the next active one). Each feature gets a budget of
    mean + 6 sd + 8 gaps, drawn in one vectorised pass; the rare feature whose budget ends
    before row B draws more (a loop, so the distribution is exact whatever the budget). The
    active entries then get U(0, 2) values and are scattered into a zeroed B x n tensor, which
    the dense forward needs. Draws about B * sum(p) + the budget's overhead uniforms (≈ 17 000
    at n = 1000, B = 2048, alpha = 1) instead of 2 * B * n = 4 096 000.
    """

    def __init__(self, prob: torch.Tensor, batch: int, slack_sd: float = 6.0, slack: int = 8):
        self.batch, self.n = batch, prob.numel()
        p = prob.double()
        self.log_miss = torch.log1p(-p)  # ln(1 - p_i) < 0
        mean = batch * p
        budget = torch.ceil(mean + slack_sd * torch.sqrt(mean * (1 - p)) + slack).long().clamp_min(1)
        self.features = torch.arange(self.n)
        self.first_round = self._plan(self.features, budget)

    def _plan(self, features, budget):
        feature_of = torch.repeat_interleave(features, budget)
        ends = budget.cumsum(0)
        return feature_of, self.log_miss[feature_of], ends

    def _round(self, plan, start):
        """Positions of the next gaps of each planned feature after row start[k]; returns
        (positions, features) of all drawn entries and the last position of each feature."""
        feature_of, log_miss, ends = plan
        u = torch.rand(feature_of.numel(), dtype=torch.float64)
        advance = torch.floor(torch.log1p(-u) / log_miss).long() + 1  # gap + 1 >= 1
        total = advance.cumsum(0)
        before = torch.zeros(ends.numel(), dtype=torch.long)
        before[1:] = total[ends[:-1] - 1]
        offset = start - before  # start of each feature's segment, minus the running total before it
        positions = total + torch.repeat_interleave(offset, ends.diff(prepend=ends.new_zeros(1)))
        return positions, feature_of, positions[ends - 1]

    def entries(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(rows, features) of one batch's active entries."""
        positions, feature_of, last = self._round(self.first_round, torch.full((self.n,), -1, dtype=torch.long))
        rows, cols = [positions], [feature_of]
        short = last < self.batch - 1  # the budget ended before the last row: draw on
        while bool(short.any()):
            features = self.features[short]
            budget = torch.full((features.numel(),), 16, dtype=torch.long)
            positions, feature_of, more = self._round(self._plan(features, budget), last[short])
            rows.append(positions)
            cols.append(feature_of)
            last = last.clone()
            last[short] = more
            short = last < self.batch - 1
        rows, cols = torch.cat(rows), torch.cat(cols)
        keep = rows < self.batch
        return rows[keep], cols[keep]

    def scatter(self, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
        """The dense B x n batch with U(0, 2) values at the given entries."""
        x = torch.zeros(self.batch, self.n)
        x[rows, cols] = torch.rand(rows.numel()) * 2
        return x

    def __call__(self) -> torch.Tensor:
        return self.scatter(*self.entries())


def dense_sample(prob: torch.Tensor, batch: int) -> torch.Tensor:
    """The authors' draw (1.1): two dense B x n uniform tensors."""
    return (torch.rand(batch, prob.numel()) < prob).float() * torch.rand(batch, prob.numel()) * 2


FORMS = ("authors", "sparse", "authors-compiled", "sparse-compiled")


def loss_function(compiled: bool):
    """The authors' loss (1.2, 1.3), eager or under torch.compile (the `-compiled` forms)."""
    relu = nn.ReLU()
    criteria = nn.MSELoss()

    def loss_given(W, b, x):
        y = relu(x @ W @ W.T + b)
        return criteria(y, x)

    return torch.compile(loss_given) if compiled else loss_given


def time_width(m: int, threads: int, steps: int, warmup: int, seed: int, form: str = "authors") -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    n = N_FEATURES
    alpha_code = torch.linspace(0, 1, 9)[0]  # 0.0 -> alpha_paper = 1
    prob = torch.tensor([1 / i ** (1 + alpha_code) for i in range(1, n + 1)])
    prob = prob / prob.sum()
    gamma = torch.linspace(-1, 1, 10)[2]  # -0.5556, a float32 0-d tensor as in exp-10.py
    W = nn.Parameter(torch.randn(n, m) / math.sqrt(m))
    b = nn.Parameter(torch.randn(n))
    opt = SignedAdamW([{"params": [W], "weight_decay": gamma, "lr": 0.0},
                       {"params": [b], "weight_decay": 0.0, "lr": 0.0}])
    sparse = form.startswith("sparse")
    sampler = SparseSampler(prob, BATCH) if sparse else None
    loss_given = loss_function(compiled=form.endswith("-compiled"))
    times, cpu, losses, phases = [], [], [], {"sample": 0.0, "forward_backward": 0.0, "optimizer": 0.0}
    for step in range(warmup + steps):
        c0, t0 = time.process_time(), time.perf_counter()
        x = sampler() if sparse else dense_sample(prob, BATCH)
        ta = time.perf_counter()
        lr = get_lr(step, PEAK_LR, N_STEPS_SCHEDULE)
        for g in opt.groups:
            g["lr"] = lr
        opt.zero_grad()
        loss = loss_given(W, b, x)
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
        "m": m, "threads": threads, "form": form, "timed_steps": steps, "warmup_steps": warmup,
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
    ap.add_argument("--forms", default="authors", help="comma-separated forms: " + ", ".join(FORMS))
    a = ap.parse_args()
    widths = [int(s) for s in a.widths.split(",") if s]
    threads = [int(s) for s in a.threads.split(",") if s]
    forms = [f for f in a.forms.split(",") if f]
    for form in forms:
        if form not in FORMS:
            ap.error(f"--forms: unknown form {form!r} (known: {', '.join(FORMS)})")
    results = [time_width(m, t, a.steps, a.warmup, a.seed, form) for form in forms for t in threads for m in widths]
    out = {
        "bench": "torch_step", "protocol": "exp-10.py, n=1000, alpha_paper=1, B=2048, gamma=-0.5556, float32",
        "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
        "results": results,
    }
    print_report(out, widths, threads)


if __name__ == "__main__":
    main()
