"""superscale: toy models of superposition and neural scaling laws.

A Rust core (the ``superscale_*`` crates) behind a thin Python layer::

    import superscale
    spec = superscale.Spec.from_toml("experiments/flagship.toml")
    study = superscale.run(spec, store="runs/flagship", threads=2, progress=True)
    study.results()            # pandas DataFrame, the columns of results.csv
    study.exponents()          # alpha_m per group
    W, b = study.weights(0)    # numpy arrays, shared with the study (no copy)
    superscale.measure.geometry(W)
    superscale.fit.power_law(m, loss)
    superscale.Study.open("runs/flagship")   # a store written by run(store=...) or the CLI

With ``store=`` the study is the CLI's SQLite run store (``superscale run --store``): each
run is committed as it finishes, and a call interrupted by Ctrl-C is resumed by the next.

Submodules: :mod:`superscale.fit` (scaling-law fits), :mod:`superscale.measure` (geometry of
any weight matrix), :mod:`superscale.plot` (matplotlib figures; matplotlib optional),
:mod:`superscale.weights` (``.safetensors`` weights saved by ``superscale run --save-weights``,
and ``superscale weights`` from Python: any ``.safetensors/.npy/.npz/.gguf`` matrix's geometry
and the family fits of MSO and loss against m).
"""

from ._superscale import (
    SCHEMA_VERSION,
    FitError,
    MeasureError,
    RunError,
    Spec,
    SpecError,
    StoreError,
    Study,
    SuperscaleError,
    __version__,
    run,
)
from . import fit, measure, plot, weights
from .align import Alignment, align

__all__ = [
    "Alignment",
    "SCHEMA_VERSION",
    "FitError",
    "MeasureError",
    "RunError",
    "Spec",
    "SpecError",
    "StoreError",
    "Study",
    "SuperscaleError",
    "__version__",
    "align",
    "fit",
    "measure",
    "plot",
    "run",
    "weights",
]
