"""Golden values for the toy-model forward/loss/gradients, the optimizers and the lr schedule.

Writes crates/superscale_models/tests/data/tms_golden.json. Everything is float64 numpy with a
fixed seed; small shapes n = 7 features, m = 3 hidden, B = 5 batch. Science references are to
docs/science/superposition.md (the Anthropic model: docs/science/tms.md).

JSON layout (see reference/README.md). Every array is {"shape": [...], "data": [row-major flat list]};
scalars are plain numbers. Top-level keys:
  meta        generator, numpy version, seed, dtype, layout note
  dims        {"n": 7, "m": 3, "batch": 5}
  inputs      x (B×n, sparse, values in (0,2)), w (n×m), b (n), importance (n, I_i = 0.7^i)
  mit         unweighted MSE (1.3): z = x W Wᵀ + b (B×n), y = relu(z) (B×n),
              loss_mse = mean_{B·n} (y − x)², grad_w (n×m), grad_b (n)
  anthropic   importance-weighted (tms.md §2): loss = mean_{B·n} I_i (y − x)², grad_w, grad_b
  adamw_signed  one step (t = 1) of the authors' AdamW (1.4) from inputs.w / inputs.b with the
              "mit" gradients; lr 0.01, betas (0.9, 0.999), eps 1e-8, norm eps 1e-8, b not decayed.
              "cases": list of {gamma, w_decayed, w_new, b_new, exp_avg_w, exp_avg_sq_w, exp_avg_b, exp_avg_sq_b}
              for gamma = -0.5556 (row-wise norm pull) and +0.3333 (plain shrink)
  adamw_torch one step of torch.optim.AdamW (weight_decay 0.01 on w and b: p ← p(1 − lr·λ), then Adam)
              with lr 1e-3 from inputs.w / inputs.b with the "anthropic" gradients: w_new, b_new
  schedule    get_lr(step, 1e-2, 20000), warmup 2000 (1.5): steps (list of ints), lr (list)
  adamw_signed_steps  six steps (t = 1..6) of the authors' AdamW from inputs.w / inputs.b, each
              gradient the "mit" gradient at the current parameters, lr varying per step (lrs);
              "cases": for gamma = -0.5556 and +0.3333, "steps": one entry per step with the
              gradients it used (grad_w, grad_b) and, after it, w, b and the four moments
  adamw_torch_steps   the same for torch.optim.AdamW (decay 0.01 on w and b) with the
              "anthropic" gradients: "steps" as above

Gradients are derived analytically (G = 2 I ⊙ (relu(z) − x) ⊙ 1[z > 0] / (B n),
dW = Gᵀ(xW) + xᵀ(GW), db = Σ_batch G) and checked here against central finite differences.
"""
import json
import math
import os

import numpy as np

SEED = 20250515
N, M, B = 7, 3, 5
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "superscale_models",
                   "tests", "data", "tms_golden.json")


def arr(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel(order="C")]}


def forward(x, w, b):
    """ReLU-output model with tied weights, MIT row convention (1.2): y = relu(x W Wᵀ + b)."""
    z = x @ w @ w.T + b
    return z, np.maximum(z, 0.0)


def loss_and_grads(x, w, b, imp):
    """loss = mean over B·n of imp_i (relu(z) − x)²; imp = 1 gives nn.MSELoss (1.3), imp = I gives TMS (tms.md §2)."""
    z, y = forward(x, w, b)
    r = y - x
    loss = float(np.mean(imp * r * r))
    g = 2.0 * imp * r * (z > 0) / (x.shape[0] * x.shape[1])  # dL/dz
    grad_w = g.T @ (x @ w) + x.T @ (g @ w)
    grad_b = g.sum(axis=0)
    return z, y, loss, grad_w, grad_b


def check_fd(x, w, b, imp, grad_w, grad_b, h=1e-6):
    """Central finite differences; asserts relative error (Frobenius) < 1e-6 for both gradients."""
    f = lambda w_, b_: loss_and_grads(x, w_, b_, imp)[2]
    fd_w = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w); e[idx] = h
        fd_w[idx] = (f(w + e, b) - f(w - e, b)) / (2 * h)
    fd_b = np.zeros_like(b)
    for i in range(b.size):
        e = np.zeros_like(b); e[i] = h
        fd_b[i] = (f(w, b + e) - f(w, b - e)) / (2 * h)
    for fd, an, name in ((fd_w, grad_w, "grad_w"), (fd_b, grad_b, "grad_b")):
        rel = np.linalg.norm(fd - an) / np.linalg.norm(an)
        assert rel < 1e-6, f"{name}: finite-difference relative error {rel:.3e}"


