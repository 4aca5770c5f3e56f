"""Matplotlib figures of a study in the style of its report (matplotlib is optional:
imported on first use).

The style is the report's: the Okabe–Ito palette of the reports, one colour per group in
the study's order (the same colour as the group has in the report), the science's
notation (width m, γ = −0.5556 (strong), 1 − S, L = n·MSE), tick labels and numbers
without float noise, a light grid, the legend beneath the plot, and the report's figure
size (560 × 420 px at 96 px per inch; ``savefig`` writes 2×, as ``--figures`` does).
Each function draws into ``ax`` when given and returns the matplotlib ``Figure``.

* :func:`loss_vs_width` -- the flagship figure: held-out loss against width m on log-log
  axes, one series per group of runs, with the fitted power law and α_m ± SE in the legend,
  as the report's ``loss-vs-width``;
* :func:`table` -- any column of any kind's table against another (by default the first
  swept axis), one line per group of the other sweep axes: the median over the rows at each x with the 10–90 % band when a
  point has several (replicates), as the report draws many runs;
* :func:`overlap_vs_width` -- mean squared overlap of the normalised rows against 1/m;
* :func:`loss_curves` -- the batch loss of every run against the step;
* :func:`row_norms` -- histograms of the row norms ||W_i|| of chosen runs;
* :func:`style` -- the style as a context manager, for figures of one's own;
  :func:`number` and :func:`group_label` -- the report's numbers and group names.

The report's own figures, as SVG and PNG files, come from :meth:`Study.save_figures`.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Iterable, Optional, Sequence, TypeVar

import numpy as np

from . import _superscale
from . import fit as _fit

WIDTH = "sweep:model.n_hidden"
LOSS = "loss_heldout_n_mse"

#: The report's colours: Okabe & Ito (2008), colour-blind safe, in the order groups take them.
PALETTE: list[str] = list(_superscale.PALETTE)
#: The grey of reference lines (1/m, chance levels).
REFERENCE_COLOR: str = _superscale.REFERENCE_COLOR
#: The grey of grid lines.
GRID_COLOR: str = _superscale.GRID_COLOR
#: The report's figure size in inches: 560 × 420 SVG pixels at 96 pixels per inch.
FIGSIZE = (560 / 96, 420 / 96)

#: The rc parameters of :func:`style`.
STYLE: dict[str, Any] = {
    "figure.figsize": FIGSIZE,
    "figure.dpi": 96,
    "figure.facecolor": "white",
    "savefig.dpi": 192,
    "savefig.facecolor": "white",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "axes.prop_cycle": "cycler(color=[" + ", ".join(repr(c) for c in PALETTE) + "])",
    "axes.grid": True,
    "axes.grid.which": "major",
    "grid.color": GRID_COLOR,
    "grid.linewidth": 1.0,
    "axes.axisbelow": True,
    "axes.edgecolor": "black",
    "lines.linewidth": 2.0,
    "lines.markersize": 5.0,
    "axes.unicode_minus": True,
}

# The science's notation of the toy model's sweep axes (as crates/superscale_kinds/src/toy/
# report/notation.rs writes them; python/tests/test_plot.py checks the two agree).
_SYMBOL = {
    "model.n_hidden": "m",
    "model.n_features": "n",
    "model.alpha": "α",
    "model.weight_decay": "γ",
    "model.activation_density": "E",
    "model.feature_probability": "1 − S",
    "model.importance_decay": "r",
    "model.extra_feature.importance": "r",
    "model.extra_feature.probability": "1 − S (extra)",
    "train.steps": "steps",
    "train.batch_size": "B",
}
_TITLE = {
    "model.n_hidden": "width m",
    "model.n_features": "features n",
    "model.alpha": "data exponent α",
    "model.weight_decay": "signed weight decay γ",
    "model.feature_probability": "density 1 − S",
    "model.importance_decay": "importance decay r (I_i = r^i)",
    "model.extra_feature.importance": "relative importance r of the extra feature",
}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("superscale.plot needs matplotlib: pip install matplotlib") from err
    return plt


def style() -> Any:
    """The report's style as a matplotlib context manager::

        with superscale.plot.style():
            figure, ax = plt.subplots()

    Returns
    -------
    contextlib.AbstractContextManager
    """
    return _pyplot().rc_context(STYLE)


def number(value: float, digits: int = 4) -> str:
    """``value`` as the report writes it: at most ``digits`` significant digits, no float
    noise (0.30000000000000004 is 0.3), plain decimals from 0.001 to 99 999 and ``2.5e−6``
    beyond, with a true minus sign (``chart::number`` in the Rust crate).

    Parameters
    ----------
    value : float
    digits : int, optional

    Returns
    -------
    str
    """
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0.0:
        return "0"
    rounded = float(f"{value:.{digits - 1}e}")
    magnitude = math.floor(math.log10(abs(rounded)))
    if -3 <= magnitude < 5:
        text = _trim(f"{rounded:.{max(digits - 1 - magnitude, 0)}f}")
    else:
        mantissa, exponent = f"{rounded:.{digits - 1}e}".split("e")
        text = f"{_trim(mantissa)}e{int(exponent)}"
    return text.replace("-", "−")


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _anthropic(study: Any) -> bool:
    model = study.spec.to_dict().get("model", {})
    return isinstance(model, dict) and model.get("variant") == "anthropic"


def _symbol(axis: str, anthropic: bool) -> str:
    if axis == "model.weight_decay" and anthropic:
        return "λ"
    return _SYMBOL.get(axis, axis.rsplit(".", 1)[-1])


def axis_title(axis: str, anthropic: bool = False) -> str:
    """The axis title of a sweep axis (``"model.n_hidden"`` is ``"width m"``).

    Parameters
    ----------
    axis : str
        The dotted path, with or without the ``sweep:`` of a table's column.
    anthropic : bool, optional
        Whether the model is Elhage et al.'s (its weight decay is AdamW's λ, not γ).

    Returns
    -------
    str
    """
    axis = axis.removeprefix("sweep:")
    if axis == "model.weight_decay" and anthropic:
        return "AdamW decay λ"
    return _TITLE.get(axis, _symbol(axis, anthropic))


def group_label(values: Sequence[tuple[str, Any]], anthropic: bool = False) -> str:
    """A group of sweep-axis values in the report's notation:
    ``[("model.weight_decay", -0.5556)]`` is ``"γ = −0.5556 (strong)"``.

    Parameters
    ----------
    values : sequence of (axis, value)
    anthropic : bool, optional

    Returns
    -------
    str
    """
    if not values:
        return "all runs"
    parts = []
    for axis, value in values:
        axis = axis.removeprefix("sweep:")
        try:
            numeric: Optional[float] = float(value)
        except (TypeError, ValueError):
            numeric = None
        shown = number(numeric) if numeric is not None else str(value)
        label = f"{_symbol(axis, anthropic)} = {shown}"
        # γ < 0 pulls every row norm towards 1 (strong superposition), γ > 0 shrinks rows
        # (weak): docs/science/superposition.md §1.4.
        if axis == "model.weight_decay" and not anthropic and numeric is not None and numeric != 0:
            label += " (strong)" if numeric < 0 else " (weak)"
        parts.append(label)
    return ", ".join(parts)


_Function = TypeVar("_Function", bound=Callable[..., Any])


def _styled(function: _Function) -> _Function:
    """Draws the whole figure in :func:`style` (rc parameters are read as artists are made)."""

    @functools.wraps(function)
    def styled(*args: Any, **kwargs: Any) -> Any:
        with style():
            return function(*args, **kwargs)

    return styled  # type: ignore[return-value]


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    figure, ax = _pyplot().subplots(layout="constrained")
    return figure, ax


def _finish(ax: Any) -> None:
    """The report's look on ``ax``, whether or not it was made in :func:`style`: the grid,
    and the legend beneath the plot, never over the data."""
    ax.grid(True, which="major", color=GRID_COLOR, linewidth=1.0)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), frameon=False, fontsize=8.5)


def _plain_ticks(ax: Any, axis: str) -> None:
    """Tick labels as the report writes numbers (plain, no powers of ten, no float noise);
    on a log axis the 1-2-5 ticks of each decade, as the report's ``chart::tick``, or every
    integer multiple where the axis spans too little for two of those."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    which = ax.xaxis if axis == "x" else ax.yaxis
    if which.get_scale() == "log":
        low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
        decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        ticks = [k * 10.0**e for e in decades for k in (1, 2, 5) if low <= k * 10.0**e <= high]
        subs = (1.0, 2.0, 5.0) if len(ticks) >= 2 else tuple(float(k) for k in range(1, 10))
        which.set_major_locator(LogLocator(base=10, subs=subs))
    which.set_major_formatter(FuncFormatter(lambda value, _: number(value)))
    which.set_minor_formatter(NullFormatter())


