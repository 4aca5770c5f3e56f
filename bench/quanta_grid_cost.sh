#!/usr/bin/env bash
# Projected CPU cost of the full C4 grid (experiments/quanta_c4_full.toml), from the
# measured step: CPU-seconds per training step at each of the grid's 20 widths (one thread,
# the `quanta_step` example at the grid's shape: 500 tasks, n = 100, batch 20 000), summed
# over the widths, times 1e5 steps and 9 runs per width (3 alphas × 3 seeds). Evaluation on
# the test points is left out (≈ 3 % of a run, BENCHMARKS.md).
#
#   bash bench/quanta_grid_cost.sh [STEPS]      (default 20 steps per width; ≈ 2 min)
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-20}"
cargo build --release -q -p superscale_kinds --example quanta_step
binary="${CARGO_TARGET_DIR:-target}/release/examples/quanta_step"
widths=(9 11 14 17 20 24 29 35 41 50 59 71 85 102 122 146 175 209 250 300)
total=0
for width in "${widths[@]}"; do
    line=$(RAYON_NUM_THREADS=1 "$binary" "$width" "$steps")
    seconds=$(grep -o '[0-9.]* CPU s/step' <<<"$line" | cut -d' ' -f1)
    echo "width $width: $seconds CPU s/step"
    total=$(python3 -c "print($total + $seconds)")
done
python3 - "$total" <<'PY'
import sys
total = float(sys.argv[1])
runs_per_width, steps = 9, 100_000
print(f"sum over the 20 widths: {total:.4f} CPU s per step of every width")
print(f"full grid: {total * steps * runs_per_width / 3600:.1f} CPU-hours "
      f"({total * steps / 3600:.2f} per (alpha, seed))")
PY
