"""The checks of scripts/test_reports_browser.sh, run inside the browser.

    python3 scripts/report_checks.py inject REPORT.html > CHECKED.html
    python3 scripts/report_checks.py verdict DUMPED_DOM.html CONSOLE.log > checks.json

`inject` adds a script to a copy of a report (reports have none of their own) that checks
the rendered page and writes its findings as JSON into <pre id="superscale-checks">.
`verdict` reads them back from the DOM Chromium dumped, adds any console message (a
report has no script, so any is an error), prints the JSON and exits 1 on a failure.
The tick-label limit is superscale_report::chart::MAX_TICK_CHARS.
"""

import html
import json
import re
import sys

MAX_TICK_CHARS = 8

CHECKS = r"""
<script>
(function () {
  const errors = [];
  window.addEventListener("error", (e) => errors.push("page error: " + e.message));
  function check() {
    const declared = [];
    document.querySelectorAll(".declared-figures").forEach((d) =>
      d.dataset.figures.split(" ").filter((f) => f).forEach((f) => declared.push(f)));
    const drawn = [];
    document.querySelectorAll("figure[data-figure]").forEach((f) => {
      const svg = f.querySelector("svg");
      const box = svg ? svg.getBoundingClientRect() : null;
      if (!svg || box.width < 50 || box.height < 50) {
        errors.push("figure " + f.dataset.figure + " has no visible SVG");
      }
      drawn.push(f.dataset.figure);
    });
    declared.forEach((f) => {
      if (!drawn.includes(f)) errors.push("declared figure missing: " + f);
    });
    let legends = 0;
    document.querySelectorAll("svg g.legend").forEach((g) => {
      legends += 1;
      const entries = [...g.querySelectorAll(".entry")].map((e) => e.textContent.trim());
      if (entries.length === 0) errors.push("an empty legend");
      if (entries.some((t) => t === "")) errors.push("a legend entry without text");
      const seen = new Set();
      entries.forEach((t) => {
        if (seen.has(t)) errors.push("legend names the same thing twice: " + t);
        seen.add(t);
      });
    });
    let ticks = 0;
    document.querySelectorAll("svg text").forEach((t) => {
      const text = t.textContent.trim().replace(/\u2212/g, "-");
      if (/^-?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?$/.test(text)) {
        ticks += 1;
        if (text.length > MAX) errors.push("tick label too long: " + text);
      }
    });
    const pre = document.createElement("pre");
    pre.id = "superscale-checks";
    pre.textContent = JSON.stringify({ errors, declared, figures: drawn, legends, ticks });
    document.body.appendChild(pre);
  }
  window.addEventListener("load", check);
})();
</script>
"""


def inject(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    script = CHECKS.replace("MAX", str(MAX_TICK_CHARS))
    sys.stdout.write(page.replace("<head>", "<head>" + script, 1))


def verdict(dom_path: str, console_path: str) -> int:
    with open(dom_path, encoding="utf-8") as handle:
        dom = handle.read()
    found = re.search(r'<pre id="superscale-checks">(.*?)</pre>', dom, re.S)
    if not found:
        print(json.dumps({"errors": ["the checks did not run (no result in the DOM)"]}))
        return 1
    result = json.loads(html.unescape(found.group(1)))
    with open(console_path, encoding="utf-8", errors="replace") as handle:
        console = [line.strip() for line in handle if ":CONSOLE" in line]
    result["errors"] += ["console: " + line for line in console]
    print(json.dumps(result, ensure_ascii=False))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    if sys.argv[1] == "inject":
        inject(sys.argv[2])
    elif sys.argv[1] == "verdict":
        sys.exit(verdict(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
