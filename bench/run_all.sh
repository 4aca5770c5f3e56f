#!/usr/bin/env bash
# Reproduces the per-step and whole-run tables of BENCHMARKS.md on this machine, in one
# invocation: the GEMM peak and the training step with criterion; the PyTorch step in four
# forms (the authors' dense-sampling protocol, the same distribution sampled sparsely, and both
# under torch.compile; installed by bench/run_torch.sh into bench/.venv, never by CI); the
# authors' step under jax.jit (installed by bench/run_jax.sh into bench/.venv-jax, never by CI);
# the mean superscale step over a whole 20 000-step run at each width (the profile_step example);
# then the tables and ratios (bench/compare.py), each ratio naming its peer.
# Run it on an otherwise idle machine: all peers are timed on the same cores.
# PEER_STEPS (default 50) timed steps per peer and width after 10 warm-up steps.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench -p superscale_kernels --bench gemm_peak -- --warm-up-time 2 --measurement-time 5 "1024x1024x1024"
cargo bench -p superscale_models --bench train_step -- --warm-up-time 2 --measurement-time 6
steps="${PEER_STEPS:-50}"
torch_json="$(mktemp)"
bash bench/run_torch.sh --widths 10,25,100 --threads 1,2 --steps "$steps" --warmup 10 \
    --forms authors,sparse,authors-compiled,sparse-compiled | sed -n '/^{/,/^}/p' > "$torch_json"
jax_json="$(mktemp)"
bash bench/run_jax.sh --widths 10,25,100 --threads 1,2 --steps "$steps" --warmup 10 | sed -n '/^{/,/^}/p' > "$jax_json"
cargo build --release --quiet -p superscale_models --example profile_step
whole_run="$(mktemp)"
for width in 10 25 100; do
    RAYON_NUM_THREADS=2 target/release/examples/profile_step "$width" 20000 | tee -a "$whole_run"
done
python3 bench/compare.py "$torch_json" "$jax_json" --whole-run "$whole_run"
