"""Prints an experiment file reduced to seconds of training, for the browser test of the
reports (scripts/test_reports_browser.sh): the same kind, model shapes and sweep axes (so
the report declares and draws the same figures), with fewer steps, smaller batches, test
sets and resamples. Lines are rewritten in place, so comments and layout stay.

    python3 scripts/reduce_experiment.py experiments/flagship.toml > reduced.toml
"""

import re
import sys

# field name -> the largest value kept
CAPS = {
    "steps": 150,
    "warmup_steps": 15,
    "batch_size": 128,
    "heldout_batches": 5,
    "test_points": 2000,
    "test_points_per_task": 100,
    "bootstrap_resamples": 100,
    "bootstrap": 100,
    "permutations": 20,
    "probe": 256,
    "test": 512,
    "samples_per_feature": 50,
    "shuffles": 10,
    "eval_points": 12,
    "replicates": 2,
    # the LLC sampler (the llc kind's [sampler], a toy study's [llc] sampler)
    "draws": 200,
    "burn_in": 100,
    "chains": 4,
    # rows of the LLC dataset ([data] n of the llc kind, [llc] n of a toy study)
    "n": 256,
}

LINE = re.compile(r"^(\s*)([A-Za-z_]+)(\s*=\s*)(\d+)(\s*(#.*)?)$")
INLINE = re.compile(r"\b(" + "|".join(CAPS) + r")(\s*=\s*)(\d+)")


def reduce(text: str) -> str:
    out = []
    for line in text.splitlines():
        match = LINE.match(line)
        if match and match.group(2) in CAPS:
            value = min(int(match.group(4)), CAPS[match.group(2)])
            line = f"{match.group(1)}{match.group(2)}{match.group(3)}{value}{match.group(5)}"
        elif "{" in line:
            # inline tables such as schedule = { kind = "warmup_cosine", warmup_steps = 300 }
            line = INLINE.sub(
                lambda m: f"{m.group(1)}{m.group(2)}{min(int(m.group(3)), CAPS[m.group(1)])}",
                line,
            )
        out.append(line)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        sys.stdout.write(reduce(handle.read()))
