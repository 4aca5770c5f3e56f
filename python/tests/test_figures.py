"""Publication figures and plotting helpers from Python: ``Study.figures`` and
``Study.save_figures`` write the report's own figures as SVG and PNG (the same files as
``superscale run --figures``), and ``superscale.plot`` draws matplotlib figures in the
report's style: its palette, its notation, its numbers."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from PIL import Image  # noqa: E402

import superscale  # noqa: E402
from superscale import plot  # noqa: E402

# A quantization-model study of a few seconds (every_kind.rs's): a kind with no width.
QUANTA_TOML = """\
name = "figures-quanta"
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
"""


@pytest.fixture(scope="module")
def quanta_study(tmp_path_factory: pytest.TempPathFactory) -> superscale.Study:
    path = tmp_path_factory.mktemp("quanta") / "quanta.toml"
    path.write_text(QUANTA_TOML)
    return superscale.run(superscale.Spec.from_toml(path), threads=2)


def drawn(report: Path) -> list[str]:
    """The names of the figures a report draws, in order."""
    return re.findall(r'<figure id="fig-[^"]*" data-figure="([^"]*)"><svg', report.read_text())


def legend(svg: str) -> list[tuple[str, str]]:
    """(colour of the mark, text) of each entry of a report figure's legend."""
    entries = re.findall(r'<g class="entry">.*?(?:fill|stroke)="(#[0-9a-f]{6})".*?<text[^>]*>(.*?)</text></g>', svg)
    return [(colour, text.replace("&amp;", "&")) for colour, text in entries]


def test_figures_are_the_reports_own(small_study: superscale.Study, tmp_path: Path) -> None:
    report = Path(small_study.write(tmp_path / "report"))
    figures = small_study.figures()
    assert [name for name, _, _ in figures] == drawn(report) == [
        "loss-vs-width",
        "overlap-vs-width",
        "row-norms",
        "loss-curves",
    ]
    html = report.read_text()
    for _, title, svg in figures:
        assert svg.startswith("<svg") and svg in html and title