def adam_update(p, g, lr, betas=(0.9, 0.999), eps=1e-8, t=1):
    """Adam with bias correction from zero moments (1.4 step 3, = torch.optim.AdamW after its decay)."""
    m = (1 - betas[0]) * g  # β1·0 + (1 − β1) g
    v = (1 - betas[1]) * g * g
    denom = np.sqrt(v) / math.sqrt(1 - betas[1] ** t) + eps
    return p - (lr / (1 - betas[0] ** t)) * m / denom, m, v


def adam_step(p, g, m, v, lr, t, betas=(0.9, 0.999), eps=1e-8):
    """Adam step t from moments m, v (torch.optim.AdamW after its decay; 1.4 step 3)."""
    m = betas[0] * m + (1 - betas[0]) * g
    v = betas[1] * v + (1 - betas[1]) * g * g
    denom = np.sqrt(v) / math.sqrt(1 - betas[1] ** t) + eps
    return p - (lr / (1 - betas[0] ** t)) * m / denom, m, v


def trajectory(x, w, b, imp, lrs, decay_w, decay_b):
    """Several optimizer steps, each from the gradient at the current parameters: decay with
    the step's lr first, then Adam with that gradient (1.4). Returns one dict per step."""
    mw, vw, mb, vb = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    steps = []
    for t, lr in enumerate(lrs, start=1):
        _, _, _, gw, gb = loss_and_grads(x, w, b, imp)
        w, mw, vw = adam_step(decay_w(w, lr), gw, mw, vw, lr, t)
        b, mb, vb = adam_step(decay_b(b, lr), gb, mb, vb, lr, t)
        steps.append({"grad_w": arr(gw), "grad_b": arr(gb), "w": arr(w), "b": arr(b),
                      "exp_avg_w": arr(mw), "exp_avg_sq_w": arr(vw), "exp_avg_b": arr(mb), "exp_avg_sq_b": arr(vb)})
    return steps


def signed_decay(w, gamma, lr, eps=1e-8):
    """Authors' decay (1.4 step 2), applied first with the current lr."""
    if gamma >= 0:
        return w * (1 - gamma * lr)
    norms = np.linalg.norm(w, axis=1, keepdims=True) + eps
    return w + lr * (gamma * w * (1 - 1 / norms))


def get_lr(step, lr, n_steps, warmup_steps=2000):
    """exp-10.py schedule (1.5): s = step + 1, linear warmup, cosine to 0.05·lr."""
    s = step + 1
    min_lr = 0.05 * lr
    if warmup_steps < n_steps:
        if s < warmup_steps:
            return lr * s / warmup_steps
        return (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * (s - warmup_steps) / (n_steps - warmup_steps))) + min_lr
    return (lr - min_lr) * 0.5 * (1 + math.cos(math.pi * s / n_steps)) + min_lr


