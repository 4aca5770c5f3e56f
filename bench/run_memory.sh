#!/usr/bin/env bash
# Peak memory (max resident set size, from /usr/bin/time -v) of the training step and of
# whole experiments, for BENCHMARKS.md (issue 6: "peak memory reported for each; no run's
# memory may grow with the number of steps"). The step is run for 1000 and for 10 000 steps
# at each width: equal peaks show that nothing accumulates per step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet -p superscale_models --example profile_step
cargo build --release --quiet -p superscale_cli
peak_kib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }
echo "| what | steps | max RSS, MiB |"
echo "|---|---|---|"
for width in 10 100 400; do
    for steps in 1000 10000; do
        kib=$(peak_kib target/release/examples/profile_step "$width" "$steps")
        echo "| one model, n = 1000, m = $width, B = 2048 | $steps | $((kib / 1024)) |"
    done
done
out="$(mktemp -d)"
kib=$(peak_kib target/release/superscale run experiments/flagship.toml --out "$out/flagship")
echo "| flagship study (12 models, 2 workers) | 3000 each | $((kib / 1024)) |"
rm -rf "$out"
