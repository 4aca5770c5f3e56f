"""Matplotlib figures of a study (matplotlib is optional: imported on first use).

Each function draws into ``ax`` when given and returns the matplotlib ``Figure``.

* :func:`loss_vs_width` -- the flagship figure: held-out loss against width m on log-log axes,
  one series per group of runs, with the fitted power law and alpha_m +/- SE in the legend;
* :func:`overlap_vs_width` -- mean squared overlap of the normalised rows against 1/m;
* :func:`loss_curves` -- the batch loss of every run against the step;
* :func:`row_norms` -- histograms of the row norms ||W_i|| of chosen runs.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import numpy as np

from . import fit as _fit

WIDTH = "sweep:model.n_hidden"
LOSS = "loss_heldout_n_mse"
_SHORT = {"model.weight_decay": "γ", "model.alpha": "α", "model.feature_probability": "1−S"}


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("superscale.plot needs matplotlib: pip install matplotlib") from err
    return plt


def _axes(ax: Any) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    figure, ax = _pyplot().subplots(figsize=(6.4, 4.8), layout="constrained")
    return figure, ax


def _groups(frame: Any) -> list[tuple[str, Any]]:
    """(label, rows) of every group of finished runs that differ only in width."""
    done = frame[frame["status"] == "done"]
    keys = [c for c in done.columns if c.startswith("sweep:") and c != WIDTH]
    if not keys:
        return [("", done)]
    groups = []
    for values, rows in done.groupby(keys, sort=False):
        values = values if isinstance(values, tuple) else (values,)
        parts = [f"{_SHORT.get(k[6:], k[6:])} = {v}" for k, v in zip(keys, values)]
        groups.append((", ".join(parts), rows))
    return groups


def _plain_ticks(ax: Any, widths: list[int]) -> None:
    """Label the x axis at the swept widths in plain numbers, not powers of ten."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xticks(widths)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())


def loss_vs_width(study: Any, ax: Any = None) -> Any:
    """Held-out loss L = n x MSE against width m with the fitted L ∝ m^-alpha_m per group.

    Parameters
    ----------
    study : Study
        A study that sweeps ``model.n_hidden``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure, ax = _axes(ax)
    for label, rows in _groups(study.results()):
        m = rows["n_hidden"].to_numpy(dtype=float)
        loss = rows[LOSS].to_numpy(dtype=float)
        (points,) = ax.plot(m, loss, "o", label=None)
        text = label
        if len(np.unique(m)) >= 3:
            fitted = _fit.power_law(m, loss)
            grid = np.geomspace(m.min(), m.max(), 50)
            text = f"{label}: α_m = {fitted.exponent:.3f} ± {fitted.exponent_se:.3f}".lstrip(": ")
            ax.plot(grid, np.exp(fitted.intercept) * grid ** -fitted.exponent, "-", color=points.get_color())
        points.set_label(text)
    ax.set(xscale="log", yscale="log", xlabel="width m", ylabel="held-out loss (n × MSE)")
    _plain_ticks(ax, sorted(set(study.results()["n_hidden"])))
    ax.set_title(study.spec.name)
    ax.legend()
    return figure


def overlap_vs_width(study: Any, ax: Any = None) -> Any:
    """Mean squared overlap of the normalised rows with norm > 1 against 1/m, per group.

    Parameters
    ----------
    study : Study
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure, ax = _axes(ax)
    for label, rows in _groups(study.results()):
        inverse = 1.0 / rows["n_hidden"].to_numpy(dtype=float)
        ax.plot(inverse, rows["mean_sq_overlap_norm_above_1"], "o", label=label or None)
    grid = np.linspace(0.0, ax.get_xlim()[1], 2)
    ax.plot(grid, grid, "k:", label="1/m")
    ax.set(xlabel="1/m", ylabel="mean (Ŵ_i·Ŵ_j)², ‖W_i‖ > 1")
    ax.legend()
    return figure


def loss_curves(study: Any, ax: Any = None) -> Any:
    """The batch loss of every run against the step (log-log).

    Parameters
    ----------
    study : Study
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure, ax = _axes(ax)
    curves = study.curves()
    for (index, replicate), rows in curves.groupby(["index", "replicate"], sort=True):
        ax.plot(rows["step"], rows["loss_batch_n_mse"], lw=1, label=f"run {index} r{replicate}")
    ax.set(xscale="log", yscale="log", xlabel="step", ylabel="batch loss (n × MSE)")
    if len(curves.groupby(["index", "replicate"])) <= 12:
        ax.legend(fontsize="small")
    return figure


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
    figure, axes = _pyplot().subplots(rows, columns, figsize=(3 * columns, 2.4 * rows), squeeze=False, layout="constrained")
    for ax, index in zip(axes.flat, chosen):
        geometry = study.geometry(int(index))
        if geometry is not None:
            ax.hist(geometry["row_norms"], bins=bins)
        ax.set_title(f"run {index}", fontsize="small")
        ax.set_xlabel("‖W_i‖")
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_visible(False)
    return figure
