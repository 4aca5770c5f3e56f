"""Check that the layouts of bench/torch_grid.py compute the same training run.

Every layout starts from the same parameters (the notebook's xavier-normal W, b = 0) and is
fed the same batches: drawn once, batch-major [B, I, n] as the einsum peer draws them, and
transposed to [I, B, n] or [I, n, B] for the instance-major layouts. After each AdamW step the
summed loss is compared with the einsum peer's, and after the last step W and b. Float32
sums are taken in a different order in each layout, so agreement is to a tolerance, not to
the bit. Exits 1 (and says which layout and step) if any comparison fails.

    bash bench/run_grid.sh check          # or: python bench/torch_grid_check.py [--steps 20] [--compile]
"""
import argparse
import sys

import torch

from torch_grid import BATCH, LAYOUTS, Grid, build, init_parameters, sample, transposed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--grid", default="grid", choices=["grid", "dense"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="also check the torch.compile forms")
    parser.add_argument("--loss-rtol", type=float, default=1e-5, help="relative tolerance on each step's loss")
    parser.add_argument("--param-atol", type=float, default=1e-5, help="absolute tolerance on the final W and b")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    importance, probability = build(args.grid)
    W0, b0 = init_parameters(0)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(1)
    batches = [sample(probability, BATCH, "einsum") for _ in range(args.steps)]
    torch.random.set_rng_state(generator_state)

    def run(layout: str, compile: bool):
        grid = Grid(layout, W0, b0, importance, probability, compile=compile)
        losses = []
        for x in batches:
            instance_major = x.transpose(0, 1)  # [I, B, n]
            if transposed(layout):
                instance_major = instance_major.transpose(1, 2)  # [I, n, B]
            losses.append(grid.step(x if layout == "einsum" else instance_major.contiguous()))
        return losses, grid.W.detach(), grid.b.detach()

    reference_losses, reference_W, reference_b = run("einsum", False)
    print(f"einsum: loss {reference_losses[0]:.6f} -> {reference_losses[-1]:.6f} over {args.steps} steps")
    forms = [(layout, False) for layout in LAYOUTS if layout != "einsum"]
    if args.compile:
        forms += [(layout, True) for layout in LAYOUTS]
    failed = False
    for layout, compile in forms:
        name = layout + (" (compiled)" if compile else "")
        losses, W, b = run(layout, compile)
        worst = max(abs(a - r) / abs(r) for a, r in zip(losses, reference_losses))
        dW = (W - reference_W).abs().max().item()
        db = (b - reference_b).abs().max().item()
        ok = worst <= args.loss_rtol and dW <= args.param_atol and db <= args.param_atol
        failed |= not ok
        print(f"{name}: loss {losses[0]:.6f} -> {losses[-1]:.6f}; worst relative loss difference "
              f"{worst:.2e} (tolerance {args.loss_rtol:g}), max |ΔW| {dW:.2e}, max |Δb| {db:.2e} "
              f"(tolerance {args.param_atol:g}): {'same' if ok else 'DIFFERENT'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
