#!/usr/bin/env bash
# The 4500-start Chinchilla fit on the 240 Epoch AI points (Besiroglu et al. 2024): the scipy
# reference (bench/chinchilla_scipy.py, L-BFGS-B with the analytic gradient, one process) and
# `superscale fit --form chinchilla` on the same 240 points, each under /usr/bin/time -v (wall
# time and peak memory). Creates bench/.venv-fit on first use (gitignored) with pinned scipy +
# numpy from PyPI; never run by CI.
#   bash bench/run_chinchilla.sh [REPEATS, default 1]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/.."
venv="$here/.venv-fit"
SCIPY_VERSION="1.17.1"
NUMPY_VERSION="2.4.6"
repeats="${1:-1}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import scipy, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "scipy==$SCIPY_VERSION" "numpy==$NUMPY_VERSION"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet -p superscale_cli --manifest-path "$root/Cargo.toml"
cli="$CARGO_TARGET_DIR/release/superscale"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
timed() {  # label, command...: the command's output, then its wall time and peak memory
    local label="$1"; shift
    /usr/bin/time -v "$@" 2> "$data/time.log"
    awk -v label="$label" -F': ' '/Elapsed \(wall clock\)/ {wall=$2} /Maximum resident/ {rss=$2}
        END {printf "%s: wall %s, max RSS %d MiB\n", label, wall, rss / 1024}' "$data/time.log"
}
# One process, one thread for BLAS (the 240-point vectors gain nothing from more).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for ((rep = 1; rep <= repeats; rep++)); do
    timed "scipy L-BFGS-B, 4500 starts" "$venv/bin/python" "$here/chinchilla_scipy.py" --points-out "$data/points.csv"
    for threads in 2 1; do
        RAYON_NUM_THREADS="$threads" timed "superscale fit --form chinchilla, $threads thread(s)" \
            "$cli" fit "$data/points.csv" --x "Model Size" --compute "Training FLOP" --y loss \
            --form chinchilla --bootstrap 0
    done
done
