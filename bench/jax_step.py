"""Time one training step of the Liu, Liu & Gore (2025) toy model under jax.jit (CPU, float32).

The same step as bench/torch_step.py (docs/science/superposition.md section 1), written the
way a JAX user would: the whole step -- sampling with jax.random, loss, jax.grad, the signed decay and
Adam -- is one jax.jit-compiled function; the training state (W, b, Adam moments, step count, PRNG
key) is threaded through it and its buffers are donated, so XLA updates them in place.
  * n = 1000, alpha_paper = 1: p_i = i^-1 / H_n                                             (1.1)
  * x = (U < p) * U' * 2, U, U' ~ U(0, 1) drawn fresh every step                             (1.1)
  * W ~ N(0, 1/m), b ~ N(0, 1), y = relu(x W W^T + b), loss = mean over B*n of (y - x)^2    (1.2, 1.3)
  * decay first with the current lr, W only: W_i += lr*gamma*W_i*(1 - 1/(|W_i| + eps)),
    gamma = linspace(-1, 1, 10)[2] = -0.5556; then Adam with bias correction on W and b     (1.4)
  * lr = get_lr(step, 1e-2, 20000): warmup 2000, cosine to 0.05*lr                          (1.5)
  * B = 2048; the loss is fetched to the host every step (a training loop that logs it must).

Thread control. XLA:CPU in jax 0.12 has no flag that limits its compute threads: the
`--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1` recipe (jax issues #743, #1539)
left the work of a jitted matmul spread over 4 threads when tried here, with or without
`--xla_cpu_use_xnnpack=false`. The JAX maintainers' answer (issue #1539) is the CPU affinity mask:
the runtime sizes its thread pool from it. So each thread count runs in its own subprocess that
sets its affinity to the first T allowed CPUs (os.sched_setaffinity, what `taskset -c 0` /
`taskset -c 0,1` does) before importing jax. Checked with per-thread CPU ticks: with T = 1 all the
compute lands on one thread.

Usage: bash bench/run_jax.sh [--widths 10,25,100] [--threads 1,2] [--steps 50] [--warmup 10]
Prints a JSON object (first; same shape as torch_step.py) and a human-readable table (ms per step).

PRNG: sampling the two dense B x n uniforms is most of the step. jax's default threefry2x32 took
about 60 ms of CPU per step for it here, XLA's RngBitGenerator ("rbg", a documented
jax.random.key impl) about 30 ms, so the peer uses rbg (--prng threefry2x32 for the default).
With rbg and x materialised once (see step()), a step at m = 10 took about 44 ms of CPU on 1
thread on a loaded machine: about 30 ms sampling, 15 ms loss, gradient, decay and Adam.
"""
import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from step_table import print_report

N_FEATURES = 1000
BATCH = 2048
N_STEPS_SCHEDULE = 20000  # only used for the lr schedule (1.5)
WARMUP_SCHEDULE = 2000
PEAK_LR = 1e-2
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
CHILD_MARK = "JAX_STEP_RESULT "


def lr_at(t):
    """(1.5) get_lr(step, 1e-2, 20000) with s = step + 1 = t, the 1-based step count of the Adam state;
    traced inside the step, so the schedule costs no host round trip."""
    import jax.numpy as jnp

    s = t.astype(jnp.float32)
    min_lr = 0.05 * PEAK_LR
    warm = PEAK_LR * s / WARMUP_SCHEDULE
    cos = (PEAK_LR - min_lr) * 0.5 * (
        1 + jnp.cos(jnp.pi * (s - WARMUP_SCHEDULE) / (N_STEPS_SCHEDULE - WARMUP_SCHEDULE))) + min_lr
    return jnp.where(s < WARMUP_SCHEDULE, warm, cos)


