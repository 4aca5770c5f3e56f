"""Final weights saved by ``superscale run --save-weights``: ``weights/<run id>-r<k>.safetensors``.

The files are plain safetensors (an 8-byte little-endian header length, a JSON header, then
raw little-endian arrays), read here with numpy alone: the arrays are memory-mapped, so
loading is zero-copy and they are read-only.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

__all__ = ["load", "load_all"]

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
