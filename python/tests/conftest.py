"""Shared fixtures. Importing the native module here makes a missing or broken build fail
the whole session (an ImportError at collection), never skip a test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
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


def counted_by_another_thread(call: Callable[[], object], calls: int, iterations: int = 200_000) -> tuple[int, int]:
    """Whether another Python thread runs while `call` runs, decided by events, not a clock.

    Python's switch interval is set to 100 s for the duration, so the GIL changes hands only
    when its holder lets go of it: a blocking wait, or an extension releasing it. Another
    thread, woken first, counts `iterations` in one go once it holds the GIL. `call` is
    repeated (at most `calls` times) until that thread has counted; between calls this
    thread runs only Python code that keeps the GIL, so the counting can happen only inside
    a call that released it. Returns (calls made, iterations counted by then): the count is
    either 0 (the GIL was never released) or `iterations`.
    """
    counted = [0]
    go = threading.Event()

    def count() -> None:
        go.wait()
        for _ in range(iterations):
            counted[0] += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    thread = threading.Thread(target=count)
    try:
        thread.start()  # returns once the thread has started; it then blocks in go.wait()
        go.set()
        made = 0
        while made < calls and counted[0] < iterations:
            call()
            made += 1
        during = counted[0]
    finally:
        sys.setswitchinterval(interval)
        go.set()
        thread.join()
    return made, during


def assert_releases_the_gil(call: Callable[[], object]) -> None:
    """`call` lets another thread count (see counted_by_another_thread), while a call of the
    same count that holds the GIL (builtin sum over a range: C code that never lets go of
    it) does not: the baseline shows the witness can fail."""
    made, during = counted_by_another_thread(call, calls=1000)
    assert during == 200_000, f"another thread could not run during {made} calls"
    _, baseline = counted_by_another_thread(lambda: sum(range(200_000)), calls=max(made, 3))
    assert baseline == 0, f"the baseline let another thread count {baseline} times"
