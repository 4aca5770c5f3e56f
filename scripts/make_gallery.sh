#!/usr/bin/env bash
# Runs shipped experiments at their full protocol and copies each one's main figure into
# docs/figures/<experiment>.svg, the figures of README.md and docs/gallery.md.
#
#   scripts/make_gallery.sh                 # every experiment of the list below (hours)
#   scripts/make_gallery.sh flagship tms_intro_n5_m2   # just these
#
# Each study runs into runs/<experiment>/ (its store: a rerun only redoes what is missing)
# with `superscale run experiments/<experiment>.toml --out runs/<experiment>`, and the
# figure the gallery shows is taken from its report by name (scripts/extract_figure.py).
set -euo pipefail
cd "$(dirname "$0")/.."

# experiment -> the figure the gallery shows (its name in the report)
declare -A FIGURE=(
    [flagship]=loss-vs-width
    [paper_c1_gamma]=represented-fraction
    [paper_c2_strong]=loss-vs-width
    [paper_c3_flat]=loss-vs-width
    [paper_c4_skewed]=loss-vs-width
    [paper_c5_weak]=loss-vs-width
    [tms_intro_n5_m2]=feature-vectors
    [tms_phase_n2_m1]=phase-diagram
    [tms_uniform_n200_m20]=dimensions-per-feature
    [tms_grid_1024]=features-per-dimension
    [tms_capability]=capability-count
    [align_tms_universality]=universality
    [quanta_emergence]=subtask-losses
    [quanta_c4_reduced]=loss-vs-parameters
    [quanta_c4_full]=loss-vs-parameters
    [quanta_c4_cost]=loss-curves
    [platonic_capacity]=alignment
    [platonic_multitask]=alignment
    [platonic_simplicity]=alignment
    [llc_calibration]=llc-calibration
    [tms_kgon]=tms-kgon-phases
    [llc_toy_widths]=llc-vs-width
    [llc_toy_stages]=regions-along-training
    [llc_toy_step]=llc-vs-width
)

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=("${!FIGURE[@]}")
fi
cargo build --release --quiet -p superscale_cli
cli="${CARGO_TARGET_DIR:-$PWD/target}/release/superscale"
mkdir -p docs/figures
for name in "${names[@]}"; do
    figure="${FIGURE[$name]:?unknown experiment $name}"
    started=$SECONDS
    "$cli" run "experiments/$name.toml" --out "runs/$name" --quiet
    python3 scripts/extract_figure.py "runs/$name/report.html" "$figure" "docs/figures/$name.svg"
    echo "docs/figures/$name.svg ($figure, $((SECONDS - started)) s)"
done
