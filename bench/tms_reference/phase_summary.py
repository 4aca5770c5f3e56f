"""C10 summary of tms_uniform_torch.py --problem phase outputs: how many instances found the
antipodal digon W ≈ (1, -1), their norms, biases and losses (n·MSE = 2 × the notebook's mean).

Usage: phase_summary.py FILE.npz [...]
"""

import sys

import numpy as np

for path in sys.argv[1:]:
    data = np.load(path)
    W, b, loss = data["W"][:, :, 0], data["b"], 2 * data["tail_loss"]
    antipodal = (W[:, 0] * W[:, 1] < 0) & (np.abs(W).min(axis=1) > 0.5)
    best = int(np.argmin(loss))
    print(f"== {path}: {antipodal.sum()} of {len(W)} instances antipodal")
    print(f"   antipodal |W_i| in [{np.abs(W[antipodal]).min():.4f}, "
          f"{np.abs(W[antipodal]).max():.4f}], b in [{b[antipodal].min():+.4f}, "
          f"{b[antipodal].max():+.4f}], mean b {b[antipodal].mean():+.1e}")
    print(f"   antipodal n·MSE (last 100 steps) in [{loss[antipodal].min():.2e}, "
          f"{loss[antipodal].max():.2e}], median {np.median(loss[antipodal]):.2e}")
    if (~antipodal).any():
        other = ~antipodal
        print(f"   other instances: median n·MSE {np.median(loss[other]):.2e}; e.g. W = "
              f"{np.round(W[other][0], 3).tolist()}, b = {np.round(b[other][0], 3).tolist()}")
    print(f"   best: W = {W[best].tolist()}, b = {b[best].tolist()}")