def main():
    rng = np.random.default_rng(SEED)
    mask = rng.random((B, N)) < 0.5
    x = mask * rng.uniform(0.05, 1.95, size=(B, N))  # zeros where inactive, values in (0, 2) otherwise
    w = rng.standard_normal((N, M)) / math.sqrt(M)  # 1.2 init scale
    b = rng.standard_normal(N)
    imp = 0.7 ** np.arange(N)  # TMS demo importances (tms.md §5.2)
    assert (x == 0).sum() >= 5 and (x > 0).sum() >= 5 and (x > 0).any(axis=1).all()

    out = {
        "meta": {
            "generator": "reference/gen_tms_golden.py", "numpy_version": np.__version__, "seed": SEED,
            "dtype": "float64",
            "layout": "arrays are {shape, data}, data row-major (C order) flat; scalars are numbers",
        },
        "dims": {"n": N, "m": M, "batch": B},
        "inputs": {"x": arr(x), "w": arr(w), "b": arr(b), "importance": arr(imp)},
    }

    grads = {}
    for key, weights in (("mit", np.ones(N)), ("anthropic", imp)):
        z, y, loss, gw, gb = loss_and_grads(x, w, b, weights)
        assert np.abs(z).min() > 1e-3, "a pre-activation sits on the ReLU kink; change SEED"
        assert 0 < (z > 0).sum() < z.size, "need both active and inactive ReLUs"
        check_fd(x, w, b, weights, gw, gb)
        grads[key] = (gw, gb)
        name = "loss_mse" if key == "mit" else "loss"
        out[key] = {name: loss, "z": arr(z), "y": arr(y), "grad_w": arr(gw), "grad_b": arr(gb)}

    gw, gb = grads["mit"]
    cases = []
    for gamma in (-0.5556, 0.3333):
        lr = 0.01
        wd = signed_decay(w, gamma, lr)
        w_new, mw, vw = adam_update(wd, gw, lr)
        b_new, mb, vb = adam_update(b, gb, lr)  # b: weight_decay 0 → no decay
        cases.append({"gamma": gamma, "w_decayed": arr(wd), "w_new": arr(w_new), "b_new": arr(b_new),
                      "exp_avg_w": arr(mw), "exp_avg_sq_w": arr(vw), "exp_avg_b": arr(mb), "exp_avg_sq_b": arr(vb)})
    # section 1.4 worked examples of the decay alone
    assert np.allclose(signed_decay(np.array([[2.0, 0.0]]), -1.0, 0.01), [[1.99, 0.0]])
    assert np.allclose(signed_decay(np.array([[0.5, 0.0]]), -1.0, 0.01), [[0.505, 0.0]])
    assert np.allclose(signed_decay(np.array([[2.0, 0.0]]), 1.0, 0.01), [[1.98, 0.0]])
    out["adamw_signed"] = {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8, "norm_eps": 1e-8, "step": 1,
                           "grads_from": "mit", "b_weight_decay": 0.0, "cases": cases}

    gw, gb = grads["anthropic"]
    lr, lam = 1e-3, 0.01
    w_new, _, _ = adam_update(w * (1 - lr * lam), gw, lr)
    b_new, _, _ = adam_update(b * (1 - lr * lam), gb, lr)
    out["adamw_torch"] = {"lr": lr, "weight_decay": lam, "betas": [0.9, 0.999], "eps": 1e-8, "step": 1,
                          "grads_from": "anthropic", "w_new": arr(w_new), "b_new": arr(b_new)}

    steps = [0, 999, 1998, 1999, 10999, 19999]
    lrs = [get_lr(s, 1e-2, 20000) for s in steps]
    assert np.allclose(lrs, [5e-6, 5e-3, 9.995e-3, 1e-2, 5.25e-3, 5e-4], rtol=1e-12, atol=0)  # table in 1.5
    out["schedule"] = {"peak_lr": 1e-2, "n_steps": 20000, "warmup_steps": 2000, "min_lr_ratio": 0.05,
                       "steps": steps, "lr": lrs}

    # Several steps, so the moments carry over and the bias corrections change with t; the lr
    # varies (rising, then falling, as a warm-up and cosine would) so each step's decay must
    # use its own lr. Every step's gradients are written: the Rust test feeds them as given,
    # so f32 rounding of the gradients cannot compound through the trajectory.
    lrs = [0.004, 0.008, 0.01, 0.009, 0.006, 0.003]
    keep = lambda p, lr: p
    cases = []
    for gamma in (-0.5556, 0.3333):
        steps_signed = trajectory(x, w, b, np.ones(N), lrs, lambda p, lr: signed_decay(p, gamma, lr), keep)
        cases.append({"gamma": gamma, "steps": steps_signed})
    out["adamw_signed_steps"] = {"lrs": lrs, "betas": [0.9, 0.999], "eps": 1e-8, "norm_eps": 1e-8,
                                 "grads_from": "mit", "b_weight_decay": 0.0, "cases": cases}
    lam = 0.01
    uniform = lambda p, lr: p * (1 - lr * lam)
    torch_lrs = [1e-3 * f for f in (0.5, 1.0, 1.0, 0.8, 0.6, 0.4)]
    out["adamw_torch_steps"] = {"lrs": torch_lrs, "weight_decay": lam, "betas": [0.9, 0.999], "eps": 1e-8,
                                "grads_from": "anthropic",
                                "steps": trajectory(x, w, b, imp, torch_lrs, uniform, uniform)}
    # From zero moments, the stepwise Adam is the one-step Adam of the cases above.
    gw, gb = grads["mit"]
    assert np.allclose(adam_step(w, gw, 0.0, 0.0, 0.01, 1)[0], adam_update(w, gw, 0.01)[0], rtol=1e-15, atol=0)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
