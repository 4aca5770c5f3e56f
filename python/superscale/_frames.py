"""Data frames from the CSV text that the Rust report crate writes (internal).

The native ``Study`` calls these, so ``study.results()`` has exactly the columns and values
of the CLI's ``results.csv``: floats are parsed exactly (``float_precision="round_trip"``
before pandas 3; the CSV holds Rust's shortest round-trip text, so every float64 comes back
bit for bit) and the
hexadecimal run ids stay strings.
"""

from __future__ import annotations

import io
from typing import Any

_STRINGS = {
    "run_id": str,
    "run": str,
    "status": str,
    "variant": str,
    "group": str,
    "note": str,
    "verdict": str,
}


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("superscale's data frames need pandas: pip install pandas") from err
    return pandas


def _frame(text: str) -> Any:
    pandas = _pandas()
    header = text.split("\n", 1)[0].split(",")
    dtype = {name: kind for name, kind in _STRINGS.items() if name in header}
    if "seed" in header:
        dtype["seed"] = "uint64"
    return pandas.read_csv(io.StringIO(text), dtype=dtype, **_exact(pandas))


def _exact(pandas: Any) -> dict[str, str]:
    """pandas < 3 parses floats with a fast, not always exact parser unless asked; pandas 3
    parses them exactly by default and deprecates the option."""
    return {"float_precision": "round_trip"} if int(pandas.__version__.split(".")[0]) < 3 else {}


def results_frame(text: str) -> Any:
    """``results.csv`` text as a pandas DataFrame."""
    return _frame(text)


def curves_frame(text: str) -> Any:
    """``curves.csv`` text as a pandas DataFrame."""
    return _frame(text)


def exponents_frame(text: str) -> Any:
    """``exponents.csv`` text as a pandas DataFrame."""
    return _frame(text)


def results_polars(text: str) -> Any:
    """``results.csv`` text as a polars DataFrame."""
    try:
        import polars
    except ImportError as err:
        raise ImportError("Study.to_polars needs polars: pip install polars") from err
    overrides = {name: polars.String for name in _STRINGS if name in text.split("\n", 1)[0].split(",")}
    overrides["seed"] = polars.UInt64
    return polars.read_csv(io.BytesIO(text.encode()), schema_overrides=overrides, infer_schema_length=None)


def table_frame(text: str) -> Any:
    """Any table the CLI writes (CSV text) as a pandas DataFrame."""
    return _frame(text)
