#!/usr/bin/env bash
# Side by side (issue 18 item 5, BENCHMARKS.md "The learning coefficient"): superscale's LLC
# estimator against the same estimator in PyTorch (bench/torch_llc.py: a chain loop with
# autograd as devinterp runs it, the chains vmap'd, and that under torch.compile) on the same
# data and w*: the toy model of superposition at the TMS shapes (c = 6, m = 2), n rows, the
# refined 5-gon, plain full-batch SGLD.
#   bash bench/run_llc.sh [N CHAINS DRAWS BURN_IN STEP LOCALIZATION]
# Defaults: 1000 8 20000 5000 1e-4 100. Both sides run on 1 thread, then on 2; each prints
# λ̂ (they must agree within their intervals) and its wall and CPU seconds, without start-up,
# import or compilation. Uses bench/.venv (made by bench/run_torch.sh; CI never runs this).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
args=("${1:-1000}" "${2:-8}" "${3:-20000}" "${4:-5000}" "${5:-1e-4}" "${6:-100}")
if [ ! -x "$here/.venv/bin/python" ]; then
    bash "$here/run_torch.sh" --help > /dev/null
fi
# devinterp's own SGLD optimizer is one of the peer's forms (pinned; its pins keep torch).
if ! "$here/.venv/bin/python" -c "import devinterp" 2>/dev/null; then
    "$here/.venv/bin/pip" install --quiet "devinterp==2.0.1"
fi
cargo build --release --quiet -p superscale_measure --example llc_tms_peer
case_file="$(mktemp --suffix .json)"
trap 'rm -f "$case_file"' EXIT
for threads in 1 2; do
    echo "== $threads thread(s)"
    RAYON_NUM_THREADS=$threads target/release/examples/llc_tms_peer "${args[@]}" "$case_file"
    OMP_NUM_THREADS=$threads "$here/.venv/bin/python" "$here/torch_llc.py" "$case_file" \
        "${args[@]:1}" 2> >(grep -v '^W[0-9]' >&2)
done
