#!/usr/bin/env bash
# Runs the ignored tests that back numbers quoted in README.md, BENCHMARKS.md and docs/:
# the checks too long for the default `cargo test --workspace --release` (CI budget: 30 min on
# 2 cores). One at a time (each uses every core), each with its output in
# runs/reproductions/<name>.log, then a table of which passed and how long each took.
#
#   bash scripts/run_reproductions.sh            # all but the days-long one (≈ 1.5 h on 2 cores)
#   bash scripts/run_reproductions.sh c4 c5      # only those whose name starts with these
#   bash scripts/run_reproductions.sh --list     # what would run, with its estimated cost
#
# Exit status: 0 if every selected check passed, 1 otherwise (the failures are listed).
set -uo pipefail
cd "$(dirname "$0")/.."

# name | cargo test arguments | cost on 2 idle cores | where its numbers are quoted
checks=(
    "c1|-p superscale_kinds --test paper_reproduction c1_gamma_controls_superposition|6 min|BENCHMARKS.md C1"
    "c3|-p superscale_kinds --test paper_reproduction c3_flat_frequencies_keep_the_one_over_m_scaling|14 min|BENCHMARKS.md C3"
    "c4|-p superscale_kinds --test paper_reproduction c4_skewed_frequencies_break_the_robust_scaling|7 min|BENCHMARKS.md C4"
    "c5|-p superscale_kinds --test paper_reproduction c5_weak_superposition_power_law_in_power_law_out|7.5 min|BENCHMARKS.md C5"
    "c9_one_seed|-p superscale_kinds --test tms_uniform c9_uniform_superposition_full_protocol|15 min|docs/tms.md C9, one run"
    "c9_three_seeds_alone|-p superscale_kinds --test tms_uniform c9_uniform_superposition_three_seeds_pooled|30 min|docs/tms.md C9, three seeds pooled"
    "quanta_c3_full|-p superscale_kinds --test quanta_emergence c3_full_configuration|days|docs/quanta.md (not run)"
    "gaussian_50000|-p superscale_measure --test matrix_gaussian gaussian_50000_by_768|5 min|docs/geometry.md, Gaussian 50 000 × 768"
    "bnsl_harder|-p superscale_fit --test bnsl_interval harder_design_undercovers_but_stays_useful|20 s|docs/quanta.md, BNSL intervals"
)

if [ "${1:-}" = "--list" ]; then
    for check in "${checks[@]}"; do
        IFS='|' read -r name args cost quoted <<<"$check"
        printf '%-22s %-8s %s\n    cargo test --release %s -- --ignored --exact\n' \
            "$name" "$cost" "$quoted" "$args"
    done
    exit 0
fi

mkdir -p runs/reproductions
selected=()
for check in "${checks[@]}"; do
    name="${check%%|*}"
    if [ $# -eq 0 ]; then
        # The full quanta C3 configuration takes days here: only when named.
        [[ "$check" == *"|days|"* ]] || selected+=("$check")
    else
        for prefix in "$@"; do
            if [[ "$name" == "$prefix"* ]]; then
                selected+=("$check")
                break
            fi
        done
    fi
done
if [ ${#selected[@]} -eq 0 ]; then
    echo "no check matches: $*  (bash $0 --list)" >&2
    exit 2
fi

failed=()
summary=()
for check in "${selected[@]}"; do
    IFS='|' read -r name args cost quoted <<<"$check"
    log="runs/reproductions/$name.log"
    echo "== $name ($cost on 2 idle cores): $log" >&2
    start=$(date +%s)
    # shellcheck disable=SC2086 # the arguments are words on purpose
    if cargo test --release $args -- --ignored --exact --nocapture >"$log" 2>&1; then
        status=passed
    else
        status=FAILED
        failed+=("$name")
    fi
    seconds=$(($(date +%s) - start))
    summary+=("$(printf '%-22s %-7s %6d s   %s' "$name" "$status" "$seconds" "$quoted")")
done

printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]} (see runs/reproductions/<name>.log)" >&2
    exit 1
fi
