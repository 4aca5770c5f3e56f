"""Side-by-side tables for BENCHMARKS.md: superscale's step against the PyTorch and JAX peers.

Reads criterion's estimates under target/criterion/ (written by `cargo bench`; the superscale step runs its
row chunks on the rayon pool, i.e. on both cores unless RAYON_NUM_THREADS says otherwise), the JSON printed
by bench/torch_step.py (one or more forms: `authors`, the authors' dense-sampling protocol; `sparse`, the
same distribution drawn sparsely; their torch.compile twins), optionally the JSON printed by
bench/jax_step.py, and optionally the lines printed by the profile_step example over whole runs
(--whole-run FILE). Prints markdown tables of ms per step, the dense FLOP count 6·B·n·m, the achieved rate
as a fraction of the measured GEMM peak, and the speed-ups, each naming its peer.
Run through bench/run_all.sh, which produces all inputs on the same machine in one go:
    python3 bench/compare.py TORCH_JSON [JAX_JSON] [--whole-run PROFILE_STEP_OUTPUT]
"""
import argparse
import json
import math
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
N, BATCH = 1000, 2048
WIDTHS = (10, 25, 100)


def mean_ns(*parts: str) -> float:
    path = CRITERION.joinpath(*parts, "new", "estimates.json")
    return json.loads(path.read_text())["mean"]["point_estimate"]


def peer_ms(peer: dict | None, width: int, threads: int, form: str | None = None) -> float:
    """Median ms per step of a peer at a width and thread count (of one form, if given)."""
    if peer is None:
        return math.nan
    for row in peer["results"]:
        if row["m"] == width and row["threads"] == threads and (form is None or row.get("form", "authors") == form):
            return row["median_ms"]
    return math.nan


def fastest_torch(torch: dict, width: int, threads: int) -> tuple[float, str]:
    """The fastest torch form at a width and thread count: (median ms, form)."""
    rows = [r for r in torch["results"] if r["m"] == width and r["threads"] == threads]
    best = min(rows, key=lambda r: r["median_ms"])
    return best["median_ms"], best.get("form", "authors")


def whole_run_means(path: str) -> dict[int, tuple[float, float]]:
    """{m: (ms per step, % of steps on the sparse backward)} from profile_step's lines."""
    found = {}
    for line in pathlib.Path(path).read_text().splitlines():
        match = re.search(r"m = (\d+): .*\(([\d.]+) ms/step\).*sparse backward on (\d+) %", line)
        if match:
            found[int(match[1])] = (float(match[2]), float(match[3]))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("torch_json")
    ap.add_argument("jax_json", nargs="?")
    ap.add_argument("--whole-run", help="output of `profile_step M 20000` for M in 10, 25, 100")
    a = ap.parse_args()
    torch = json.loads(pathlib.Path(a.torch_json).read_text())
    jax = json.loads(pathlib.Path(a.jax_json).read_text()) if a.jax_json else None
    peak = {}
    for threads in ("1-thread", "2-threads"):
        ns = mean_ns("gemm_f32", threads, "1024x1024x1024")
        peak[threads] = 2 * 1024**3 / ns  # GFLOP/s
    print(f"GEMM peak (gemm crate, f32, 1024³): {peak['1-thread']:.1f} GFLOP/s on 1 thread, "
          f"{peak['2-threads']:.1f} GFLOP/s on 2 threads\n")
    forms = list(dict.fromkeys(r.get("form", "authors") for r in torch["results"]))

    print("Peers, median ms per step (1 thread / 2 threads):\n")
    print("| m | " + " | ".join(f"PyTorch `{f}`" for f in forms) + (" | JAX (`jax.jit`, dense sampling) |" if jax else " |"))
    print("|---|" + "---|" * (len(forms) + (1 if jax else 0)))
    for width in WIDTHS:
        cells = [f"{peer_ms(torch, width, 1, f):.1f} / {peer_ms(torch, width, 2, f):.1f}" for f in forms]
        if jax:
            cells.append(f"{peer_ms(jax, width, 1):.1f} / {peer_ms(jax, width, 2):.1f}")
        print(f"| {width} | " + " | ".join(cells) + " |")
    print()

    print("| m | dense FLOP/step (6·B·n·m) | superscale init, ms | superscale trained, ms | "
          "trained rate, GFLOP/s (% of 2-thread peak) | PyTorch authors' protocol, 2 threads, ms | "
          "fastest PyTorch form, 2 threads, ms | JAX 2 threads, ms | speed-up (trained) vs authors' PyTorch / "
          "fastest PyTorch / JAX |")
    print("|---|---|---|---|---|---|---|---|---|")
    for width in WIDTHS:
        flop = 6 * BATCH * N * width
        init_ms = mean_ns("train_step", "init", str(width)) / 1e6
        trained_ms = mean_ns("train_step", "trained", str(width)) / 1e6
        rate = flop / (trained_ms * 1e6)
        authors = peer_ms(torch, width, 2, "authors")
        best, best_form = fastest_torch(torch, width, 2)
        j2 = peer_ms(jax, width, 2)
        print(f"| {width} | {flop:.3g} | {init_ms:.2f} | {trained_ms:.2f} | {rate:.1f} "
              f"({100 * rate / peak['2-threads']:.0f} %) | {authors:.1f} | {best:.1f} (`{best_form}`) | {j2:.1f} | "
              f"{authors / trained_ms:.1f}× / {best / trained_ms:.1f}× / {j2 / trained_ms:.1f}× |")

    if a.whole_run:
        means = whole_run_means(a.whole_run)
        print("\nMean step over a whole run (profile_step M 20000, 2 threads) against the peers' 2-thread steps:\n")
        print("| m | superscale, ms/step | steps on the sparse backward | PyTorch authors' protocol | "
              "fastest PyTorch form | JAX | speed-up vs authors' PyTorch / fastest PyTorch / JAX |")
        print("|---|---|---|---|---|---|---|")
        for width in WIDTHS:
            if width not in means:
                continue
            ms, sparse = means[width]
            authors = peer_ms(torch, width, 2, "authors")
            best, best_form = fastest_torch(torch, width, 2)
            j2 = peer_ms(jax, width, 2)
            print(f"| {width} | {ms:.2f} | {sparse:.0f} % | {authors:.1f} | {best:.1f} (`{best_form}`) | {j2:.1f} | "
                  f"{authors / ms:.0f}× / {best / ms:.0f}× / {j2 / ms:.0f}× |")


if __name__ == "__main__":
    main()
