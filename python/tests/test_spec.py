"""Spec: the same canonical JSON and run ids as the CLI's parser, and located errors."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

import superscale
from conftest import REPO, SMALL_TOML


def expected_run_id(canonical_json: str) -> str:
    """identity.rs: SHA-256("superscale-run-v{SCHEMA_VERSION}\\n" + canonical JSON)[:8 bytes]."""
    prefix = f"superscale-run-v{superscale.SCHEMA_VERSION}\n"
    return hashlib.sha256((prefix + canonical_json).encode()).hexdigest()[:16]


def test_from_toml_expands_the_sweep_with_hashed_run_ids(small_toml: Path) -> None:
    spec = superscale.Spec.from_toml(small_toml)
    assert spec.name == "small" and spec.replicates == 2 and len(spec) == 12
    assert spec.axes == {"model.n_hidden": [4, 8, 16], "model.weight_decay": [-0.5, 0.3]}
    jsons = spec.canonical_json()
    assert [expected_run_id(j) for j in jsons] == spec.run_ids
    assert spec.run_ids[0] == spec.run_ids[1] and len(set(spec.run_ids)) == 6
    point = spec.points[3]
    assert point["index"] == 3 and point["replicate"] == 1
    assert point["axes"] == {"model.n_hidden": "4", "model.weight_decay": "0.3"}
    assert '"n_hidden":4' in point["canonical_json"] and '"weight_decay":0.3' in point["canonical_json"]


def test_keyword_constructor_gives_the_same_runs_as_toml(small_toml: Path) -> None:
    from_file = superscale.Spec.from_toml(small_toml)
    built = superscale.Spec(
        "small",
        replicates=2,
        model={"variant": "superposition_scaling", "n_features": 60, "n_hidden": 4, "alpha": 1.0, "weight_decay": -0.5},
        train={"steps": 300, "batch_size": 128, "schedule": {"kind": "warmup_cosine", "peak_lr": 0.02, "warmup_steps": 30}},
        record={"curve_points": 20, "tail_steps": 50, "heldout_batches": 20},
        sweep={"model.weight_decay": (-0.5, 0.3), "model.n_hidden": [4, 8, 16]},
    )
    assert built.run_ids == from_file.run_ids
    assert built.canonical_json() == from_file.canonical_json()
    assert [p["seed"] for p in built.points] == [p["seed"] for p in from_file.points]
    rebuilt = superscale.Spec(**from_file.to_dict())
    assert rebuilt.run_ids == from_file.run_ids and rebuilt.description == from_file.description


def test_flagship_and_from_str_agree() -> None:
    path = REPO / "experiments" / "flagship.toml"
    spec = superscale.Spec.from_toml(path)
    assert spec.path == str(path) and len(spec) == 12
    assert superscale.Spec.from_str(path.read_text()).run_ids == spec.run_ids


def test_invalid_value_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_TOML.replace('"model.n_hidden" = [4, 8, 16]', '"model.n_hidden" = [4, 8, 60]'))
    with pytest.raises(superscale.SpecError) as caught:
        superscale.Spec.from_toml(bad)
    line = SMALL_TOML.splitlines().index('"model.n_hidden" = [4, 8, 16]') + 1
    assert str(caught.value) == f"{bad}:{line}: field `model.n_hidden`: 60: the width m must satisfy 1 ≤ m < n_features = 60"
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(bad), line, "model.n_hidden")
    assert isinstance(caught.value, superscale.SuperscaleError)


@pytest.mark.parametrize(
    ("edit", "located"),
    [
        (("batch_size = 128", "batch_size = -1"), ":14: field `train.batch_size`: "),
        (("alpha = 1.0", "alpha = -1.0"), ":9: field `model.alpha`: -1: the data exponent α must be ≥ 0"),
        (("tail_steps = 50", "tail_step = 50"), ":19: field `record.tail_step`: unknown field"),
        (("warmup_steps = 30", "warmup_steps = 300"), ":15: field `train.schedule.warmup_steps`: 300: must be below"),
        (("steps = 300", "steps = 300\nsteps = 2"), ":14:1: "),
    ],
)
def test_errors_are_the_clis_messages(tmp_path: Path, cli: Path, edit: tuple[str, str], located: str) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML.replace(*edit))
    with pytest.raises(superscale.SpecError) as caught:
        superscale.Spec.from_toml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{located}"), message
    # The CLI refuses the same file with the same words and exit code 2.
    done = subprocess.run([cli, "run", path, "--out", tmp_path / "out"], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr == f"error: {message}\n"


def test_keyword_errors_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(superscale.SpecError, match=r"^<Spec>:\d+: field `train`: missing"):
        superscale.Spec("x", model={"variant": "superposition_scaling", "n_features": 5, "n_hidden": 2, "alpha": 1.0, "weight_decay": 0.0}, train=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="model.n_hidden"):
        superscale.Spec("x", model={"n_hidden": object()}, train={})
    with pytest.raises(superscale.SpecError, match="cannot read the spec"):
        superscale.Spec.from_toml(tmp_path / "absent.toml")
