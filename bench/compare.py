"""Side-by-side table for BENCHMARKS.md: superscale's criterion results against the PyTorch and JAX peers.

Reads criterion's estimates under target/criterion/ (written by `cargo bench`; the superscale step runs its
row chunks on the rayon pool, i.e. on both cores unless RAYON_NUM_THREADS says otherwise) and the JSON
printed by bench/torch_step.py (and, if given as a second argument, the one printed by bench/jax_step.py),
and prints a markdown table of ms per step, the dense FLOP count 6·B·n·m, the achieved rate as a fraction
of the measured GEMM peak, and the speed-ups.
Run through bench/run_all.sh, which produces all inputs on the same machine in one go:
    python3 bench/compare.py TORCH_JSON [JAX_JSON]
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
N, BATCH = 1000, 2048


def mean_ns(*parts: str) -> float:
    path = CRITERION.joinpath(*parts, "new", "estimates.json")
    return json.loads(path.read_text())["mean"]["point_estimate"]


def peer_ms(peer: dict, width: int) -> tuple[float, float]:
    """Median ms per step of a peer (torch_step.py or jax_step.py JSON) at 1 and 2 threads."""
    ms = {row["threads"]: row["median_ms"] for row in peer["results"] if row["m"] == width}
    return ms.get(1, float("nan")), ms.get(2, float("nan"))


def main(torch_json_path: str, jax_json_path: str | None = None) -> None:
    torch = json.loads(pathlib.Path(torch_json_path).read_text())
    jax = json.loads(pathlib.Path(jax_json_path).read_text()) if jax_json_path else None
    peak = {}
    for threads in ("1-thread", "2-threads"):
        ns = mean_ns("gemm_f32", threads, "1024x1024x1024")
        peak[threads] = 2 * 1024**3 / ns  # GFLOP/s
    print(f"GEMM peak (gemm crate, f32, 1024³): {peak['1-thread']:.1f} GFLOP/s on 1 thread, "
          f"{peak['2-threads']:.1f} GFLOP/s on 2 threads\n")
    jax_head = " JAX 1 thread, ms | JAX 2 threads, ms | speed-up vs JAX 2 threads (trained) |" if jax else ""
    print("| m | dense FLOP/step (6·B·n·m) | superscale init, ms | superscale trained, ms | "
          "trained rate, GFLOP/s (% of 2-thread peak) | PyTorch 1 thread, ms | PyTorch 2 threads, ms | "
          "speed-up vs PyTorch 2 threads (trained) |" + jax_head)
    print("|---|---|---|---|---|---|---|---|" + ("---|---|---|" if jax else ""))
    for width in (10, 25, 100):
        flop = 6 * BATCH * N * width
        init_ms = mean_ns("train_step", "init", str(width)) / 1e6
        trained_ms = mean_ns("train_step", "trained", str(width)) / 1e6
        rate = flop / (trained_ms * 1e6)
        t1, t2 = peer_ms(torch, width)
        jax_cols = ""
        if jax:
            j1, j2 = peer_ms(jax, width)
            jax_cols = f" {j1:.1f} | {j2:.1f} | {j2 / trained_ms:.1f}× |"
        print(f"| {width} | {flop:.3g} | {init_ms:.2f} | {trained_ms:.2f} | {rate:.1f} "
              f"({100 * rate / peak['2-threads']:.0f} %) | {t1:.1f} | {t2:.1f} | {t2 / trained_ms:.1f}× |" + jax_cols)


if __name__ == "__main__":
    main(*sys.argv[1:3])
