#!/usr/bin/env bash
# Time and peak memory of the exact mean squared overlap of a 50 257 × 768 Gaussian matrix
# (the GPT-2 unembedding shape): superscale_measure (f64 and f32 Gram products, rayon over
# block rows) against numpy doing the same pairs blockwise (float64 and float32, OpenBLAS).
# Peak memory is /usr/bin/time -v's maximum resident set size; it includes the matrix
# itself (n·m·8 bytes = 309 MB in f64; numpy's float32 copy is half that).
#
#   bash bench/run_geometry.sh [n] [m]      # writes bench/geometry_results.txt
#
# Numpy runs in its own venv, bench/.venv-geometry (pinned numpy), created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-50257}"
m="${2:-768}"
venv=bench/.venv-geometry
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check numpy==2.4.6
fi
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet -p superscale_measure --example pair_statistics
example="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/pair_statistics"
out=bench/geometry_results.txt
{
    echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
} > "$out"
measure() {
    local log
    log=$(mktemp)
    /usr/bin/time -v "$@" 2> "$log" | tee -a "$out"
    echo "  peak_rss_mb=$(( $(grep 'Maximum resident' "$log" | awk '{print $NF}') / 1024 )) \
wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')" | tee -a "$out"
    rm -f "$log"
}
measure "$example" "$n" "$m" f64
measure "$example" "$n" "$m" f32
measure "$venv/bin/python" bench/geometry_mso.py "$n" "$m" float64
measure "$venv/bin/python" bench/geometry_mso.py "$n" "$m" float32
echo "results in $out"
