"""The grid table of BENCHMARKS.md from the log bench/run_grid.sh writes: medians over the
repetitions of each PyTorch form's and each superscale sampler's ms per step (and peak memory),
and the speed-up of each superscale sampler over the fastest PyTorch form and over the
notebook's einsum layout, each named.

    python bench/grid_table.py LOG
"""
import json
import re
import statistics
import sys
from collections import defaultdict


def main(path: str) -> None:
    ms, rss = defaultdict(list), defaultdict(list)
    last = None
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            form = record["layout"] + (" + compile" if record["compile"] else "")
            last = ("torch", record["grid"], form)
            ms[last].append(record["ms_per_step"])
        elif (match := re.match(r"(\w+) \((\w+)\): .* ([\d.]+) ms/step", line)):
            last = ("superscale", match[1], match[2].lower())
            ms[last].append(float(match[3]))
        elif line.startswith("max_rss_kib") and last:
            rss[last].append(int(line.split()[1]) / 1024)
    print("| grid | implementation | runs | ms/step (median) | 10 000 steps, s | peak memory, MiB |")
    print("|---|---|---|---|---|---|")
    for key in sorted(ms, key=lambda k: (k[1], k[0] != "superscale", statistics.median(ms[k]))):
        who, grid, form = key
        median = statistics.median(ms[key])
        memory = f"{statistics.median(rss[key]):.0f}" if rss[key] else "—"
        name = f"superscale, {form} sampler" if who == "superscale" else f"PyTorch {form}"
        print(f"| {grid} | {name} | {len(ms[key])} | {median:.2f} | {median * 10:.1f} | {memory} |")
    print()
    for grid in sorted({k[1] for k in ms}):
        torch = {k[2]: statistics.median(v) for k, v in ms.items() if k[0] == "torch" and k[1] == grid}
        ours = {k[2]: statistics.median(v) for k, v in ms.items() if k[0] == "superscale" and k[1] == grid}
        if not torch or not ours:
            continue
        fastest = min(torch, key=torch.get)
        for sampler, value in sorted(ours.items()):
            line = (f"{grid}, superscale {sampler}: {torch[fastest] / value:.1f}× the fastest PyTorch form "
                    f"({fastest}, {torch[fastest]:.1f} ms/step)")
            if "einsum" in torch:
                line += f", {torch['einsum'] / value:.1f}× the notebook's einsum layout ({torch['einsum']:.1f} ms/step)"
            print(line)


if __name__ == "__main__":
    main(sys.argv[1])
