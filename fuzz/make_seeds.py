"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the repository's
own fixtures and from small files generated here, each a valid input of a different shape,
dtype or layout, so that libFuzzer starts from inputs that reach deep into each reader.

    python fuzz/make_seeds.py      # needs numpy (scripts/test_python.sh's venv has it)

The output is committed (about 45 KB); run this again after adding a fixture.
"""

import io
import json
import pathlib
import shutil
import struct

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def target(name):
    directory = CORPUS / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


def npy_bytes(array, version=None):
    out = io.BytesIO()
    np.lib.format.write_array(out, array, version=version, allow_pickle=False)
    return out.getvalue()


def safetensors_bytes(tensors, metadata=None):
    """The safetensors layout: an 8-byte little-endian header length, the JSON header
    (name -> dtype, shape, data offsets; optional __metadata__), then the raw data."""
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def main():
    rng = np.random.default_rng(17)

    # Experiment files: every kind for spec_any, the toy-model ones (no `kind`, or "toy")
    # for spec_toy.
    toy, anything = target("spec_toy"), target("spec_any")
    for path in sorted((ROOT / "experiments").glob("*.toml")):
        text = path.read_text()
        shutil.copy(path, anything / path.name)
        kinds = [line for line in text.splitlines() if line.replace(" ", "").startswith("kind=")]
        if not kinds or '"toy"' in kinds[0]:
            shutil.copy(path, toy / path.name)

    directory = target("npy")
    w = rng.standard_normal((3, 2))
    arrays = {
        "f4_3x2": w.astype("<f4"),
        "f8_fortran_2x3": np.asfortranarray(w.T.astype("<f8")),
        "f2_4x2": rng.standard_normal((4, 2)).astype("<f2"),
        "f4_big_endian": w.astype(">f4"),
        "f4_1d": np.arange(5, dtype="<f4"),
        "f4_3d": np.zeros((2, 2, 2), dtype="<f4"),
        "f4_empty_0x3": np.zeros((0, 3), dtype="<f4"),
        "i4_unsupported": np.arange(6, dtype="<i4").reshape(3, 2),
    }
    for name, array in arrays.items():
        (directory / f"{name}.npy").write_bytes(npy_bytes(array))
    (directory / "f4_version2.npy").write_bytes(npy_bytes(w.astype("<f4"), version=(2, 0)))

    directory = target("npz")
    for name, save in [("stored", np.savez), ("deflated", np.savez_compressed)]:
        out = io.BytesIO()
        save(out, w=w.astype("<f4"), b=np.arange(4, dtype="<f8").reshape(2, 2), v=np.ones(3, "<f2"))
        (directory / f"{name}.npz").write_bytes(out.getvalue())

    directory = target("safetensors")
    f32 = w.astype("<f4")
    files = {
        "f32_metadata": ({"w": ("F32", [3, 2], f32.tobytes())}, {"loss": "2.5", "format": "pt"}),
        "f16_f64": (
            {
                "h": ("F16", [2, 2], np.ones((2, 2), "<f2").tobytes()),
                "d": ("F64", [1, 3], np.arange(3, dtype="<f8").tobytes()),
            },
            None,
        ),
        # bf16 is the top half of an f32
        "bf16": ({"b": ("BF16", [3, 2], (f32.view("<u4") >> 16).astype("<u2").tobytes())}, None),
        "i64_and_1d": (
            {
                "i": ("I64", [2, 1], np.arange(2, dtype="<i8").tobytes()),
                "v": ("F32", [4], np.arange(4, dtype="<f4").tobytes()),
            },
            None,
        ),
    }
    for name, (tensors, metadata) in files.items():
        (directory / f"{name}.safetensors").write_bytes(safetensors_bytes(tensors, metadata))

    directory = target("gguf")
    shutil.copy(ROOT / "crates/superscale_weights/tests/data/golden.gguf", directory / "golden.gguf")

    directory = target("fit_csv")
    shutil.copy(ROOT / "crates/superscale_fit/tests/data/bnsl_4digit_addition.csv", directory)
    shutil.copy(
        ROOT / "crates/superscale_cli/tests/goldens/toy_c9_reduced/results.csv",
        directory / "study_results.csv",
    )
    n = np.array([1e3, 1e4, 1e5, 1e6])
    texts = {
        "power.csv": "n,loss\n" + "".join(f"{x:g},{3 * x ** -0.3:.6f}\n" for x in n),
        "grouped.csv": "n , loss , run\n1,2.5,a\n10,2.0,b\n100,1.5,a\n1000,1.2,b\n",
        "chinchilla.csv": "N,D,loss,C\n1e6,2e7,3.1,1.2e14\n1e7,2e8,2.6,1.2e16\n1e8,2e9,2.2,1.2e18\n",
        "quoted.csv": 'n,"loss, final"\n"1",2.5\n10,"2.0"\n',
        "bad_cells.csv": "n,loss\n1,nan\n-10,inf\n0,1e400\n",
        "one_x.csv": "n,loss\n5,1\n5,2\n5,3\n",
    }
    for name, text in texts.items():
        (directory / name).write_text(text)

    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"{total} bytes in {CORPUS}")


main()
