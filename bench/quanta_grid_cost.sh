#!/usr/bin/env bash
# Projected CPU cost of the full C4 grid (experiments/quanta_c4_full.toml), from the
# measured step: CPU-seconds per training step at each of the grid's 20 widths (one thread,
# the `quanta_step` example at the grid's shape: 500 tasks, n = 100, batch 20 000), summed
# over the widths, times 1e5 steps and 9 runs per width (3 alphas × 3 seeds). Evaluation on
# the test points is left out (≈ 3 % of a run, BENCHMARKS.md).
#
#   bash bench/quanta_grid_cost.sh [STEPS] [REPEATS]
#
# Each width runs REPEATS times (default 3; STEPS default 20, ≈ 2 min in all at 20 × 3): the
# grid is projected from each width's fastest run and from its median run. This VM's speed
# drifts by 10–20 % within minutes, so the fastest run is the step's cost on a quiet machine
# and the median what a long run meets. With BASELINE_BINARY set to another build of the
# example, each run of this build is followed by one of that one at the same width, and the
# ratio of the two projections is printed: run in turn, both see the same drift. For example,
# against the fifth round's step:
#
#   git worktree add ../superscale-base e1cca7f
#   (cd ../superscale-base && cargo build --release -p superscale_kinds --example quanta_step)
#   BASELINE_BINARY=../superscale-base/target/release/examples/quanta_step \
#       bash bench/quanta_grid_cost.sh 100
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-20}"
repeats="${2:-3}"
cargo build --release -q -p superscale_kinds --example quanta_step
binary="${CARGO_TARGET_DIR:-target}/release/examples/quanta_step"
baseline="${BASELINE_BINARY:-}"
widths=(9 11 14 17 20 24 29 35 41 50 59 71 85 102 122 146 175 209 250 300)
step_seconds() {
    RAYON_NUM_THREADS=1 "$1" "$2" "$steps" | grep -o '[0-9.]* CPU s/step' | cut -d' ' -f1
}
measurements=$(mktemp)
trap 'rm -f "$measurements"' EXIT
for width in "${widths[@]}"; do
    for _ in $(seq "$repeats"); do
        echo "this $width $(step_seconds "$binary" "$width")" >>"$measurements"
        if [ -n "$baseline" ]; then
            echo "baseline $width $(step_seconds "$baseline" "$width")" >>"$measurements"
        fi
    done
done
python3 - "$measurements" "$repeats" <<'PY'
import statistics
import sys
from collections import defaultdict

runs = defaultdict(lambda: defaultdict(list))
for line in open(sys.argv[1]):
    build, width, seconds = line.split()
    runs[build][int(width)].append(float(seconds))
runs_per_width, steps = 9, 100_000
projected = {}
for build in ("this", "baseline"):
    if build not in runs:
        continue
    print(f"{build} build, CPU s per step (fastest, median of {sys.argv[2]}):")
    for width, seconds in runs[build].items():
        print(f"  width {width}: {min(seconds):.4f}, {statistics.median(seconds):.4f}")
    fastest = sum(min(s) for s in runs[build].values())
    median = sum(statistics.median(s) for s in runs[build].values())
    projected[build] = (fastest, median)
    print(f"  sum over the 20 widths: {fastest:.4f} (fastest), {median:.4f} (median) CPU s per "
          "step of every width")
    print(f"  full grid: {fastest * steps * runs_per_width / 3600:.1f} CPU-hours from the "
          f"fastest runs, {median * steps * runs_per_width / 3600:.1f} from the median runs")
if "baseline" in projected:
    (fastest, median), (base_fastest, base_median) = projected["this"], projected["baseline"]
    print(f"this build / baseline: {fastest / base_fastest:.3f} (fastest), "
          f"{median / base_median:.3f} (median)")
PY
