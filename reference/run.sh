#!/usr/bin/env bash
# Regenerates the golden JSON files for the Rust tests.
# Creates reference/.venv on first use (gitignored), installs requirements.txt, runs every gen_*.py.
#   bash reference/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
fi
"$venv/bin/pip" install --quiet -r "$here/requirements.txt"
for script in "$here"/gen_*.py; do
    echo "== $(basename "$script")"
    "$venv/bin/python" "$script"
done
