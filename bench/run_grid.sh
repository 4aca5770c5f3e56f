#!/usr/bin/env bash
# Times the vectorised PyTorch grid (bench/torch_grid.py) against superscale's grid
# (crates/superscale_grid/examples/grid_benchmark.rs) on the same machine, with peak memory.
# Creates bench/.venv-grid on first use (gitignored) with pinned torch + numpy from PyPI;
# never run by CI. Usage: bash bench/run_grid.sh [torch steps, default 200]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-grid"
TORCH_VERSION="2.15.0"
NUMPY_VERSION="2.4.6"
steps="${1:-200}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "torch==$TORCH_VERSION" "numpy==$NUMPY_VERSION"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../target}"
cargo build --release -p superscale_grid --example grid_benchmark
for grid in grid dense; do
    /usr/bin/time -v "$venv/bin/python" "$here/torch_grid.py" --grid "$grid" --steps "$steps" --threads 2 2> >(grep -E "Maximum resident" >&2)
    # Both samplers: gaps (as FeatureSampler, the default) and entries (EntrySampler, eight
    # models per AVX2 register); same data distribution, different draws.
    for sampler in gaps entries; do
        /usr/bin/time -v "$CARGO_TARGET_DIR/release/examples/grid_benchmark" 10000 "$grid" 2 "$sampler" 2> >(grep -E "Maximum resident" >&2)
    done
done
