"""Golden values for the MLP of crates/superscale_models (models::mlp): a depth-3 ReLU MLP's losses and gradients, and
three steps of torch.optim.AdamW, in float64 numpy.

Writes crates/superscale_models/tests/data/mlp_golden.json (conventions: reference/README.md).

Layout (superscale_models::mlp::Mlp): each layer's weight W_l is in_l x out_l row-major (the
transpose of torch's out x in), then its bias b_l; layers one after another in one buffer.
Cross-entropy is the mean over rows of logsumexp(z) - z_y (nats); MSE is the mean over
rows*outputs of (z - t)^2 (torch reductions).
"""
import json
import os

import numpy as np

SEED = 20240917
SIZES = [7, 5, 4, 3]  # input, hidden, hidden, output: depth 3
ROWS = 6


def arr(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}


def unpack(params):
    layers, offset = [], 0
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        w = params[offset:offset + fan_in * fan_out].reshape(fan_in, fan_out)
        offset += fan_in * fan_out
        b = params[offset:offset + fan_out]
        offset += fan_out
        layers.append((w, b))
    assert offset == params.size
    return layers


def forward(params, x):
    acts, h = [x], x
    layers = unpack(params)
    for index, (w, b) in enumerate(layers):
        z = h @ w + b
        h = np.maximum(z, 0.0) if index + 1 < len(layers) else z
        acts.append(h)
    return acts


def backward(params, acts, delta):
    grads = []
    layers = unpack(params)
    for index in reversed(range(len(layers))):
        w, _ = layers[index]
        grads.append((acts[index].T @ delta, delta.sum(axis=0)))
        if index > 0:
            delta = (delta @ w.T) * (acts[index] > 0)
    grads.reverse()
    return np.concatenate([np.concatenate([gw.ravel(), gb]) for gw, gb in grads])


def cross_entropy(params, x, labels):
    acts = forward(params, x)
    z = acts[-1]
    m = z.max(axis=1, keepdims=True)
    p = np.exp(z - m)
    lse = m[:, 0] + np.log(p.sum(axis=1))
    p /= p.sum(axis=1, keepdims=True)
    loss = np.mean(lse - z[np.arange(len(labels)), labels])
    delta = p.copy()
    delta[np.arange(len(labels)), labels] -= 1.0
    return loss, backward(params, acts, delta / len(labels))


def mean_squared(params, x, targets):
    acts = forward(params, x)
    r = acts[-1] - targets
    return np.mean(r * r), backward(params, acts, 2.0 * r / r.size)


def check_gradient(fn, params, *args):
    """Central differences in float64: the analytic gradient must agree to 1e-6 relative."""
    _, grad = fn(params, *args)
    eps, numeric = 1e-6, np.zeros_like(params)
    for i in range(params.size):
        step = np.zeros_like(params)
        step[i] = eps
        numeric[i] = (fn(params + step, *args)[0] - fn(params - step, *args)[0]) / (2 * eps)
    error = np.linalg.norm(numeric - grad) / np.linalg.norm(grad)
    assert error < 1e-6, error


def adamw(params, grads, lr, weight_decay, beta1=0.9, beta2=0.999, eps=1e-8):
    """torch.optim.AdamW (foreach=False, amsgrad=False): decay, then bias-corrected Adam."""
    m = np.zeros_like(params)
    v = np.zeros_like(params)
    p = params.copy()
    history = []
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lr * weight_decay)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        step_size = lr / (1 - beta1 ** t)
        denom = np.sqrt(v) / np.sqrt(1 - beta2 ** t) + eps
        p = p - step_size * m / denom
        history.append({"params": arr(p), "first": arr(m), "second": arr(v)})
    return history


def main():
    rng = np.random.default_rng(SEED)
    n_params = sum((a + 1) * b for a, b in zip(SIZES[:-1], SIZES[1:]))
    params = rng.normal(0.0, 0.6, n_params)
    x = rng.normal(0.0, 1.0, (ROWS, SIZES[0]))
    labels = rng.integers(0, SIZES[-1], ROWS)
    targets = rng.normal(0.0, 1.0, (ROWS, SIZES[-1]))
    # Keep every hidden pre-activation away from the ReLU kink so the f32 check is stable.
    for layer_acts in forward(params, x)[1:-1]:
        assert np.all(np.abs(layer_acts[layer_acts != 0]) > 1e-3)
    check_gradient(cross_entropy, params, x, labels)
    check_gradient(mean_squared, params, x, targets)
    ce_loss, ce_grad = cross_entropy(params, x, labels)
    mse_loss, mse_grad = mean_squared(params, x, targets)
    grads = [rng.normal(0.0, 1.0, n_params) * 10.0 ** rng.uniform(-3, 1, n_params) for _ in range(3)]
    lr, weight_decay = 1e-3, 0.01
    golden = {
        "meta": {
            "generator": "reference/gen_mlp_golden.py",
            "numpy": np.__version__,
            "seed": SEED,
            "dtype": "float64",
            "layout": "per layer: W (in x out, row-major) then b",
        },
        "layer_sizes": SIZES,
        "params": arr(params),
        "x": arr(x),
        "labels": [int(v) for v in labels],
        "targets": arr(targets),
        "cross_entropy": {"loss": float(ce_loss), "gradient": arr(ce_grad)},
        "mean_squared": {"loss": float(mse_loss), "gradient": arr(mse_grad)},
        "adamw": {
            "lr": lr,
            "weight_decay": weight_decay,
            "betas": [0.9, 0.999],
            "eps": 1e-8,
            "gradients": [arr(g) for g in grads],
            "steps": adamw(params, grads, lr, weight_decay),
        },
    }
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "crates", "superscale_models", "tests", "data", "mlp_golden.json")
    with open(out, "w") as handle:
        json.dump(golden, handle, indent=1)
        handle.write("\n")
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
