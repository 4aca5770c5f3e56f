#!/usr/bin/env bash
# Times PyTorch grids of 1024 toy models (bench/torch_grid.py: the notebook's batch-major
# einsum, instance-major bmm, torch.func.vmap, their transposed-batch twins, each eager or
# under torch.compile) against superscale's grid (crates/superscale_models/examples/
# grid_benchmark.rs, both samplers) on the same machine, with peak memory, then prints the
# medians over the repetitions (bench/grid_table.py) and each speed-up with its peer.
# Creates bench/.venv-grid on first use (gitignored) with pinned torch + numpy from PyPI;
# never run by CI.
#   bash bench/run_grid.sh [torch steps, default 200]
#   bash bench/run_grid.sh check [--steps 20] [--compile]   # the layouts compute the same run
# Environment: REPEATS (default 1) repetitions of the whole set, each form and sampler back to
# back; GRIDS (default "grid dense"); FORMS (default every layout, eager and compiled, as
# LAYOUT or LAYOUT+compile); SAMPLERS (default "entries gaps"); STEPS (superscale, default 10000).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-grid"
TORCH_VERSION="2.15.0"
NUMPY_VERSION="2.4.6"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "torch==$TORCH_VERSION" "numpy==$NUMPY_VERSION"
fi
if [ "${1:-}" = "check" ]; then
    shift
    exec "$venv/bin/python" "$here/torch_grid_check.py" "$@"
fi
steps="${1:-200}"
forms="${FORMS:-einsum bmm bmm-transposed vmap vmap-transposed einsum+compile bmm+compile bmm-transposed+compile vmap+compile vmap-transposed+compile}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
cargo build --release --quiet -p superscale_models --example grid_benchmark
log="$(mktemp)"
trap 'rm -f "$log" "$log.time"' EXIT
peak() {  # appends the max RSS of the last /usr/bin/time -v run to the log
    awk -F': ' '/Maximum resident/ {printf "max_rss_kib %s\n", $2}' "$log.time" | tee -a "$log"
}
for ((rep = 1; rep <= ${REPEATS:-1}; rep++)); do
    for grid in ${GRIDS:-grid dense}; do
        for form in $forms; do
            layout="${form%+compile}"
            compile=()
            [ "$layout" != "$form" ] && compile=(--compile)
            /usr/bin/time -v -o "$log.time" "$venv/bin/python" "$here/torch_grid.py" --grid "$grid" \
                --layout "$layout" "${compile[@]}" --steps "$steps" --threads 2 2>/dev/null | tee -a "$log"
            peak
        done
        # Both samplers: gaps (as FeatureSampler) and entries (EntrySampler, eight models per
        # AVX2 register); same data distribution, different draws.
        for sampler in ${SAMPLERS:-entries gaps}; do
            /usr/bin/time -v -o "$log.time" "$CARGO_TARGET_DIR/release/examples/grid_benchmark" \
                "${STEPS:-10000}" "$grid" 2 "$sampler" | tee -a "$log"
            peak
        done
    done
done
"$venv/bin/python" "$here/grid_table.py" "$log"
