#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ for a stated time each, one after another, and prints
# per target the executions, the coverage reached and the crashes found.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]      # default 600 s each, every target
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Each target starts
# from its committed seeds (fuzz/corpus/TARGET, read only) and from what earlier runs found
# (fuzz/work/TARGET, where libFuzzer writes new inputs; not committed). An input that crashes,
# hangs (more than 10 s) or allocates past the limits (-malloc_limit_mb, -rss_limit_mb) stops
# that target and is written to fuzz/artifacts/TARGET/; reproduce it with
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/<file>`, fix it, and keep it as a
# regression test in the crate's own tests (docs/reliability.md, "Fuzzing"). The full log of
# each run is fuzz/logs/TARGET.log. Exit status: 1 if any target found something.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(spec_toy spec_any safetensors npy npz gguf fit_csv)
fi

# superscale_store's build script records the git commit and rebuilds when git's index
# changes; a fixed value keeps a commit during a long fuzzing session from rebuilding the
# instrumented crates before the next target.
export SUPERSCALE_GIT_COMMIT=fuzz
cargo +nightly fuzz build || { echo "error: cargo +nightly fuzz build failed" >&2; exit 2; }

# What libFuzzer writes on a failure (slow-unit-* files are inputs that took over 10 s:
# kept for a look, not failures).
findings() {
    ls -t "fuzz/artifacts/$1" | grep -E '^(crash|timeout|oom|leak)-'
}

mkdir -p fuzz/logs
found=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/work/$target" "fuzz/artifacts/$target"
    before=$(findings "$target" | wc -l)
    slow_before=$(ls "fuzz/artifacts/$target" | grep -c '^slow-unit-')
    log="fuzz/logs/$target.log"
    echo "== $target: ${seconds}s (log: $log)"
    cargo +nightly fuzz run "$target" "$root/fuzz/work/$target" "$root/fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$root/fuzz/artifacts/$target/" \
        >"$log" 2>&1
    status=$?
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
    corpus=$(ls "fuzz/work/$target" | wc -l)
    new=$(( $(findings "$target" | wc -l) - before ))
    slow=$(( $(ls "fuzz/artifacts/$target" | grep -c '^slow-unit-') - slow_before ))
    line="$target: ${executions:-?} executions (${speed:-?}/s), ${coverage:-cov: ?}, corpus $corpus, crashes/hangs/ooms $new, slow inputs (> 10 s, kept, not failures) $slow, exit $status"
    if [ "$new" -gt 0 ] || [ "$status" -ne 0 ]; then
        found=1
        line+=" -> $(grep -m1 -E 'ERROR: libFuzzer|panicked at|deadly signal|==ERROR' "$log" | head -c 200)"
        line+=" [$(findings "$target" | head -1)]"
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $found
