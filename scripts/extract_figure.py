"""Copies one figure of a report out as a standalone SVG file, for the README and
docs/gallery.md (scripts/make_gallery.sh).

    python3 scripts/extract_figure.py runs/flagship/report.html loss-vs-width docs/figures/flagship_loss_vs_width.svg

FIGURE is the figure's name in the report (`data-figure`, as each study declares it);
`first` takes the report's first figure.
"""

import re
import sys


def main(report: str, figure: str, out: str) -> int:
    with open(report, encoding="utf-8") as handle:
        page = handle.read()
    if figure == "first":
        found = re.search(r"<figure[^>]*>\s*(<svg.*?</svg>)", page, re.S)
    else:
        found = re.search(
            r'<figure[^>]*data-figure="' + re.escape(figure) + r'"[^>]*>\s*(<svg.*?</svg>)', page, re.S
        )
    if not found:
        print(f"error: {report} has no figure {figure!r}", file=sys.stderr)
        return 1
    svg = found.group(1)
    if "xmlns=" not in svg[:200]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
