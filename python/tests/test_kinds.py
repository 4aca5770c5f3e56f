"""Every kind from Python: ``superscale.run`` (in memory and into a store) and ``Study.open``
return the tables the CLI writes, byte for byte, for toy, quanta and platonic studies; the
toy-only methods refuse other kinds; errors carry the CLI's messages; a progress callback
that raises after the first finished run stops a study, and a second call resumes it to the
tables of an uninterrupted study."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas
import pytest

import superscale


@dataclass(frozen=True)
class Kind:
    name: str
    spec: str
    runs: int
    # the CSV tables written beside the report, and the text files among the study's tables
    tables: tuple[str, ...]
    texts: tuple[str, ...]
    # what Study.results() returns: results.csv where the kind has one, else its first table
    main: str
    # (table, column) that differ between two processes: wall-clock time
    volatile: tuple[tuple[str, str], ...]
    # a spec mistake in a point table, and one in a study table (such as [analysis])
    mistake: tuple[str, str]
    study_mistake: tuple[str, str]


TOY = Kind(
    name="toy",
    spec="""\
name = "kinds-toy"
replicates = 2
[model]
variant = "superposition_scaling"
n_features = 20
n_hidden = 3
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 40
batch_size = 32
schedule = { kind = "constant", lr = 0.01 }
[record]
curve_points = 8
tail_steps = 10
heldout_batches = 4
[sweep]
"model.n_hidden" = [3, 9]
""",
    runs=4,
    tables=("results", "exponents", "curves"),
    texts=(),
    main="results",
    volatile=(("results", "seconds"),),
    mistake=("alpha = 1.0", "alpha = -1.0"),
    study_mistake=("[sweep]", "[analysis]\ncapability = { samples_per_feature = 0 }\n[sweep]"),
)

QUANTA = Kind(
    name="quanta",
    spec="""\
name = "kinds-quanta"
kind = "quanta"
seed = 3
replicates = 2
[task]
n_tasks = 6
n_bits = 12
k = 3
alpha = 1.4
[train]
width = 16
steps = 300
batch_size = 200
learning_rate = 0.01
eval_points = 10
test_points = 500
test_points_per_task = 40
[sweep]
"train.width" = [8, 16, 32]
[analysis]
forecast_fit_fraction = 0.5
bootstrap_resamples = 20
steps_window = [0.01, 1.0]
""",
    runs=6,
    tables=("results", "curves", "tasks", "emergence", "exponents", "forecast_tasks", "forecast_aggregate"),
    texts=(),
    main="results",
    volatile=(),
    mistake=("k = 3", "k = 13"),
    study_mistake=("bootstrap_resamples = 20", "bootstrap_resamples = 1"),
)

PLATONIC = Kind(
    name="platonic",
    spec="""\
name = "kinds-platonic"
kind = "platonic"
seed = 5
replicates = 2
[world]
latent_dim = 4
input_dim = 8
render_hidden = 12
task_hidden = 6
noise = 0.1
[model]
width = 12
depth = 2
steps = 50
batch_size = 32
lr = 0.003
[study]
hypothesis = "capacity"
values = [8, 16]
tasks = 2
probe = 48
test = 64
reference_width = 16
[analysis]
k = 5
permutations = 8
bootstrap = 40
metrics = ["mutual_knn", "unbiased_cka", "cknna"]
""",
    runs=9,
    tables=("pairs", "summary", "runs", "regression"),
    texts=("summary.md",),
    main="pairs",
    volatile=(),
    mistake=("width = 12", "width = 0"),
    study_mistake=("k = 5", "k = 64"),
)

LLC = Kind(
    name="llc",
    spec="""\