def build(m: int, seed: int, prng: str = "rbg"):
    """Returns (init_state, step, update) for width m. Imports jax, so only call it in the child."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    n = N_FEATURES
    # (1.1) p_i = i^-(1 + alpha_code) / sum, alpha_code = linspace(0, 1, 9)[0] = 0 -> alpha_paper = 1
    prob = jnp.asarray(np.array([1 / i ** 1.0 for i in range(1, n + 1)], dtype=np.float32))
    prob = prob / prob.sum()
    gamma = np.linspace(-1, 1, 10, dtype=np.float32)[2]  # (1.4) -0.5556, float32 as torch.linspace gives

    def loss_fn(params, x):
        W, b = params
        y = jax.nn.relu(x @ W @ W.T + b)  # (1.2) tied weights, same association order as exp-10.py
        return jnp.mean((y - x) ** 2)  # (1.3) nn.MSELoss: mean over B*n

    def update(state, x):
        """Loss, gradient, signed decay and Adam for a given batch x (1.3, 1.4)."""
        (W, b), (mW, mb), (vW, vb), t, key = state
        loss, (gW, gb) = jax.value_and_grad(loss_fn)((W, b), x)
        t = t + 1
        lr = lr_at(t)
        # (1.4) decay first, with the current lr, W only (b's group has weight_decay 0: a no-op);
        # gamma < 0 branch: W_i += lr * gamma * W_i * (1 - 1/(|W_i| + eps)) row-wise
        norms = jnp.sqrt(jnp.sum(W * W, axis=1, keepdims=True)) + EPS
        W = W + lr * (gamma * W * (1 - 1 / norms))
        # (1.4) Adam with bias correction, with the gradient taken before the decay
        tf = t.astype(jnp.float32)
        bc1 = 1 - BETA1 ** tf
        bc2 = 1 - BETA2 ** tf

        def adam(p, g, mo, v):
            mo = BETA1 * mo + (1 - BETA1) * g
            v = BETA2 * v + (1 - BETA2) * g * g
            denom = jnp.sqrt(v) / jnp.sqrt(bc2) + EPS
            return p - (lr / bc1) * mo / denom, mo, v

        W, mW, vW = adam(W, gW, mW, vW)
        b, mb, vb = adam(b, gb, mb, vb)
        return ((W, b), (mW, mb), (vW, vb), t, key), loss

    def step(state):
        # (1.1) fresh sampling every step, inside the compiled step: x = (U < p) * U' * 2
        key, k_mask, k_val = jax.random.split(state[4], 3)
        u = jax.random.uniform(k_mask, (BATCH, n), jnp.float32)
        v = jax.random.uniform(k_val, (BATCH, n), jnp.float32)
        x = (u < prob).astype(jnp.float32) * v * 2
        # Without this barrier XLA fuses the sampling into each of x's consumers (x W, y - x, the
        # gradient x^T dH) and draws the random numbers again in each: measured 73 -> 44 ms CPU per
        # step at m = 10 (rbg, 1 thread). The barrier makes x one materialised B x n buffer.
        x = jax.lax.optimization_barrier(x)
        return update(state[:4] + (key,), x)

    k_w, k_b, k_data = jax.random.split(jax.random.key(seed, impl=prng), 3)
    W = jax.random.normal(k_w, (n, m), jnp.float32) / np.sqrt(m).astype(np.float32)  # (1.2) N(0, 1/m)
    b = jax.random.normal(k_b, (n,), jnp.float32)  # (1.2) N(0, 1), not zeros

    def zeros():  # separate buffers for the two moments: a donated buffer may appear only once
        return (jnp.zeros_like(W), jnp.zeros_like(b))

    state = ((W, b), zeros(), zeros(), jnp.zeros((), jnp.int32), k_data)
    # donate the state: XLA may write the new W, b, moments and key into the old buffers
    return state, jax.jit(step, donate_argnums=0), jax.jit(update, donate_argnums=0)


def time_width(m: int, threads: int, steps: int, warmup: int, seed: int, prng: str) -> dict:
    import jax

    state, step, _ = build(m, seed, prng)
    c0 = time.perf_counter()
    step = step.lower(state).compile()  # compile before the loop, so no step pays for it
    compile_s = time.perf_counter() - c0
    times, cpu, losses = [], [], []
    for i in range(warmup + steps):
        c0, t0 = time.process_time(), time.perf_counter()
        state, loss = step(state)
        jax.block_until_ready((state, loss))
        losses.append(float(loss))  # the host copy a loop that logs the loss makes (loss.item() in torch)
        t1, c1 = time.perf_counter(), time.process_time()
        if i >= warmup:
            times.append((t1 - t0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
    return {
        "m": m, "threads": threads, "timed_steps": steps, "warmup_steps": warmup,
        "mean_ms": statistics.fmean(times), "median_ms": statistics.median(times),
        "min_ms": min(times), "stdev_ms": statistics.stdev(times) if len(times) > 1 else 0.0,
        # process CPU time per step, all threads summed (as in torch_step.py)
        "cpu_mean_ms": statistics.fmean(cpu),
        "compile_s": compile_s, "prng": prng, "first_loss": losses[0], "last_loss": losses[-1],
    }


def child(a) -> None:
    # Restrict the CPU set before jax is imported: XLA:CPU sizes its thread pool from it (see above).
    cpus = sorted(os.sched_getaffinity(0))
    if a.child_threads > len(cpus):
        sys.exit(f"jax_step: {a.child_threads} threads asked, only CPUs {cpus} allowed")
    os.sched_setaffinity(0, cpus[:a.child_threads])
    widths = [int(s) for s in a.widths.split(",") if s]
    for m in widths:
        r = time_width(m, a.child_threads, a.steps, a.warmup, a.seed, a.prng)
        r["cpus"] = sorted(os.sched_getaffinity(0))
        print(CHILD_MARK + json.dumps(r), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--widths", default="10,25,100", help="comma-separated hidden widths m")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (CPU affinity sizes)")
    ap.add_argument("--steps", type=int, default=50, help="timed steps per (width, threads)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps before timing (compile excluded)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prng", default="rbg", choices=["rbg", "unsafe_rbg", "threefry2x32"],
                    help="jax.random implementation; rbg (XLA's RngBitGenerator) samples x in about half the CPU "
                         "time of the default threefry2x32 here, so the peer uses it")
    ap.add_argument("--child-threads", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child_threads:
        child(a)
        return
    widths = [int(s) for s in a.widths.split(",") if s]
    threads = [int(s) for s in a.threads.split(",") if s]
    results = []
    for t in threads:  # one process per thread count: the affinity must be set before jax starts
        cmd = [sys.executable, os.path.abspath(__file__), "--child-threads", str(t), "--widths", a.widths,
               "--steps", str(a.steps), "--warmup", str(a.warmup), "--seed", str(a.seed), "--prng", a.prng]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        results += [json.loads(line[len(CHILD_MARK):]) for line in out.splitlines() if line.startswith(CHILD_MARK)]
    out = {
        "bench": "jax_step", "protocol": "exp-10.py, n=1000, alpha_paper=1, B=2048, gamma=-0.5556, float32",
        "jax": importlib.metadata.version("jax"), "jaxlib": importlib.metadata.version("jaxlib"),
        "python": platform.python_version(), "machine": platform.machine(), "prng": a.prng,
        "thread_control": "one subprocess per thread count with its CPU affinity set to the first T CPUs "
                          "before importing jax (XLA_FLAGS do not limit XLA:CPU threads in jax 0.12)",
        "results": results,
    }
    print_report(out, widths, threads)
    print("first/last loss: " + ", ".join(f"m={r['m']} T={r['threads']}: {r['first_loss']:.4f} -> "
                                          f"{r['last_loss']:.4f}" for r in results))


if __name__ == "__main__":
    main()
