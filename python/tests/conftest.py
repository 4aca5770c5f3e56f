"""Shared fixtures. Importing the native module here makes a missing or broken build fail
the whole session (an ImportError at collection), never skip a test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import superscale
import superscale._superscale  # noqa: F401  (fails loudly if the extension did not build)

REPO = Path(__file__).resolve().parents[2]

# A study small enough to train in about a second: two decay groups, three widths and two
# replicates, so exponents and replicate handling are exercised.
SMALL_TOML = """\
name = "small"
description = "a small sweep for the Python tests"
replicates = 2

[model]
variant = "superposition_scaling"
n_features = 60
n_hidden = 4
alpha = 1.0
weight_decay = -0.5

[train]
steps = 300
batch_size = 128
schedule = { kind = "warmup_cosine", peak_lr = 0.02, warmup_steps = 30 }

[record]
curve_points = 20
tail_steps = 50
heldout_batches = 20

[sweep]
"model.n_hidden" = [4, 8, 16]
"model.weight_decay" = [-0.5, 0.3]
"""


@pytest.fixture(scope="session")
def small_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "small.toml"
    path.write_text(SMALL_TOML)
    return path


@pytest.fixture(scope="session")
def small_study(small_toml: Path) -> superscale.Study:
    return superscale.run(superscale.Spec.from_toml(small_toml), threads=1)


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `superscale` binary: $SUPERSCALE_CLI, else target/release/superscale, built
    with cargo if missing (a failure to build fails the tests that need it)."""
    explicit = os.environ.get("SUPERSCALE_CLI")
    if explicit:
        return Path(explicit)
    binary = REPO / "target" / "release" / "superscale"
    if not binary.exists():
        cargo = shutil.which("cargo")
        assert cargo, "cargo is needed to build the CLI for the comparison tests"
        subprocess.run([cargo, "build", "--release", "-p", "superscale_cli"], cwd=REPO, check=True)
    return binary
