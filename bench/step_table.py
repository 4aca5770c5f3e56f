"""The report both step peers print (bench/torch_step.py, bench/jax_step.py): the JSON record
that bench/compare.py reads, then a table of ms per step by width and thread count."""
import json


def print_report(out, widths, threads):
    print(json.dumps(out, indent=2))
    print()
    print(f"{'m':>5} " + " ".join(f"{'T=' + str(t) + ' mean':>11} {'median':>8} {'cpu':>8}" for t in threads)
          + "   (ms per step; cpu = process CPU time, threads summed)")
    by = {(r["m"], r["threads"]): r for r in out["results"]}
    for m in widths:
        print(f"{m:>5} " + " ".join(f"{by[(m, t)]['mean_ms']:>11.2f} {by[(m, t)]['median_ms']:>8.2f}"
                                    f" {by[(m, t)]['cpu_mean_ms']:>8.2f}" for t in threads))
