#!/usr/bin/env bash
# Reproduces the roofline table of BENCHMARKS.md (issue 6, part 1) in one invocation: the GEMM
# peak, one training step at every roofline shape (criterion), the measured densities and
# per-kernel counts of those steps, then the table. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo bench -p superscale_kernels --bench gemm_peak -- --warm-up-time 2 --measurement-time 5 "1024x1024x1024"
cargo bench -p superscale_models --bench train_step -- --warm-up-time 2 --measurement-time 6
anatomy="$(mktemp)"
cargo run --release --quiet -p superscale_models --example step_anatomy > "$anatomy"
python3 bench/roofline.py "$anatomy"
