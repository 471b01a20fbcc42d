"""What each full run printed about itself: every "your run" line and every verdict.

    python bench/check_runs.py outputs/bench_notebooks/seed0 outputs/bench_notebooks/seed1 ...

Reads the executed notebooks that ``bench/run_notebooks.py --seed N --out DIR`` left
in each DIR and lists, chapter by chapter, the lines the chapters print to place a
run against the seed ranges of ``bench/results/seeds_*.json`` ("your run: ...,
inside the range ...") and the comparisons' verdicts ("... -> beyond the noise" /
"within the noise"), one column per run. A "your run" line outside its range is
marked; the prose must still be true of it (it says what such a run means). The
exit status is 1 when a notebook is missing or ended with an error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

#: The lines a chapter prints about its own run.
SELF_REPORT = re.compile(r"(your run\b.*|.*-> (?:beyond|within) the noise.*)")


def printed_lines(path: Path) -> list[str]:
    """Every line of text the notebook's code cells printed (stream outputs)."""
    nb = nbformat.read(path, as_version=4)
    lines = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                lines += output.get("text", "").splitlines()
    return lines


def errors(path: Path) -> list[str]:
    """The error outputs of a notebook (empty when it ran through), except in cells
    tagged ``raises-exception``, whose error is the lesson's point."""
    nb = nbformat.read(path, as_version=4)
    return [
        f"{o.get('ename')}: {o.get('evalue')}"
        for cell in nb.cells
        if "raises-exception" not in cell.get("metadata", {}).get("tags", [])
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def self_reports(path: Path) -> list[str]:
    """The "your run" and verdict lines of one executed notebook, in order."""
    return [m.group(1).strip() for line in printed_lines(path) if (m := SELF_REPORT.search(line))]


def outside(line: str) -> bool:
    """True for a "your run" line that places the run outside its seed range."""
    return line.startswith("your run") and (
        "below the range" in line or "above the range" in line or "outside" in line
    )


def report(run_dirs: list[Path]) -> int:
    """Print the chapters' self-reports run by run; return the number of failed notebooks."""
    failed = 0
    chapters = sorted({p.name for d in run_dirs for p in d.glob("*.ipynb")})
    for chapter in chapters:
        print(f"\n## {chapter}")
        for run in run_dirs:
            path = run / chapter
            if not path.exists():
                print(f"  [{run.name}] MISSING")
                failed += 1
                continue
            if errs := errors(path):
                print(f"  [{run.name}] ERROR: {errs[0]}")
                failed += 1
            for line in self_reports(path):
                mark = "OUTSIDE " if outside(line) else ""
                print(f"  [{run.name}] {mark}{line}")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="folders of executed notebooks")
    args = parser.parse_args(argv)
    failed = report(args.runs)
    print(f"\n{failed} notebook(s) missing or ended with an error")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
