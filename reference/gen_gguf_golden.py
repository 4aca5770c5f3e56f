"""Golden GGUF file and its dequantisation, for the Rust GGUF reader (issue 5).

Writes, next to the Rust test crates/superscale_weights/tests/gguf_golden.rs:
  crates/superscale_weights/tests/data/golden.gguf           GGUF v3 written by the PyPI `gguf` package
  crates/superscale_weights/tests/data/golden_expected.npz   float32 arrays: `gguf.quants.dequantize` of each
                                                             tensor, numpy (row-major) shape

Tensors (numpy shape n x m is GGUF ne = [m, n]: ne[0] is the fastest-varying dimension):
  token_embd.weight  F32   10 x 64   rows = tokens, row i filled with i + j/100 so the order is visible
  w_f16              F16    6 x 32
  w_bf16             BF16   6 x 32
  w_q8_0             Q8_0   8 x 64   quantised from N(0, 1) by gguf.quants.quantize (ggml's reference rounding)
  w_q4_0             Q4_0   8 x 64
  w_q4_1             Q4_1   8 x 64
  w_q4_k             Q4_K   3 x 256  random block bytes with f16 d = 0.01, dmin = 0.002 (gguf-py has no Q4_K quantiser)
  w_q6_k             Q6_K   3 x 256  random block bytes with f16 d = 0.003
  w_q5_0             Q5_0   2 x 32   a type superscale does not read (error test)
  cube               F32    2 x 3 x 32  not a matrix (error test)
  bias               F32    32          not a matrix (error test)
Each dequantisation is by the `gguf` package (numpy ports of ggml-quants.c); the script checks that
GGUFReader reads back the ne order [m, n] for the token embedding.
"""
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

SEED = 5_2026
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "crates", "superscale_weights", "tests", "data")


def k_blocks(rng, rows, blocks_per_row, size, d_offsets):
    """Random K-quant super-blocks with the f16 scale fields at d_offsets set to sane values."""
    raw = rng.integers(0, 256, size=(rows, blocks_per_row, size), dtype=np.uint8)
    for offset, value in d_offsets:
        raw[:, :, offset:offset + 2] = np.frombuffer(np.float16(value).tobytes(), dtype=np.uint8)
    return raw.reshape(rows, blocks_per_row * size)


def main():
    rng = np.random.default_rng(SEED)
    path = os.path.join(OUT, "golden.gguf")
    writer = gguf.GGUFWriter(path, arch="superscale-test")
    expected = {}

    embd = (np.arange(10)[:, None] + np.arange(64)[None, :] / 100).astype(np.float32)
    writer.add_tensor("token_embd.weight", embd)
    expected["token_embd.weight"] = embd

    w = rng.standard_normal((6, 32)).astype(np.float32)
    writer.add_tensor("w_f16", w.astype(np.float16))
    expected["w_f16"] = w.astype(np.float16).astype(np.float32)
    bf16 = gguf.quants.quantize(w, T.BF16)
    writer.add_tensor("w_bf16", bf16, raw_dtype=T.BF16)
    expected["w_bf16"] = gguf.quants.dequantize(bf16, T.BF16)

    for name, kind in (("w_q8_0", T.Q8_0), ("w_q4_0", T.Q4_0), ("w_q4_1", T.Q4_1)):
        x = rng.standard_normal((8, 64)).astype(np.float32)
        q = gguf.quants.quantize(x, kind)
        writer.add_tensor(name, q, raw_dtype=kind)
        expected[name] = gguf.quants.dequantize(q, kind)

    q4k = k_blocks(rng, 3, 1, 144, [(0, 0.01), (2, 0.002)])
    writer.add_tensor("w_q4_k", q4k, raw_dtype=T.Q4_K)
    expected["w_q4_k"] = gguf.quants.dequantize(q4k, T.Q4_K)
    q6k = k_blocks(rng, 3, 1, 210, [(208, 0.003)])
    writer.add_tensor("w_q6_k", q6k, raw_dtype=T.Q6_K)
    expected["w_q6_k"] = gguf.quants.dequantize(q6k, T.Q6_K)

    q5 = gguf.quants.quantize(rng.standard_normal((2, 32)).astype(np.float32), T.Q5_0)
    writer.add_tensor("w_q5_0", q5, raw_dtype=T.Q5_0)
    writer.add_tensor("cube", rng.standard_normal((2, 3, 32)).astype(np.float32))
    writer.add_tensor("bias", rng.standard_normal(32).astype(np.float32))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    reader = gguf.GGUFReader(path)
    ne = {t.name: [int(d) for d in t.shape] for t in reader.tensors}
    assert ne["token_embd.weight"] == [64, 10], ne["token_embd.weight"]  # ne[0] = n_embd
    for t in reader.tensors:
        if t.name in expected:
            got = gguf.quants.dequantize(t.data, t.tensor_type).reshape(expected[t.name].shape)
            assert np.array_equal(got, expected[t.name]), t.name
    np.savez(os.path.join(OUT, "golden_expected.npz"), **{k: v.astype(np.float32) for k, v in expected.items()})
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes) and golden_expected.npz")


if __name__ == "__main__":
    main()
