"""The Python reference for superscale's Chinchilla fit: Approach 3 as Besiroglu et al. (2024,
"Chinchilla Scaling: A replication attempt", Epoch AI) fit it, with scipy.

L(N, D) = E + A/N^α + B/D^β, fitted in log space with a = ln A, b = ln B, e = ln E:
    pred_i = logsumexp(a − α ln N_i, b − β ln D_i, e)
    objective = Σ_i Huber_δ(pred_i − ln L_i),  δ = 1e-3  (a sum, not a mean)
minimised by scipy.optimize.minimize(method="L-BFGS-B", jac=True, default options) from each of
Hoffmann et al.'s 4500 initialisations (α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1},
a, b ∈ {0, 5, …, 25}), with the analytic gradient; the best objective over all starts is kept.
Data: crates/superscale_fit/tests/data/chinchilla_fig4_points.csv (Chinchilla Fig. 4 as Epoch
extracted it), D = C/(6N), without the 5 highest losses (240 points, as Epoch's notebook).

    bash bench/run_chinchilla.sh                      # this script, then `superscale fit`, both timed
    python bench/chinchilla_scipy.py [--points-out FILE]   # FILE: the 240 points as CSV

Prints the optimum (A, B, E, α, β, the objective, a = β/(α+β)), how many starts converged and
how many reached the best objective within 1e-8, and the wall and CPU time of the 4500 fits
(single process; the data loading is not timed).
"""
import argparse
import csv
import itertools
import json
import pathlib
import platform
import time

import numpy as np
import scipy
from scipy.optimize import minimize
from scipy.special import logsumexp

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "crates" / "superscale_fit" / "tests" / "data" / "chinchilla_fig4_points.csv"
DELTA = 1e-3


def load(path: pathlib.Path, drop_highest: int = 5):
    """(N, D, L) in file order without the drop_highest highest losses; D = C/(6N)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    n = np.array([float(r["Model Size"]) for r in rows])
    compute = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    keep = np.sort(np.argsort(loss, kind="stable")[: len(loss) - drop_highest])
    return n[keep], compute[keep] / (6 * n[keep]), loss[keep], compute[keep]


def objective_and_gradient(theta, log_n, log_d, log_loss):
    """Huber sum in log space and its gradient with respect to (a, b, e, α, β)."""
    a, b, e, alpha, beta = theta
    terms = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
    prediction = logsumexp(terms, axis=0)
    weights = np.exp(terms - prediction)  # softmax over the three terms: d prediction / d term
    r = prediction - log_loss
    small = np.abs(r) <= DELTA
    value = np.where(small, 0.5 * r * r, DELTA * (np.abs(r) - 0.5 * DELTA)).sum()
    slope = np.clip(r, -DELTA, DELTA)  # d Huber / d r
    gradient = np.array([
        (slope * weights[0]).sum(),
        (slope * weights[1]).sum(),
        (slope * weights[2]).sum(),
        -(slope * weights[0] * log_n).sum(),
        -(slope * weights[1] * log_d).sum(),
    ])
    return value, gradient


def starts():
    """Hoffmann et al.'s grid of initialisations, as (a, b, e, α, β)."""
    for alpha, beta, e, a, b in itertools.product(np.arange(0, 2.5, 0.5), np.arange(0, 2.5, 0.5),
                                                  np.arange(-1, 1.5, 0.5), np.arange(0, 30, 5),
                                                  np.arange(0, 30, 5)):
        yield np.array([a, b, e, alpha, beta], dtype=float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=pathlib.Path, default=DATA)
    ap.add_argument("--points-out", type=pathlib.Path, help="write the 240 points (N, C, loss) here as CSV")
    a = ap.parse_args()
    n, d, loss, compute = load(a.data)
    if a.points_out:
        with open(a.points_out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["Model Size", "Training FLOP", "loss"])
            w.writerows(zip(map(repr, n.tolist()), map(repr, compute.tolist()), map(repr, loss.tolist())))
    log_n, log_d, log_loss = np.log(n), np.log(d), np.log(loss)
    started, cpu_started = time.perf_counter(), time.process_time()
    results = [minimize(objective_and_gradient, x0, args=(log_n, log_d, log_loss), jac=True, method="L-BFGS-B")
               for x0 in starts()]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    best = min(results, key=lambda r: r.fun)
    a_, b_, e_, alpha, beta = best.x
    print(json.dumps({
        "points": int(len(loss)), "starts": len(results),
        "converged": sum(bool(r.success) for r in results),
        "within_1e-8_of_best": int(sum(r.fun - best.fun < 1e-8 for r in results)),
        "objective": float(best.fun), "A": float(np.exp(a_)), "B": float(np.exp(b_)), "E": float(np.exp(e_)),
        "alpha": float(alpha), "beta": float(beta), "a = beta/(alpha+beta)": float(beta / (alpha + beta)),
        "log_space_x": best.x.tolist(), "best_converged": bool(best.success),
        "fit_seconds": round(seconds, 2), "fit_cpu_seconds": round(cpu_seconds, 2), "scipy": scipy.__version__, "numpy": np.__version__,
        "python": platform.python_version(),
    }, indent=2))


if __name__ == "__main__":
    main()