def _groups(frame: Any, x: str, by: Optional[Sequence[str]] = None) -> list[tuple[list[tuple[str, Any]], Any]]:
    """(values of the grouping columns, finished rows) of every group, in the table's order
    (which is the study's): the group's index is its colour, as in the report, even when
    some group has no finished row (every run diverged)."""
    keys = list(by) if by is not None else [c for c in frame.columns if c.startswith("sweep:") and c != x]
    done = (lambda rows: rows[rows["status"] == "done"]) if "status" in frame.columns else (lambda rows: rows)
    if not keys:
        return [([], done(frame))]
    groups = []
    for values, rows in frame.groupby(keys, sort=False, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        groups.append((list(zip(keys, values)), done(rows)))
    return groups


def _swept_columns(study: Any, frame: Any) -> list[tuple[str, str]]:
    """(axis, column) of each axis the study sweeps that the table has, in the sweep's
    order: the column ``sweep:<axis>`` (toy models), else the axis's last name (a quanta
    table's ``width`` for ``train.width``)."""
    sweep = study.spec.to_dict().get("sweep") or {}
    found = []
    for axis in sweep:
        for column in (f"sweep:{axis}", axis.rsplit(".", 1)[-1]):
            if column in frame.columns:
                found.append((axis, column))
                break
    return found


@_styled
def loss_vs_width(study: Any, ax: Any = None) -> Any:
    """Held-out loss L = n·MSE against width m with the fitted L ∝ m^−α_m per group, as the
    report's ``loss-vs-width``: the same groups, colours, legend (``γ = −0.5556 (strong):
    α_m = 0.934 ± 0.037 (R² = 0.994)``) and fit (OLS of ln L on ln m over the finished runs).

    Parameters
    ----------
    study : Study
        A toy-model study that sweeps ``model.n_hidden``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the study does not sweep the width.
    """
    frame = study.results()
    if WIDTH not in frame.columns:
        raise ValueError(f"loss_vs_width needs a toy-model study that sweeps model.n_hidden; {study.spec.name!r} does not")
    anthropic = _anthropic(study)
    figure, ax = _axes(ax)
    for index, (values, rows) in enumerate(_groups(frame, WIDTH)):
        color = PALETTE[index % len(PALETTE)]
        m = rows["n_hidden"].to_numpy(dtype=float)
        loss = rows[LOSS].to_numpy(dtype=float)
        name = group_label(values, anthropic)
        if len(m) == 0:
            continue  # the report leaves a group without a finished run out of its legend
        try:
            fitted = _fit.power_law(m, loss)
        except _superscale.FitError:
            label = f"{name}: no fit"
        else:
            label = f"{name}: α_m = {fitted.exponent:.3f} ± {fitted.exponent_se:.3f} (R² = {fitted.r_squared:.3f})"
            grid = np.geomspace(m.min(), m.max(), 21)
            ax.plot(grid, np.exp(fitted.intercept) * grid**-fitted.exponent, "-", color=color)
        ax.plot(m, loss, "o", color=color, label=label)
    ax.set(xscale="log", yscale="log", xlabel="width m", ylabel="L = n·MSE (held-out)")
    ax.set_title("Held-out loss vs width, OLS fit of ln L on ln m")
    _plain_ticks(ax, "x")
    _plain_ticks(ax, "y")
    # The swept widths themselves, as the report labels them.
    ax.set_xticks(sorted(set(frame.loc[frame["status"] == "done", "n_hidden"])))
    _finish(ax)
    return figure


@_styled
def table(
    study: Any,
    y: str,
    x: Optional[str] = None,
    *,
    by: Optional[Sequence[str]] = None,
    name: Optional[str] = None,
    scale: str = "linear",
    ax: Any = None,
) -> Any:
    """Column ``y`` of a study's table against column ``x``, for any kind: one colour per
    group of the other sweep axes (in the study's order, as in the report), the median of
    the rows at each x joined by a line and, where an x has several rows (replicates), the
    10–90 % band of them.

    Parameters
    ----------
    study : Study
    y : str
        The column drawn (``"loss_heldout_n_mse"``, a quanta table's loss, …).
    x : str, optional
        The column along the x axis (default: the column of the study's first sweep axis,
        ``sweep:<axis>`` or the axis's last name).
    by : sequence of str, optional
        The columns that make the groups (default: those of the other sweep axes).
    name : str, optional
        The table (one of :meth:`Study.tables`; default: the kind's main table, as
        :meth:`Study.results` returns it).
    scale : {"linear", "loglog", "logx", "logy"}, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing, or no ``x`` is given and the study sweeps no column of the
        table (a Platonic study's variable is in its ``[study]`` table: name it).
    """
    if scale not in ("linear", "loglog", "logx", "logy"):
        raise ValueError(f"scale must be 'linear', 'loglog', 'logx' or 'logy', not {scale!r}")
    frame = study.table(name) if name is not None else study.results()
    swept = _swept_columns(study, frame)
    if x is None:
        if not swept:
            raise ValueError(f"the study sweeps no column of this table; name x among {list(frame.columns)}")
        x = swept[0][1]
    if by is None:
        by = [column for _, column in swept if column != x]
    for column in [x, y, *by]:
        if column not in frame.columns:
            raise ValueError(f"the table has no column {column!r}; it has {list(frame.columns)}")
    axis_of = {column: axis for axis, column in swept}
    anthropic = _anthropic(study)
    figure, ax = _axes(ax)
    for index, (values, rows) in enumerate(_groups(frame, x, by)):
        color = PALETTE[index % len(PALETTE)]
        points = rows[[x, y]].astype(float).dropna()
        if points.empty:
            continue
        summary = points.groupby(x, sort=True)[y]
        xs = np.array(list(summary.groups), dtype=float)
        median = summary.median().to_numpy()
        named = [(axis_of.get(column, column), value) for column, value in values]
        label = group_label(named, anthropic) if values else None
        if (summary.size() > 1).any():
            low, high = summary.quantile(0.1).to_numpy(), summary.quantile(0.9).to_numpy()
            ax.fill_between(xs, low, high, color=color, alpha=0.25, linewidth=0)
        ax.plot(xs, median, "-o", color=color, label=label)
    ax.set(xlabel=axis_title(axis_of[x], anthropic) if x in axis_of else x, ylabel=y)
    if scale in ("loglog", "logx"):
        ax.set_xscale("log")
    if scale in ("loglog", "logy"):
        ax.set_yscale("log")
    _plain_ticks(ax, "x")
    _plain_ticks(ax, "y")
    _finish(ax)
    return figure


@_styled
def overlap_vs_width(study: Any, ax: Any = None) -> Any:
    """Mean squared overlap of the normalised rows with norm > 1 against 1/m, per group,
    with the 1/m line in the reference grey.

    Parameters
    ----------
    study : Study
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    anthropic = _anthropic(study)
    figure, ax = _axes(ax)
    for index, (values, rows) in enumerate(_groups(study.results(), WIDTH)):
        inverse = 1.0 / rows["n_hidden"].to_numpy(dtype=float)
        ax.plot(
            inverse,
            rows["mean_sq_overlap_norm_above_1"],
            "o",
            color=PALETTE[index % len(PALETTE)],
            label=group_label(values, anthropic) if values else None,
        )
    grid = np.linspace(0.0, ax.get_xlim()[1], 2)
    ax.plot(grid, grid, ":", color=REFERENCE_COLOR, label="1/m")
    ax.set(xlabel="1/m", ylabel="mean (Ŵ_i·Ŵ_j)², ‖W_i‖ > 1")
    _plain_ticks(ax, "x")
    _plain_ticks(ax, "y")
    _finish(ax)
    return figure


@_styled
def loss_curves(study: Any, ax: Any = None) -> Any:
    """The batch loss of every run against the step (log-log), each run in its group's
    colour.

    Parameters
    ----------
    study : Study
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure, ax = _axes(ax)
    frame = study.results()
    color_of = {}
    for index, (_, rows) in enumerate(_groups(frame, WIDTH)):
        for row in rows[["index", "replicate"]].itertuples(index=False):
            color_of[(row.index, row.replicate)] = PALETTE[index % len(PALETTE)]
    curves = study.curves()
    for (index, replicate), rows in curves.groupby(["index", "replicate"], sort=True):
        color = color_of.get((index, replicate), REFERENCE_COLOR)
        ax.plot(rows["step"], rows["loss_batch_n_mse"], lw=1, color=color, alpha=0.8)
    ax.set(xscale="log", yscale="log", xlabel="step", ylabel="L = n·MSE (batch)")
    _plain_ticks(ax, "y")
    _finish(ax)
    return figure


@_styled
def row_norms(study: Any, runs: Optional[Iterable[int]] = None, bins: int = 40) -> Any:
    """Histograms of the row norms ||W_i|| of the chosen runs (default: all), one panel each.

    Parameters
    ----------
    study : Study
    runs : iterable of int, optional
        Run indices.
    bins : int, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = study.results()
    chosen = list(frame["index"] if runs is None else runs)
    columns = min(4, max(1, len(chosen)))
    rows = (len(chosen) + columns - 1) // columns
    figure, axes = _pyplot().subplots(
        rows, columns, figsize=(3 * columns, 2.4 * rows), squeeze=False, layout="constrained"
    )
    for ax, index in zip(axes.flat, chosen):
        geometry = study.geometry(int(index))
        if geometry is not None:
            ax.hist(geometry["row_norms"], bins=bins, color=PALETTE[0])
        ax.set_title(f"run {index}", fontsize="small")
        ax.set_xlabel("‖W_i‖")
        _finish(ax)
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_visible(False)
    return figure
