# Type stubs of the native module (crates/superscale_py). The docstrings live in Rust;
# python/tests/test_stubs.py checks that this file names every public item of the module,
# every method and property of its classes, and the same parameters.
from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Mapping, Sequence, TypedDict

import numpy as np
import numpy.typing as npt

__version__: str
SCHEMA_VERSION: int
PALETTE: list[str]
REFERENCE_COLOR: str
GRID_COLOR: str

class SuperscaleError(Exception):
    """Base class of every error raised by superscale."""

class SpecError(SuperscaleError):
    """An experiment spec that cannot be run (``file:line: field `name`: why``)."""
    path: str
    line: int | None
    column: int | None
    field: str | None

class RunError(SuperscaleError): ...
class FitError(SuperscaleError): ...
class MeasureError(SuperscaleError): ...
class StoreError(SuperscaleError): ...

_Path = str | os.PathLike[str]
_Floats = npt.ArrayLike

class _RunPointDict(TypedDict):
    index: int
    run_id: str
    replicate: int
    seed: int
    axes: dict[str, str]
    canonical_json: str

class _OverlapDict(TypedDict):
    rows: int
    mean: float
    variance: float
    mean_abs: float
    welch_kappa_sq: float

class _GeometryDict(TypedDict):
    row_norms: npt.NDArray[np.float64]
    phi_half: float
    phi_one: float
    overlap_all: _OverlapDict
    overlap_strong: _OverlapDict | None
    dimensions_per_feature: float

class _ProgressEvent(TypedDict):
    finished: int
    total: int
    index: int
    run_id: str
    replicate: int
    status: str
    headline: str | None
    value: float
    loss_heldout: float
    seconds: float

