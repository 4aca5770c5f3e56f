#!/usr/bin/env bash
# Compares the memory estimate that refuses too-large quanta and platonic runs
# (docs/reliability.md, "Specs") with the peak resident memory of the same spec run for real.
#
#   bash scripts/memory_estimates.sh
#
# Each spec is one of the shipped experiments with its test (and probe) sets raised until
# they dominate, and few steps. The estimate is read from the refusal under
# SUPERSCALE_MEMORY_LIMIT=1; the peak from GNU time (`/usr/bin/time -v`, Linux).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p superscale_cli
binary="${CARGO_TARGET_DIR:-$PWD/target}/release/superscale"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat > "$work/quanta.toml" <<'SPEC'
name = "memory-quanta"
kind = "quanta"
seed = 0
replicates = 1
[task]
n_tasks = 500
n_bits = 100
k = 3
alpha = 1.4
[train]
width = 16
steps = 5
batch_size = 1000
eval_points = 2
test_points = 2000000
test_points_per_task = 2000
SPEC
sed -e 's/^name = .*/name = "memory-platonic"/' -e 's/^replicates = 4/replicates = 2/' \
    -e 's/^steps = 1500/steps = 5/' -e 's/^values = .*/values = [8]/' \
    -e 's/^probe = 1024/probe = 4000/' -e 's/^test = 4096/test = 1000000/' \
    experiments/platonic_capacity.toml > "$work/platonic.toml"

for spec in quanta platonic; do
    # the refusal is the point here: its exit code 2 is expected
    refusal=$(SUPERSCALE_MEMORY_LIMIT=1 "$binary" run "$work/$spec.toml" --store "$work/never" 2>&1 || true)
    estimate=$(sed -n 's/.*a run needs about \([0-9.]* [KMG]iB\).*/\1/p' <<< "$refusal")
    peak=$(/usr/bin/time -v "$binary" run "$work/$spec.toml" --store "$work/$spec" --threads 1 --quiet 2>&1 \
        | sed -n 's/.*Maximum resident set size (kbytes): //p')
    echo "$spec: estimate $estimate, peak RSS $((peak / 1024)) MiB"
done