name = "kinds-llc"
kind = "llc"
seed = 11
replicates = 2
[data]
n = 500
[sampler]
step = 1e-4
chains = 4
draws = 400
burn_in = 200
[sweep]
model = [
    { family = "linear", shape = [3, 1] },
    { family = "reduced_rank", shape = [3, 2, 3] },
]
""",
    runs=4,
    tables=("calibration", "chains"),
    texts=(),
    main="calibration",
    volatile=(),
    mistake=("step = 1e-4", "step = 0.0"),
    study_mistake=("n = 500", "n = 500\nbatch_size = 3"),
)

KINDS = [TOY, QUANTA, PLATONIC, LLC]
BY_NAME = pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])


def write_spec(kind: Kind, directory: Path, edit: tuple[str, str] | None = None) -> Path:
    text = kind.spec if edit is None else kind.spec.replace(edit[0], edit[1], 1)
    assert edit is None or text != kind.spec
    path = directory / f"{kind.name}.toml"
    path.write_text(text)
    return path


def stable(kind: Kind, name: str, text: str) -> list[list[str]]:
    """A CSV table's cells without its volatile columns (no cell of these tables holds a
    comma: numbers, ids and labels)."""
    rows = [line.split(",") for line in text.splitlines()]
    dropped = {rows[0].index(column) for table, column in kind.volatile if table == name}
    return [[cell for i, cell in enumerate(row) if i not in dropped] for row in rows]


def cli_run(cli: Path, spec: Path, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [cli, "run", spec, "--store", store, "--threads", "2", "--quiet"], check=True, capture_output=True, text=True
    )


@BY_NAME
def test_run_and_open_return_the_cli_tables(kind: Kind, tmp_path: Path, cli: Path) -> None:
    spec = write_spec(kind, tmp_path)
    done = cli_run(cli, spec, tmp_path / "cli")
    cli_headlines = done.stdout.splitlines()[:-1]
    assert done.stdout.splitlines()[-1] == f"report: {tmp_path / 'cli' / 'report.html'}"

    def file(store: str, name: str) -> str:
        return (tmp_path / store / f"{name}.csv").read_text()

    # Study.open on the CLI's store: its tables are the files, byte for byte.
    opened = superscale.Study.open(tmp_path / "cli", threads=2)
    assert opened.kind == kind.name and not opened.interrupted and len(opened) == kind.runs
    assert opened.headlines == cli_headlines
    assert opened.report == str(tmp_path / "cli" / "report.html")
    tables = opened.tables()
    assert set(tables) == set(kind.tables)
    for name in kind.tables:
        text = file("cli", name)
        assert opened.table_csv(name) == text == opened.table_csv(f"{name}.csv"), name
        frame = tables[name]
        assert isinstance(frame, pandas.DataFrame), name
        header = text.splitlines()[0].split(",")
        assert list(frame.columns) == header and len(frame) == len(text.splitlines()) - 1, name
        pandas.testing.assert_frame_equal(frame, opened.table(name))
    for name in kind.texts:
        assert opened.table_csv(name) == (tmp_path / "cli" / name).read_text(), name
    pandas.testing.assert_frame_equal(opened.results(), tables[kind.main])
    assert set(opened.run_ids) == set(opened.spec.run_ids)

    # In memory: the same tables (wall-clock columns aside) and headlines, nothing written.
    memory = superscale.run(spec, threads=2)
    assert memory.kind == kind.name and not memory.interrupted and memory.report is None
    assert memory.headlines == cli_headlines
    assert set(memory.tables()) == set(kind.tables)
    for name in kind.tables:
        assert stable(kind, name, memory.table_csv(name)) == stable(kind, name, file("cli", name)), name

    # Into a store: the files the CLI writes, and the study's tables are those files.
    stored = superscale.run(superscale.Spec.from_toml(spec), store=tmp_path / "py", threads=1)
    assert stored.kind == kind.name and stored.report == str(tmp_path / "py" / "report.html")
    assert stored.headlines == cli_headlines
    for name in kind.tables:
        assert stored.table_csv(name) == file("py", name), name
        assert stable(kind, name, file("py", name)) == stable(kind, name, file("cli", name)), name
    for name in kind.texts:
        assert (tmp_path / "py" / name).read_text() == (tmp_path / "cli" / name).read_text(), name
    with pytest.raises(KeyError, match="no table"):
        stored.table("nonexistent")


@pytest.mark.parametrize("kind", [QUANTA, PLATONIC], ids=["quanta", "platonic"])
def test_toy_only_methods_raise_type_error_on_other_kinds(kind: Kind, tmp_path: Path) -> None:
    study = superscale.run(write_spec(kind, tmp_path), threads=2)
    for call in (lambda: study.weights(0), lambda: study.geometry(0), lambda: study.curve(0)):
        with pytest.raises(TypeError, match=f'this is a "{kind.name}" study'):
            call()


@BY_NAME
def test_errors_are_the_cli_errors(kind: Kind, tmp_path: Path, cli: Path) -> None:
    # A spec mistake: SpecError with the CLI's located message, nothing written.
    bad = write_spec(kind, tmp_path, kind.mistake)
    by_cli = subprocess.run([cli, "run", bad, "--store", tmp_path / "never"], capture_output=True, text=True)
    assert by_cli.returncode == 2
    with pytest.raises(superscale.SpecError) as caught:
        superscale.run(bad, store=tmp_path / "never")
    assert by_cli.stderr == f"error: {caught.value}\n"
    assert caught.value.path == str(bad) and caught.value.field is not None and caught.value.line is not None
    assert not (tmp_path / "never").exists()
    # The spec of another kind on this kind's store: StoreError with the CLI's message.
    store = tmp_path / "store"
    superscale.run(write_spec(kind, tmp_path), store=store, threads=2)
    other = next(k for k in KINDS if k.name != kind.name)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    other_spec = write_spec(other, other_dir)
    by_cli = subprocess.run([cli, "run", other_spec, "--store", store], capture_output=True, text=True)
    assert by_cli.returncode == 2
    with pytest.raises(superscale.StoreError) as refused:
        superscale.run(other_spec, store=store, threads=1)
    assert by_cli.stderr == f"error: {refused.value}\n"
    assert isinstance(refused.value, superscale.SuperscaleError)
    # The store is still this kind's study.
    assert superscale.Study.open(store).kind == kind.name


@BY_NAME
def test_a_spec_is_refused_when_read_as_run_refuses_it(kind: Kind, tmp_path: Path, cli: Path) -> None:
    """A mistake in a study table (``[analysis]``) is refused by ``Spec.from_toml`` and
    ``Spec.from_str`` with the message ``superscale run`` gives, as one in a point table is."""
    for edit in (kind.mistake, kind.study_mistake):
        bad = write_spec(kind, tmp_path, edit)
        by_cli = subprocess.run([cli, "run", bad, "--store", tmp_path / "never"], capture_output=True, text=True)
        assert by_cli.returncode == 2, edit
        with pytest.raises(superscale.SpecError) as caught:
            superscale.Spec.from_toml(bad)
        assert by_cli.stderr == f"error: {caught.value}\n", edit
        with pytest.raises(superscale.SpecError):
            superscale.Spec.from_str(bad.read_text(), str(bad))
    assert not (tmp_path / "never").exists()


class Stop(Exception):
    """Raised by the progress callback after the first finished run."""


@BY_NAME
def test_a_callback_that_raises_stops_the_study_and_a_second_call_resumes_it(kind: Kind, tmp_path: Path, cli: Path) -> None:
    spec = write_spec(kind, tmp_path)
    cli_run(cli, spec, tmp_path / "uninterrupted")
    store = tmp_path / "store"
    heard: list[dict] = []

    def stop_after_the_first(event: dict) -> None:
        # The worker that finished the run waits for this callback before taking another
        # run: one run is committed, the others are left, on any machine.
        heard.append(event)
        assert event["finished"] == 1 and event["total"] == kind.runs and event["status"] == "done"
        raise Stop

    with pytest.raises(Stop) as caught:
        superscale.run(spec, store=store, threads=1, progress=stop_after_the_first)
    assert len(heard) == 1
    partial = caught.value.study  # type: ignore[attr-defined]
    assert partial.kind == kind.name and partial.interrupted
    opened = superscale.Study.open(store)
    assert opened.interrupted
    listing = subprocess.run([cli, "ls", store], check=True, capture_output=True, text=True).stdout
    assert f"({kind.runs} runs: 1 done, {kind.runs - 1} pending)" in listing, listing
    assert not (store / "report.html").exists()

    events: list[dict] = []
    resumed = superscale.run(spec, store=store, threads=1, progress=events.append)
    assert not resumed.interrupted and len(resumed) == kind.runs
    assert len(events) == kind.runs - 1 and events[0]["total"] == kind.runs - 1
    assert (heard[0]["run_id"], heard[0]["replicate"]) not in {(e["run_id"], e["replicate"]) for e in events}
    for name in kind.tables:
        expected = (tmp_path / "uninterrupted" / f"{name}.csv").read_text()
        assert stable(kind, name, resumed.table_csv(name)) == stable(kind, name, expected), name
        assert stable(kind, name, (store / f"{name}.csv").read_text()) == stable(kind, name, expected), name
    assert not superscale.Study.open(store).interrupted
