"""Roofline table for BENCHMARKS.md (issue 6, part 1): each training-step shape's time against the
machine's measured f32 GEMM peak, by the dense FLOP count 6·B·n·m and by the FLOP actually executed.

Inputs, produced on the same machine by bench/run_roofline.sh:
  * criterion estimates under target/criterion/ for `gemm_f32/{1-thread,2-threads}/1024x1024x1024`
    (crates/superscale_kernels/benches/gemm_peak.rs) and `train_step/<label>/<m>`
    (crates/superscale_models/benches/train_step.rs; the step runs on both cores);
  * the JSON lines of `cargo run --release -p superscale_models --example step_anatomy` (measured
    densities and the per-kernel FLOP and byte counts derived from them; formulas in that file).
Usage: python3 bench/roofline.py ANATOMY.jsonl
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"


def mean_ns(*parts: str) -> float:
    path = CRITERION.joinpath(*parts, "new", "estimates.json")
    return json.loads(path.read_text())["mean"]["point_estimate"]


def main(anatomy_path: str) -> None:
    peak = {t: 2 * 1024**3 / mean_ns("gemm_f32", t, "1024x1024x1024") for t in ("1-thread", "2-threads")}
    print(f"GEMM peak (gemm crate, f32, 1024³): {peak['1-thread']:.1f} GFLOP/s on 1 thread, "
          f"{peak['2-threads']:.1f} GFLOP/s on 2 threads\n")
    print("| shape | n | m | B | step, ms | dense FLOP (6·B·n·m) | dense rate, GFLOP/s (% of 2-thread peak) "
          "| executed FLOP | executed rate (% of peak) | min bytes | FLOP/byte | x non-zeros | active features "
          "| G density |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for line in pathlib.Path(anatomy_path).read_text().splitlines():
        if not line.startswith("{"):
            continue
        case = json.loads(line)
        ms = mean_ns("train_step", case["label"], str(case["m"])) / 1e6
        dense_rate = case["dense_flop"] / (ms * 1e6)
        executed_rate = case["executed_flop"] / (ms * 1e6)
        print(f"| {case['label']} | {case['n']} | {case['m']} | {case['batch']} | {ms:.3f} | "
              f"{case['dense_flop']:.3g} | {dense_rate:.1f} ({100 * dense_rate / peak['2-threads']:.0f} %) | "
              f"{case['executed_flop']:.3g} | {executed_rate:.1f} ({100 * executed_rate / peak['2-threads']:.0f} %) | "
              f"{case['min_bytes']:.3g} | {case['executed_flop'] / case['min_bytes']:.0f} | "
              f"{case['x_entries']:.0f} | {case['active_features']:.0f} | {case['g_density']:.3f} |")


if __name__ == "__main__":
    main(sys.argv[1])
