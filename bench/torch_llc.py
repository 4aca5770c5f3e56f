"""The PyTorch peer of superscale's LLC estimator (issue 18 item 5; docs/science/llc.md §1-§2),
on the case `crates/superscale_measure/examples/llc_tms_peer.rs` writes: the toy model of
superposition at the TMS shapes of Chen et al. 2023 (c = 6 features, m = 2 hidden units),
f(x) = ReLU(WᵀWx + b) on x = μ·e_i, per-sample loss Σ_j (x_j − f_j)², mean over the n rows,
w* and the data read from the JSON file, so both tools sample the same posterior.

Plain full-batch localised SGLD, exactly superscale's step:
    w ← w − (ε/2)·[nβ·∇L_n(w) + γ·(w − w*)] + √ε·ξ,   nβ = n / ln n,
a draw is L_n(w) before the step at every step after the burn-in, and
    λ̂ = nβ·(mean over chains and draws of L_n(w) − L_n(w*)).

Forms (each prints λ̂ and its wall and CPU seconds):
  loop             one chain after another, autograd each step (devinterp's structure)
  batched          every chain as a batch dimension, autograd each step
  batched-compiled the batched step under torch.compile (compile time reported apart)
  devinterp        one chain after another with devinterp's own SGLD optimizer
                   (devinterp.optim.SGLD, the same update; pip install devinterp)

    python bench/torch_llc.py DATA.json CHAINS DRAWS BURN_IN STEP LOCALIZATION [FORM ...]

Runs only in the benchmark venv (bench/run_llc.sh); CI never installs torch.
"""

import json
import math
import sys
import time

import torch


def load(path):
    with open(path, encoding="utf-8") as handle:
        case = json.load(handle)
    c, m = case["features"], case["hidden"]
    active = torch.tensor(case["active"], dtype=torch.long)
    magnitude = torch.tensor(case["magnitude"], dtype=torch.float64)
    w_star = torch.tensor(case["w_star"], dtype=torch.float64)
    return c, m, active, magnitude, w_star


def make_loss(c, m, active, magnitude):
    """L_n of one parameter vector w (superscale's layout: the c columns W_i of m values,
    then the c biases)."""
    target = torch.nn.functional.one_hot(active, c).to(torch.float64) * magnitude[:, None]

    def loss(w):
        columns = w[: c * m].reshape(c, m)
        bias = w[c * m :]
        gram = columns @ columns.T  # a_ij = W_i·W_j
        z = magnitude[:, None] * gram[active, :] + bias[None, :]
        residual = target - torch.relu(z)
        return (residual * residual).sum(-1).mean()

    return loss


def sgld(loss, w_star, chains, draws, burn_in, step, localization, nbeta, generator, form):
    """Mean L_n over the draws of each of `chains` chains (a tensor of `chains` values)."""
    half, root = step / 2.0, math.sqrt(step)
    centre = w_star[None]
    if form == "devinterp":
        from devinterp.optim import SGLD  # noqa: PLC0415 (only this form needs it)

        means = []
        for _ in range(chains):
            w = torch.nn.Parameter(w_star.clone())
            sampler = SGLD([w], lr=step, localization=localization, nbeta=nbeta)
            total = 0.0
            for t in range(burn_in + draws):
                sampler.zero_grad()
                value = loss(w)
                value.backward()
                if t >= burn_in:
                    total += value.item()
                sampler.step(noise_generator=generator)
            means.append(total / draws)
        return torch.tensor(means, dtype=torch.float64)
    if form == "loop":
        # One chain's step with autograd, as devinterp runs its chains.
        def update(w, noise):
            w = w.detach().requires_grad_(True)
            value = loss(w[0])
            (gradient,) = torch.autograd.grad(value, w)
            drift = half * (nbeta * gradient + localization * (w.detach() - centre))
            return value.detach()[None], w.detach() - drift + root * noise

    else:
        # All chains at once: vmap over the per-chain gradient (torch.func), optionally
        # compiled; no autograd tape is kept between steps.
        gradient_and_value = torch.func.vmap(torch.func.grad_and_value(loss))

        def update(w, noise):
            gradient, value = gradient_and_value(w)
            drift = half * (nbeta * gradient + localization * (w - centre))
            return value, w - drift + root * noise

        if form == "batched-compiled":
            update = torch.compile(update, dynamic=False)
    w = w_star.repeat(chains, 1)
    total = torch.zeros(chains, dtype=torch.float64)
    for t in range(burn_in + draws):
        noise = torch.randn(w.shape, dtype=torch.float64, generator=generator)
        value, w = update(w, noise)
        if t >= burn_in:
            total += value
    return total / draws


def run(form, case, chains, draws, burn_in, step, localization):
    c, m, active, magnitude, w_star = case
    n = active.numel()
    nbeta = n / math.log(n)
    loss = make_loss(c, m, active, magnitude)
    loss_star = loss(w_star).item()
    generator = torch.Generator().manual_seed(7)
    compile_seconds = 0.0
    if form == "batched-compiled":
        # Compile (and warm up) on a short run, so the timed run measures the sampler only.
        start = time.perf_counter()
        sgld(loss, w_star, chains, 4, 2, step, localization, nbeta, generator, form)
        compile_seconds = time.perf_counter() - start
    wall, cpu = time.perf_counter(), time.process_time()
    if form in ("loop", "devinterp"):
        means = torch.cat(
            [
                sgld(loss, w_star, 1, draws, burn_in, step, localization, nbeta, generator, form)
                for _ in range(chains)
            ]
        )
    else:
        means = sgld(
            loss, w_star, chains, draws, burn_in, step, localization, nbeta, generator, form
        )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    lambdas = nbeta * (means - loss_star)
    mean = lambdas.mean().item()
    half = 1.96 * lambdas.std().item() / math.sqrt(chains) if chains > 1 else float("nan")
    print(
        f"torch {form}: lambda_hat = {mean:.4f} [{mean - half:.4f}, {mean + half:.4f}], "
        f"L_n(w*) = {loss_star:.6f}, nbeta = {nbeta:.3f}; {wall:.3f} s wall, {cpu:.3f} s CPU "
        f"for {chains} chains x {burn_in + draws} steps"
        + (f" (compile and warm-up {compile_seconds:.1f} s, not counted)" if compile_seconds else "")
    )


def main(argv):
    if len(argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    path, chains, draws, burn_in = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    step, localization = float(argv[4]), float(argv[5])
    forms = argv[6:] or ["loop", "batched", "batched-compiled", "devinterp"]
    case = load(path)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for form in forms:
        run(form, case, chains, draws, burn_in, step, localization)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