class Spec:
    def __init__(
        self,
        name: str,
        *,
        kind: str | None = None,
        sweep: Mapping[str, Iterable[Any]] | None = None,
        replicates: int | None = None,
        seed: int | None = None,
        description: str | None = None,
        **tables: Mapping[str, Any],
    ) -> None: ...
    @staticmethod
    def from_toml(path: _Path) -> Spec: ...
    @staticmethod
    def from_str(text: str, path: str = "<string>") -> Spec: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def replicates(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def run_ids(self) -> list[str]: ...
    @property
    def axes(self) -> dict[str, list[Any]]: ...
    @property
    def points(self) -> list[_RunPointDict]: ...
    def canonical_json(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...

class Study:
    @staticmethod
    def open(path: _Path, threads: int | None = None) -> Study: ...
    @property
    def spec(self) -> Spec: ...
    @property
    def kind(self) -> str: ...
    @property
    def run_ids(self) -> list[str]: ...
    @property
    def interrupted(self) -> bool: ...
    @property
    def headlines(self) -> list[str]: ...
    @property
    def report(self) -> str | None: ...
    def tables(self) -> dict[str, Any]: ...
    def table(self, name: str) -> Any: ...
    def table_csv(self, name: str) -> str: ...
    def results(self) -> Any: ...
    def to_polars(self) -> Any: ...
    def curves(self) -> Any: ...
    def exponents(self) -> Any: ...
    def results_csv(self) -> str: ...
    def curves_csv(self) -> str: ...
    def exponents_csv(self) -> str: ...
    def weights(
        self, run: int | str, replicate: int = 0
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]: ...
    def geometry(self, run: int | str, replicate: int = 0) -> _GeometryDict | None: ...
    def curve(
        self, run: int | str, replicate: int = 0
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64]]: ...
    def write(self, out: _Path) -> str: ...
    def figures(self) -> list[tuple[str, str, str]]: ...
    def save_figures(
        self, out: _Path, formats: Sequence[str] = ("svg", "png"), scale: float = 2.0
    ) -> list[str]: ...
    def __len__(self) -> int: ...
    def _repr_html_(self) -> str: ...

def run(
    spec: Spec | _Path,
    store: _Path | None = None,
    threads: int | None = None,
    progress: bool | Callable[[_ProgressEvent], object] | None = None,
    *,
    out: _Path | None = None,
    extend: bool = False,
    save_weights: bool = False,
) -> Study: ...

class Bootstrap:
    @property
    def level(self) -> float: ...
    @property
    def failed(self) -> int: ...
    @property
    def not_converged(self) -> int: ...
    @property
    def quantities(self) -> dict[str, dict[str, float]]: ...
    @property
    def replicates(self) -> npt.NDArray[np.float64]: ...

class LogLogFit:
    @property
    def exponent(self) -> float: ...
    @property
    def exponent_se(self) -> float: ...
    @property
    def intercept(self) -> float: ...
    @property
    def r_squared(self) -> float: ...
    @property
    def n_points(self) -> int: ...
    @property
    def bootstrap(self) -> Bootstrap | None: ...

class FittedLaw:
    @property
    def form(self) -> str: ...
    @property
    def parameters(self) -> dict[str, float]: ...
    @property
    def derived(self) -> dict[str, float]: ...
    @property
    def objective(self) -> float: ...
    @property
    def converged(self) -> bool: ...
    @property
    def starts(self) -> dict[str, float] | None: ...
    @property
    def bootstrap(self) -> Bootstrap | None: ...
    def predict(self, x: _Floats, x2: _Floats | None = None) -> npt.NDArray[np.float64]: ...

def fit_power_law(
    x: _Floats,
    y: _Floats,
    *,
    bootstrap: int = 0,
    seed: int = 42,
    level: float = 0.95,
    groups: Sequence[Any] | None = None,
) -> LogLogFit: ...
def fit_law(
    form: str,
    x: _Floats,
    y: _Floats,
    x2: _Floats | None = None,
    *,
    breaks: int = 1,
    bootstrap: int = 0,
    seed: int = 42,
    level: float = 0.95,
    groups: Sequence[Any] | None = None,
    compute_budget: float | None = None,
) -> FittedLaw: ...
def measure_geometry(W: _Floats) -> _GeometryDict: ...
def measure_feature_dimensionality(
    W: _Floats,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def measure_row_norms(W: _Floats) -> npt.NDArray[np.float64]: ...
def measure_mean_squared_overlap(W: _Floats, rows: Sequence[int] | None = None) -> _OverlapDict: ...
def measure_dimensions_per_feature(W: _Floats) -> float: ...
def measure_welch_bound(vectors: int, width: int) -> float: ...
def align_pair(
    a: _Floats,
    b: _Floats,
    metric: str = "mutual_knn",
    k: int = 10,
    permutations: int = 100,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    normalize: bool = True,
    clip_quantile: float | None = 0.95,
    clip: str = "exact",
    rbf_sigma: float = 1.0,
    cca_dim: int = 10,
) -> dict[str, Any]: ...
def align_metrics() -> list[str]: ...
def weights_tensors(path: _Path) -> list[dict[str, Any]]: ...
def weights_metadata(path: _Path) -> dict[str, str]: ...
def weights_read(
    path: _Path, tensor: str | None = None, features: str = "rows"
) -> npt.NDArray[np.float64]: ...
def weights_measure(
    source: _Path | _Floats,
    tensor: str | None = None,
    features: str = "rows",
    thresholds: Sequence[float] | None = None,
    exact_limit: int = 50000,
    sampled: bool = False,
    pairs: int = 1000000,
    seed: int = 0,
    precision: str = "f64",
    ambiguity: bool = True,
    ambiguity_tolerance: float = 1e-10,
    non_finite: str = "refuse",
) -> dict[str, Any]: ...
def weights_family(
    paths: Sequence[_Path],
    tensor: str | None = None,
    features: str = "rows",
    losses: Mapping[_Path, float] | None = None,
    loss_table: _Path | None = None,
    bootstrap: int = 2000,
    thresholds: Sequence[float] | None = None,
    exact_limit: int = 50000,
    sampled: bool = False,
    pairs: int = 1000000,
    seed: int = 0,
    precision: str = "f64",
    ambiguity: bool = True,
    ambiguity_tolerance: float = 1e-10,
    non_finite: str = "refuse",
) -> dict[str, Any]: ...
