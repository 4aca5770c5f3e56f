#!/usr/bin/env bash
# Reproduces the per-step table of BENCHMARKS.md on this machine, in one invocation:
# the GEMM peak and the training step with criterion, then the authors' step in PyTorch
# (installed by bench/run_torch.sh into bench/.venv, never by CI) and the same step under jax.jit
# (installed by bench/run_jax.sh into bench/.venv-jax, never by CI), then the ratios.
# Run it on an otherwise idle machine: all peers are timed on the same cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench -p superscale_kernels --bench gemm_peak -- --warm-up-time 2 --measurement-time 5 "1024x1024x1024"
cargo bench -p superscale_train --bench train_step -- --warm-up-time 2 --measurement-time 6
torch_json="$(mktemp)"
bash bench/run_torch.sh --widths 10,25,100 --threads 1,2 --steps 50 --warmup 10 | sed -n '/^{/,/^}/p' > "$torch_json"
jax_json="$(mktemp)"
bash bench/run_jax.sh --widths 10,25,100 --threads 1,2 --steps 50 --warmup 10 | sed -n '/^{/,/^}/p' > "$jax_json"
python3 bench/compare.py "$torch_json" "$jax_json"
