"""The Anthropic TMS notebook's protocol in PyTorch (docs/science/tms.md §3), as the
reference for C9 and C10 of docs/science/superposition.md §4.

The notebook (toy_models.ipynb, cells 3-4): W is one [instances, n, m] parameter initialised
by `nn.init.xavier_normal_` on the whole stacked tensor, b_final = 0 of shape [instances, n];
x_i = U[0,1] with probability p (`where(rand <= p, rand, 0)`), y = ReLU(x W Wᵀ + b);
loss = (importance * (x - y)²) averaged over batch and features, summed over instances;
`torch.optim.AdamW(lr=1e-3)` (default weight decay 0.01 on W and b), constant lr, batch 1024,
10 000 steps. Every instance is one independent model; the sum over instances only adds their
losses, so each gets its own gradient.

Two problems:
  uniform  C9: n = 200, m = 20, importance 1, instance k has p_k = 20^(-k/19) (20 levels).
  phase    C10: n = 2, m = 1, importances (1, r), both features with probability p.

Note on the init: torch's xavier_normal_ on a 3-D tensor [I, n, m] takes fan_in = n*m and
fan_out = I*m (dims 1 and 0 times the "receptive field" m), so std = sqrt(2/(n*m + I*m)):
0.0213 for the 20-instance C9 tensor, against sqrt(2/(n+m)) = 0.0953 for one n x m matrix.
`--init per-model` uses the latter (what superscale does), to tell whether the init matters.

Writes an npz with W [I, n, m], b [I, n], p [I], importance [I, n] and the final losses.
"""

import argparse
import json
import math
import time

import numpy as np
import torch


def build(problem, replicates, importance_ratio, probability, level_subset):
    """The per-instance feature probabilities [I, n] and importances [I, n]."""
    if problem == "uniform":
        n, m = 200, 20
        levels = 20 ** -torch.linspace(0, 1, 20)  # notebook: 20 ** -linspace(0, 1, n_instances)
        if level_subset:
            levels = levels[list(level_subset)]
        p = levels.repeat_interleave(replicates)[:, None].expand(-1, n).contiguous()
        importance = torch.ones_like(p)
    else:
        n, m = 2, 1
        instances = replicates
        p = torch.full((instances, n), probability)
        importance = torch.tensor([1.0, importance_ratio]).expand(instances, n).contiguous()
    return n, m, p, importance


def save(path, W, b, p, importance, tail, meta):
    np.savez(
        path,
        W=W.detach().numpy(),
        b=b.detach().numpy(),
        p=p[:, 0].numpy(),
        importance=importance.numpy(),
        tail_loss=np.mean(tail, axis=0) if tail else np.zeros(p.shape[0]),
        meta=json.dumps({**meta, "torch": torch.__version__}),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problem", choices=["uniform", "phase"], default="uniform")
    parser.add_argument("--replicates", type=int, default=1,
                        help="instances per level (uniform) or in total (phase)")
    parser.add_argument("--importance-ratio", type=float, default=1.0, help="phase: r")
    parser.add_argument("--probability", type=float, default=0.05, help="phase: 1 - S")
    parser.add_argument("--levels", default="",
                        help="uniform: train only these k of the 20 levels (comma-separated); "
                             "W keeps the 20-instance tensor's init std")
    parser.add_argument("--init", choices=["stacked", "per-model"], default="stacked")
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint-every", type=int, default=0,
                        help="also save W every this many steps (0: only at the end)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    subset = [int(k) for k in args.levels.split(",")] if args.levels else []
    n, m, p, importance = build(args.problem, args.replicates, args.importance_ratio,
                                args.probability, subset)
    instances = p.shape[0]
    W = torch.nn.Parameter(torch.empty(instances, n, m))
    if args.init == "stacked" and subset:
        # The std the notebook's 20-instance tensor gets, whatever subset is trained here.
        with torch.no_grad():
            W.normal_(0.0, math.sqrt(2.0 / (n * m + 20 * m)))
    elif args.init == "stacked":
        torch.nn.init.xavier_normal_(W)  # the notebook, on the stacked tensor
    else:
        with torch.no_grad():
            W.normal_(0.0, math.sqrt(2.0 / (n + m)))
    b = torch.nn.Parameter(torch.zeros(instances, n))
    init_std = float(W.detach().std())
    opt = torch.optim.AdamW([W, b], lr=args.lr)  # weight_decay = 0.01, eps = 1e-8
    p_column = p[:, None, :]
    importance_column = importance[:, None, :]
    started = time.time()
    tail = []
    for step in range(args.steps):
        # Instance-major [I, B, n] so the two products are plain batched matmuls. One uniform
        # per entry: given u <= p, u/p is U[0,1], so x has the notebook's distribution
        # (active with probability p, value U[0,1]) at half the random draws: x = u/p, zeroed
        # where u/p > 1.
        x = torch.rand(instances, args.batch, n).div_(p_column)
        x.masked_fill_(x > 1.0, 0.0)
        hidden = torch.bmm(x, W)
        out = torch.relu(torch.bmm(hidden, W.transpose(1, 2)) + b[:, None, :])
        per_instance = (importance_column * (x - out) ** 2).mean(dim=(1, 2))
        loss = per_instance.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step >= args.steps - 100:
            tail.append(per_instance.detach().numpy().copy())
        if args.checkpoint_every and (step + 1) % args.checkpoint_every == 0:
            # So a run cut short on a busy machine still leaves its latest W.
            save(args.out.replace(".npz", f"_step{step + 1}.npz"), W, b, p, importance,
                 tail, {**vars(args), "init_std": init_std, "steps_done": step + 1})
        if step % 1000 == 0:
            print(f"step {step:6d}  loss {loss.item():.6f}  {time.time() - started:.1f}s",
                  flush=True)
    elapsed = time.time() - started
    save(args.out, W, b, p, importance, tail,
         {**vars(args), "init_std": init_std, "seconds": elapsed, "steps_done": args.steps})
    print(f"wrote {args.out}: {instances} instances, init std {init_std:.4f}, {elapsed:.0f}s")


if __name__ == "__main__":
    main()