def test_save_figures_writes_svg_and_png_at_twice_the_size(small_study: superscale.Study, tmp_path: Path) -> None:
    paths = small_study.save_figures(tmp_path / "figures")
    names = [name for name, _, _ in small_study.figures()]
    assert paths == [str(tmp_path / "figures" / f"{name}.{ext}") for name in names for ext in ("svg", "png")]
    for svg_path, png_path in zip(paths[::2], paths[1::2]):
        root = ElementTree.parse(svg_path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        width, height = float(root.get("width")), float(root.get("height"))
        with Image.open(png_path) as image:
            assert image.size == (int(np.ceil(2 * width)), int(np.ceil(2 * height)))
            assert image.mode == "RGB"
            assert round(image.info["dpi"][0]) == 192
            grey = np.asarray(image.convert("L"), dtype=float)
        assert grey.var() > 100 and (grey < 250).mean() > 0.01, f"{png_path} looks blank"


def test_save_figures_matches_the_cli(small_toml: Path, small_study: superscale.Study, tmp_path: Path, cli: Path) -> None:
    store = tmp_path / "store"
    done = subprocess.run(
        [str(cli), "run", str(small_toml), "--store", str(store), "--threads", "1", "--quiet", "--figures", str(tmp_path / "cli")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    written = superscale.Study.open(store).save_figures(tmp_path / "python", formats=["png", "svg"], scale=1.5)
    assert len(written) == 8 and written[0].endswith("loss-vs-width.png")
    for name in ["loss-vs-width", "loss-curves"]:
        # The SVG is the report's text: the same study gives the same file.
        assert (tmp_path / "python" / f"{name}.svg").read_text() == (tmp_path / "cli" / f"{name}.svg").read_text()
        with Image.open(tmp_path / "python" / f"{name}.png") as small, Image.open(tmp_path / "cli" / f"{name}.png") as large:
            assert small.size == (int(np.ceil(large.size[0] * 0.75)), int(np.ceil(large.size[1] * 0.75)))


def test_save_figures_refuses_a_bad_format_or_scale(small_study: superscale.Study, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pdf"):
        small_study.save_figures(tmp_path, formats=["svg", "pdf"])
    for scale in [0.0, -1.0, 9.0, float("nan")]:
        with pytest.raises(ValueError, match="scale"):
            small_study.save_figures(tmp_path, scale=scale)
    assert list(tmp_path.iterdir()) == []


def test_every_kind_exports_its_figures(quanta_study: superscale.Study, tmp_path: Path) -> None:
    paths = quanta_study.save_figures(tmp_path, formats=["png"])
    assert len(paths) == len(quanta_study.figures()) >= 1
    for path in paths:
        with Image.open(path) as image:
            assert np.asarray(image.convert("L"), dtype=float).var() > 100


def test_the_palette_is_the_reports() -> None:
    # Okabe & Ito (2008) in the report's order.
    assert plot.PALETTE == ["#0072b2", "#d55e00", "#009e73", "#e69f00", "#cc79a7", "#56b4e9", "#f0e442", "#000000"]


@pytest.mark.parametrize(
    ("value", "text"),
    # crates/superscale_report/src/chart.rs's tests of chart::number
    [
        (0.9999999999, "1"),
        (0.30000000000000004, "0.3"),
        (-0.5556, "−0.5556"),
        (0.000000001, "1e−9"),
        (123456.0, "1.235e5"),
        (0.6309999823570251, "0.631"),
        (100.0, "100"),
        (0.0, "0"),
    ],
)
def test_numbers_are_written_as_the_report_writes_them(value: float, text: str) -> None:
    assert plot.number(value) == text


def test_loss_vs_width_draws_the_reports_groups_fits_and_colours(small_study: superscale.Study) -> None:
    figure = plot.loss_vs_width(small_study)
    ax = figure.axes[0]
    handles, labels = ax.get_legend_handles_labels()
    report_svg = dict((name, svg) for name, _, svg in small_study.figures())["loss-vs-width"]
    # The same legend, entry for entry: notation, α_m ± SE and R² of the same fit, colour.
    assert [(to_hex(h.get_color()), label) for h, label in zip(handles, labels)] == legend(report_svg)
    assert labels[0].startswith("γ = −0.5 (strong): α_m = ") and labels[1].startswith("γ = 0.3 (weak): α_m = ")
    exponents = small_study.exponents()
    for label, row in zip(labels, exponents.itertuples()):
        assert f"α_m = {row.alpha_m:.3f} ± {row.alpha_m_se:.3f} (R² = {row.r_squared:.3f})" in label
    assert [t.get_text() for t in ax.get_xticklabels()] == ["4", "8", "16"]
    assert ax.get_xlabel() == "width m" and ax.get_ylabel() == "L = n·MSE (held-out)"
    width, height = figure.get_size_inches() * figure.dpi
    assert (round(width), round(height)) == (560, 420)
    plt.close(figure)


def test_table_draws_medians_and_bands_for_any_kind(small_study: superscale.Study, quanta_study: superscale.Study) -> None:
    figure = plot.table(small_study, "loss_heldout_n_mse", scale="loglog")
    ax = figure.axes[0]
    _, labels = ax.get_legend_handles_labels()
    assert labels == ["γ = −0.5 (strong)", "γ = 0.3 (weak)"]
    assert ax.get_xlabel() == "width m"
    # Two replicates per point: a 10–90 % band per group, and the median line through them.
    assert len(ax.collections) == 2
    results = small_study.results()
    strong = results[results["sweep:model.weight_decay"] == -0.5].groupby("n_hidden")["loss_heldout_n_mse"].median()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), strong.to_numpy())
    plt.close(figure)

    frame = quanta_study.results()
    column = next(c for c in frame.columns if c.startswith("final_test_loss"))
    figure = plot.table(quanta_study, column)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "width" and ax.get_ylabel() == column
    assert list(ax.lines[0].get_xdata()) == [8.0, 16.0, 32.0]
    plt.close(figure)
    with pytest.raises(ValueError, match="no column 'nope'"):
        plot.table(quanta_study, "nope")


def test_loss_vs_width_refuses_a_study_without_a_width(quanta_study: superscale.Study) -> None:
    with pytest.raises(ValueError, match="model.n_hidden"):
        plot.loss_vs_width(quanta_study)


def test_the_style_is_the_reports() -> None:
    with plot.style():
        figure, ax = plt.subplots()
        (line,) = ax.plot([0, 1], [0, 1])
        assert to_hex(line.get_color()) == plot.PALETTE[0]
        assert matplotlib.rcParams["savefig.dpi"] == 192
    assert tuple(figure.get_size_inches() * figure.dpi) == (560, 420)
    plt.close(figure)
