#!/usr/bin/env bash
# Times the authors' training step (exp/exp-10.py protocol) in PyTorch on CPU, in the forms of
# bench/torch_step.py (--forms: authors' dense sampling, sparse sampling, and their torch.compile twins).
# Creates bench/.venv on first use (gitignored) with pinned torch + numpy from PyPI,
# then runs bench/torch_step.py; extra arguments are passed through, e.g.
#   bash bench/run_torch.sh --widths 10,25,100 --threads 1,2 --steps 50 --forms authors,sparse
#   bash bench/run_torch.sh check     # the sparse sampler draws the authors' distribution
#   bash bench/run_torch.sh quanta --widths 50,300 --threads 1,2   # the quantization model's
#       step (bench/torch_quanta_step.py; BENCHMARKS.md "The quantization model's step")
# The PyPI torch wheel for Linux x86_64 pulls CUDA libraries (several GB); only the CPU is used.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
TORCH_VERSION="2.15.0"
NUMPY_VERSION="2.4.6"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "torch==$TORCH_VERSION" "numpy==$NUMPY_VERSION"
fi
if [ "${1:-}" = "check" ]; then
    shift
    exec "$venv/bin/python" "$here/torch_step_check.py" "$@"
fi
if [ "${1:-}" = "quanta" ]; then
    shift
    exec "$venv/bin/python" "$here/torch_quanta_step.py" "$@"
fi
exec "$venv/bin/python" "$here/torch_step.py" "$@"
