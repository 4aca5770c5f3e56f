"""Weight files: the runs' own and real models' (``superscale weights`` from Python).

:func:`load` and :func:`load_all` read the final weights saved by ``superscale run
--save-weights`` (``weights/<run id>-r<k>.safetensors``: plain safetensors, memory-mapped
with numpy alone, zero-copy and read-only).

:func:`tensors`, :func:`metadata`, :func:`read`, :func:`measure` and :func:`family` do what
the ``superscale weights`` command does, on ``.safetensors``, ``.npy``, ``.npz`` and
``.gguf`` files (GGUF quantisations dequantised) or on arrays: the geometry of one matrix
(row norms, φ, D*, exact or sampled overlaps with a 95 % interval, per-feature D_i and
interference as numpy arrays, the Welch bound, the ambiguity), and for a family of widths
the power-law fits of the mean squared overlap and of the loss against m
(``docs/science/superposition.md`` §2, §3.4, §3.6). They release the GIL while they read and
compute; errors are :class:`superscale.MeasureError` with the command's messages.

Example::

    import pandas as pd
    import superscale
    result = superscale.weights.family(["w32.npy", "w64.npy", "w128.npy"],
                                       losses={"w32.npy": 0.31, "w64.npy": 0.16, "w128.npy": 0.08})
    pd.DataFrame(result["table"])          # one row per file, the columns of weights.csv
    result["loss_fit"]["exponent"], result["loss_fit"]["lower"], result["loss_fit"]["upper"]
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

from ._superscale import weights_family as family
from ._superscale import weights_measure as measure
from ._superscale import weights_metadata as metadata
from ._superscale import weights_read as read
from ._superscale import weights_tensors as tensors

__all__ = ["family", "load", "load_all", "measure", "metadata", "read", "tensors"]

_DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "U8": "u1"}


def load_all(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file, memory-mapped and read-only.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    dict of str to numpy.ndarray
    """
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + length) if os.path.getsize(path) > 8 + length else np.zeros(0, np.uint8)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has dtype {info['dtype']}, which superscale does not read")
        begin, end = info["data_offsets"]
        tensors[name] = data[begin:end].view(_DTYPES[info["dtype"]]).reshape(info["shape"])
    return tensors


def load(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """W (n_features x n_hidden, float32) and b (n_features,) of one run.

    Parameters
    ----------
    path : str or os.PathLike
        A ``weights/<run id>-r<replicate>.safetensors`` file of a study's store.

    Returns
    -------
    W : numpy.ndarray
    b : numpy.ndarray
    """
    tensors = load_all(path)
    missing = {"W", "b"} - set(tensors)
    if missing:
        raise ValueError(f"{path}: no tensor {', '.join(sorted(missing))} (not a superscale weights file)")
    return tensors["W"], tensors["b"]
