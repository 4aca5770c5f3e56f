#!/usr/bin/env bash
# Times the authors' training step (exp/exp-10.py protocol) under jax.jit on CPU.
# Creates bench/.venv-jax on first use with pinned jax + jaxlib + numpy from PyPI (never run by CI),
# then runs bench/jax_step.py; extra arguments are passed through, e.g.
#   bash bench/run_jax.sh --widths 10,25,100 --threads 1,2 --steps 50
# jax 0.12 needs Python >= 3.12 while the machine's python3 is 3.11, so the venv is made from a
# python3.12/3.13 found on PATH or under pyenv (set JAX_PYTHON=/path/to/python to choose one).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-jax"
JAX_VERSION="0.12.0.1"
NUMPY_VERSION="2.4.6"
find_python() {
    local c
    for c in "${JAX_PYTHON:-}" python3.13 python3.12 python3 \
             "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
        [ -n "$c" ] || continue
        # pyenv shims exist for every installed version but fail unless it is selected: run them
        if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$c"
            return
        fi
    done
    echo "run_jax.sh: jax $JAX_VERSION needs Python >= 3.12; none found (set JAX_PYTHON)" >&2
    return 1
}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import jax, jaxlib, numpy" 2>/dev/null; then
    py="$(find_python)"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "jax==$JAX_VERSION" "jaxlib==$JAX_VERSION" "numpy==$NUMPY_VERSION"
fi
exec "$venv/bin/python" "$here/jax_step.py" "$@"
