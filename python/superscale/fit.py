"""Scaling-law fits on any numbers (the CLI's ``superscale fit``).

* :func:`power_law` -- y = A x^-alpha by log-log OLS (slope standard error, R^2);
* :func:`law` -- ``"power"``, ``"offset-power"``, ``"chinchilla"`` or ``"bnsl"`` with each
  form's full protocol, optionally bootstrapped;
* :func:`chinchilla` -- ``law("chinchilla", n, loss, x2=d, ...)``.

Errors are :class:`superscale.FitError` with the CLI's messages.
"""

from __future__ import annotations

from typing import Any

from ._superscale import Bootstrap, FittedLaw, LogLogFit
from ._superscale import fit_law as law
from ._superscale import fit_power_law as power_law

__all__ = ["Bootstrap", "FittedLaw", "LogLogFit", "chinchilla", "law", "power_law"]


def chinchilla(n: Any, d: Any, loss: Any, **options: Any) -> FittedLaw:
    """Fit L = E + A/N^alpha + B/D^beta (Besiroglu et al.'s refit of Hoffmann et al.).

    Parameters
    ----------
    n : array_like
        Model sizes N (parameters).
    d : array_like
        Training tokens D.
    loss : array_like
        Final losses L.
    **options
        Passed to :func:`law` (``bootstrap``, ``seed``, ``level``, ``groups``,
        ``compute_budget``).

    Returns
    -------
    FittedLaw
        Parameters A, B, E, alpha, beta; derived a, b, N_opt, D_opt, tokens_per_parameter.
    """
    return law("chinchilla", n, loss, d, **options)
