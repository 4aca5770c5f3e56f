#!/usr/bin/env bash
# The TMS notebook's protocol in PyTorch as the reference for C9 and C10
# (docs/science/superposition.md §4; docs/science/tms.md §3), then the C9 comparison with superscale's weights.
# Uses bench/.venv (created by bench/run_torch.sh with pinned torch + numpy from PyPI;
# never run in CI). Threads: TORCH_THREADS (default 2). Outputs go to runs/tms_reference/.
#   bash bench/tms_reference/run.sh            # C10 cells, then C9 (20 levels, 10 000 steps)
#   LEVELS=3,4,9,10,11 SEEDS="0 1" bash bench/tms_reference/run.sh   # what docs/tms.md ran
#   bash bench/tms_reference/run.sh compare --levels=3,4,9,10,11 runs/tms_reference/uniform_k3-4-9-10-11_s0.npz runs/c9/ours_full.safetensors
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="$root/bench/.venv/bin/python"
if [ ! -x "$python" ] || ! "$python" -c "import torch, numpy" 2>/dev/null; then
    bash "$root/bench/run_torch.sh" --help >/dev/null  # creates bench/.venv
fi
out="$root/runs/tms_reference"
mkdir -p "$out"
threads="${TORCH_THREADS:-2}"
if [ "${1:-}" = "compare" ]; then
    shift
    exec "$python" "$here/compare.py" "$@"
fi
# C10: n = 2, m = 1, r = 1, 1 - S = 0.05, 64 instances, with the notebook's stacked-tensor
# init and with superscale's per-model xavier std.
for init in stacked per-model; do
    "$python" "$here/tms_uniform_torch.py" --problem phase --replicates 64 --probability 0.05 \
        --importance-ratio 1 --init "$init" --threads "$threads" \
        --out "$out/phase_r1_p0.05_$init.npz"
done
"$python" "$here/phase_summary.py" "$out"/phase_r1_p0.05_*.npz
# C9: the notebook's 20 instances (one per level), checkpointed every 1000 steps. About an
# hour of CPU on this machine; LEVELS=3,4,9,10,11 trains those levels only (with the
# 20-instance tensor's init std), as docs/tms.md reports, for SEEDS (default 0).
for seed in ${SEEDS:-0}; do
    if [ -n "${LEVELS:-}" ]; then
        name="uniform_k${LEVELS//,/-}_s$seed"
        "$python" "$here/tms_uniform_torch.py" --problem uniform --seed "$seed" \
            --threads "$threads" --levels "$LEVELS" --checkpoint-every 1000 --out "$out/$name.npz"
    else
        name="uniform_stacked_s$seed"
        "$python" "$here/tms_uniform_torch.py" --problem uniform --seed "$seed" \
            --threads "$threads" --checkpoint-every 1000 --out "$out/$name.npz"
    fi
    "$python" "$here/compare.py" "$out/$name.npz"
done
