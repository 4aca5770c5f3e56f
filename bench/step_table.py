"""The report both step peers print (bench/torch_step.py, bench/jax_step.py): the JSON record
that bench/compare.py reads, then a table of ms per step by width and thread count (one table
per form when the peer times several, as torch_step.py's --forms does)."""
import json


def print_report(out, widths, threads):
    print(json.dumps(out, indent=2))
    forms = list(dict.fromkeys(r.get("form", "") for r in out["results"]))
    for form in forms:
        print()
        if form:
            print(f"form: {form}")
        print(f"{'m':>5} " + " ".join(f"{'T=' + str(t) + ' mean':>11} {'median':>8} {'cpu':>8}" for t in threads)
              + "   (ms per step; cpu = process CPU time, threads summed)")
        by = {(r["m"], r["threads"]): r for r in out["results"] if r.get("form", "") == form}
        for m in widths:
            print(f"{m:>5} " + " ".join(f"{by[(m, t)]['mean_ms']:>11.2f} {by[(m, t)]['median_ms']:>8.2f}"
                                        f" {by[(m, t)]['cpu_mean_ms']:>8.2f}" for t in threads))
