#!/usr/bin/env bash
# Mutual k-NN and unbiased CKA at n = 10 000, d = 1 024: `superscale align` against the
# reference approach (dense n × n matrices, metrics.py) in torch (CPU) and numpy, and for
# mutual k-NN also against a blockwise top-k (torch.topk / np.argpartition over 1024-row
# blocks, what a practitioner would write), on the same float32 files. Reports wall time and
# peak memory (max RSS from /usr/bin/time -v). REPEATS (default 1) runs the whole set again.
#
#   bash bench/run_align.sh [N] [D]
#
# Creates bench/.venv-align on first use (gitignored) with the pinned torch + numpy of
# bench/run_torch.sh (the PyPI torch wheel pulls CUDA libraries, several GB; only the CPU is
# used); ALIGN_PYTHON=/path/to/python uses an existing interpreter with those packages.
# Never run by CI. Timings on a shared machine are noisy: say so when quoting them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$here/.."
n="${1:-10000}"
d="${2:-1024}"
python="${ALIGN_PYTHON:-}"
if [ -z "$python" ]; then
    venv="$here/.venv-align"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --upgrade pip
        "$venv/bin/pip" install --quiet "torch==2.15.0" "numpy==2.4.6"
    fi
    python="$venv/bin/python"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet -p superscale_cli --manifest-path "$root/Cargo.toml"
cli="$CARGO_TARGET_DIR/release/superscale"
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
"$python" "$here/align_reference.py" make "$data" --n "$n" --d "$d"

measure() {  # label, command...: prints "label  seconds  max-RSS-MiB" and the command's output
    local label="$1"; shift
    local log="$data/time.log"
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -v "$@" > "$data/out.txt" 2> "$log"
    end=$(date +%s.%N)
    local rss
    rss=$(awk -F: '/Maximum resident set size/ {print $2}' "$log")
    printf "| %-34s | %8.1f | %8.0f | %s |\n" "$label" "$(echo "$end - $start" | bc)" \
        "$(echo "$rss / 1024" | bc)" "$(grep -E "mutual_knn|unbiased_cka|torch|numpy" "$data/out.txt" | tail -1 | tr -s ' ')"
}

echo "n = $n, d = $d, threads: $(nproc) cores"
echo "| run | wall s | max RSS MiB | output |"
echo "|---|---|---|---|"
for ((rep = 1; rep <= ${REPEATS:-1}; rep++)); do
    for metric in mutual_knn unbiased_cka; do
        measure "superscale align $metric" "$cli" align "$data/a.npy" "$data/b.npy" \
            --metric "$metric" --permutations 0 --clip-quantile none
        if [ "$metric" = mutual_knn ]; then
            measure "torch (top-k blocks, CPU) $metric" "$python" "$here/align_reference.py" torch "$data" \
                --metric "$metric" --method topk
            measure "numpy (top-k blocks) $metric" "$python" "$here/align_reference.py" numpy "$data" \
                --metric "$metric" --method topk
        fi
        measure "torch (dense, CPU) $metric" "$python" "$here/align_reference.py" torch "$data" --metric "$metric"
        measure "numpy (dense) $metric" "$python" "$here/align_reference.py" numpy "$data" --metric "$metric"
    done
done
