#!/usr/bin/env bash
# Renders the report of every shipped experiment file (experiments/*.toml) in headless
# Chromium and checks what a reader sees (issue 20):
#
#   - the page raises no JavaScript error and logs no console error;
#   - every figure the study declares (worked out from its design, before its results) is
#     drawn, as a non-empty SVG;
#   - every SVG legend has at least one entry, and no legend names the same thing twice;
#   - no numeric tick label is longer than the formatter allows (8 characters: no float
#     noise such as 0.9999999999).
#
#   scripts/test_reports_browser.sh [ARTEFACT_DIR] [EXPERIMENT.toml ...]
#
# Each study is reduced to seconds (scripts/reduce_experiment.py: fewer steps, smaller
# batches and test sets, the same sweep axes, so the same figures) and run with the
# release CLI. A screenshot of each report (report.png), the reduced spec and the check
# results (checks.json) are left in ARTEFACT_DIR (default target/report-browser/). Installs
# the distribution's chromium package with apt-get when no Chromium is found. Exit status:
# 0 when every report passes, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-target/report-browser}"
shift || true
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    files=(experiments/*.toml)
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [ -z "$browser" ]; then
    echo "== installing chromium (apt-get)"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq chromium >/dev/null
    browser="$(command -v chromium)"
fi
echo "== browser: $("$browser" --version 2>/dev/null || echo "$browser")"

cargo build --release --quiet -p superscale_cli
cli="${CARGO_TARGET_DIR:-$PWD/target}/release/superscale"

# A closed network refuses Chromium's own background connections (updates, sync): keep it
# from making them, and give it a profile of its own.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
quiet_flags=(--no-first-run --disable-background-networking --disable-component-update
    --disable-sync --disable-quic --user-data-dir="$profile")

failed=0
started=$SECONDS
for file in "${files[@]}"; do
    name="$(basename "$file" .toml)"
    dir="$out/$name"
    rm -rf "$dir"
    mkdir -p "$dir"
    python3 scripts/reduce_experiment.py "$file" > "$dir/spec.toml"
    t0=$SECONDS
    if ! "$cli" run "$dir/spec.toml" --out "$dir/study" --quiet --threads 2 > "$dir/run.log" 2>&1; then
        echo "FAIL $name: superscale run failed (see $dir/run.log)"
        failed=1
        continue
    fi
    # The report has no script of its own: a copy gets the checks, which write their
    # verdict into the page for --dump-dom.
    python3 scripts/report_checks.py inject "$dir/study/report.html" > "$dir/checked.html"
    "$browser" --headless --no-sandbox --disable-gpu "${quiet_flags[@]}" --enable-logging=stderr --v=0 \
        --virtual-time-budget=5000 --dump-dom "file://$dir/checked.html" \
        > "$dir/dom.html" 2> "$dir/console.log" || true
    "$browser" --headless --no-sandbox --disable-gpu "${quiet_flags[@]}" --hide-scrollbars \
        --window-size=1280,2400 --screenshot="$dir/report.png" \
        "file://$dir/study/report.html" > /dev/null 2>&1 || true
    if python3 scripts/report_checks.py verdict "$dir/dom.html" "$dir/console.log" > "$dir/checks.json"; then
        echo "ok   $name ($((SECONDS - t0)) s) $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["figures"]), "figures,", d["legends"], "legends,", d["ticks"], "tick labels")' "$dir/checks.json")"
    else
        echo "FAIL $name: $(cat "$dir/checks.json")"
        failed=1
    fi
done
echo "== ${#files[@]} reports in $((SECONDS - started)) s; artefacts in $out"
exit $failed
