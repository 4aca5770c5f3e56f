"""numpy baseline for the exact mean squared overlap of a Gaussian n x m matrix (default the
GPT-2 unembedding shape 50257 x 768), blockwise like the paper's LLMs/overlap-0.py (blocks of
8192 rows; docs/science/superposition.md section 2.6), over pairs i < j only, so it does the same work as
superscale_measure::pair_statistics:

    python bench/geometry_mso.py 50257 768 float32

Prints one line: time (the overlap pass only, not the matrix generation), MSO, E|cos|.
numpy's BLAS uses every core it finds (OpenBLAS threads), as the Rust side uses rayon.
"""
import sys
import time

import numpy as np

BLOCK = 8192


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50257
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 768
    dtype = np.dtype(sys.argv[3] if len(sys.argv) > 3 else "float32")
    w = np.random.default_rng(0).standard_normal((n, m)).astype(dtype)
    started = time.perf_counter()
    u = w / np.linalg.norm(w, axis=1, keepdims=True)
    total_sq = total_quad = total_abs = 0.0
    for i in range(0, n, BLOCK):
        a = u[i:i + BLOCK]
        for j in range(i, n, BLOCK):
            g = a @ u[j:j + BLOCK].T
            if j == i:
                # Strict upper triangle of a diagonal block: (all − diagonal) / 2.
                d = np.diagonal(g).astype(np.float64)
                sq = g.astype(np.float64) ** 2
                total_sq += (sq.sum() - (d ** 2).sum()) / 2
                total_quad += ((sq ** 2).sum() - (d ** 4).sum()) / 2
                total_abs += (np.abs(g).sum(dtype=np.float64) - np.abs(d).sum()) / 2
            else:
                sq = np.square(g, dtype=np.float64)
                total_sq += sq.sum()
                total_quad += np.square(sq).sum()
                total_abs += np.abs(g).sum(dtype=np.float64)
    pairs = n * (n - 1) / 2
    seconds = time.perf_counter() - started
    mso = total_sq / pairs
    print(f"numpy {dtype} n={n} m={m} seconds={seconds:.2f} mso={mso:.8e} "
          f"mean_abs={total_abs / pairs:.8e} m_mso={mso * m:.6f} var={total_quad / pairs - mso ** 2:.6e}")


if __name__ == "__main__":
    main()
