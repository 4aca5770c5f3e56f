"""The flagship figure from Python: strong versus weak superposition (Liu, Liu & Gore 2025).

Loads ``experiments/flagship.toml``, reduces it (by default to the reduced sweep of the
integration test ``crates/superscale_kinds/tests/strong_versus_weak.rs``: widths 10, 20, 40,
80; 2000 steps at batch 1024; about 30 s on 2 cores), trains it with the GIL released,
prints alpha_m per weight decay and saves the figure: held-out loss against width with the
fitted power laws, and the mean squared overlap against 1/m.

    python examples/flagship.py [--out DIR] [--quick] [--threads N]

``--quick`` trains a much shorter sweep (a few seconds; too short for the weak regime's loss
to fall with width, so the figure is not yet the paper's). The test suite
(``python/tests/test_examples.py``) runs the default reduced sweep and checks the printed
alpha_m against the store and the strong-versus-weak band.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402

import superscale  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def reduced_spec(quick: bool) -> superscale.Spec:
    tables = superscale.Spec.from_toml(REPO / "experiments" / "flagship.toml").to_dict()
    steps, batch, widths = (300, 256, [10, 20, 40]) if quick else (2000, 1024, [10, 20, 40, 80])
    tables["name"] = "flagship-quick" if quick else "flagship-reduced"
    tables["train"].update(steps=steps, batch_size=batch)
    tables["train"]["schedule"].update(warmup_steps=steps // 10)
    tables["sweep"]["model.n_hidden"] = widths
    return superscale.Spec(**tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs") / "flagship-python")
    parser.add_argument("--quick", action="store_true", help="a much shorter sweep (seconds)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    spec = reduced_spec(args.quick)
    study = superscale.run(spec, out=args.out, threads=args.threads, progress=True)
    for row in study.exponents().itertuples():
        print(f"{row.group}: alpha_m = {row.alpha_m:.3f} ± {row.alpha_m_se:.3f}, R² = {row.r_squared:.3f}")

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    superscale.plot.loss_vs_width(study, ax=left)
    superscale.plot.overlap_vs_width(study, ax=right)
    figure.suptitle("Strong (γ < 0) versus weak (γ > 0) superposition, α = 1")
    path = args.out / "flagship.png"
    figure.savefig(path, dpi=120)
    print(f"figure: {path}")
    print(f"report: {study.report}")


if __name__ == "__main__":
    main()
