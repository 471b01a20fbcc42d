"""Time every solution notebook at the full budget, one after another, as a learner runs them.

    python bench/run_notebooks.py [--only 03,07] [--budget full|smoke] [--out DIR]

Each notebook runs in a fresh kernel (nbclient, the engine behind ``jupyter
nbconvert --execute``), from the repository root's ``solutions/`` folder, one at a
time. The table gives each chapter's wall time (kernel start included), whether it
ran without an error, and the CPU seconds the rest of the machine used meanwhile
(see ``_load.py``): the README's chapter times are only honest from an idle run.
Executed copies go to ``--out`` (default ``outputs/bench_notebooks/``) so that
their outputs can be read afterwards.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import nbclient
import nbformat
from _load import OtherLoad

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path, out_dir: Path, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    error = None
    with OtherLoad() as load:
        start = time.perf_counter()
        try:
            client.execute()
        except Exception as exc:  # noqa: BLE001 - report and go on with the next chapter
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return {"notebook": path.stem, "seconds": seconds, "error": error, "other_cpu": load.seconds}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated chapter numbers, e.g. 03,07")
    parser.add_argument("--budget", choices=("full", "smoke"), default="full")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench_notebooks")
    parser.add_argument("--timeout", type=int, default=1800, help="per cell, seconds")
    args = parser.parse_args(argv)
    os.environ["COURSE_BUDGET"] = args.budget
    wanted = {p.strip() for p in args.only.split(",") if p.strip()}
    paths = sorted(p for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")
                   if not wanted or p.name[:2] in wanted)
    load_before = os.getloadavg()
    rows = []
    print(f"{'notebook':40} {'wall':>8} {'other CPU':>10}  status", flush=True)
    for path in paths:
        row = run(path, args.out, args.timeout)
        rows.append(row)
        print(f"{row['notebook']:40} {row['seconds']:7.0f}s {row['other_cpu']:9.0f}s  "
              f"{row['error'] or 'ok'}", flush=True)
    total = sum(r["seconds"] for r in rows)
    print(f"{'total':40} {total:7.0f}s ({total / 60:.1f} min); load average before "
          f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    return rows


if __name__ == "__main__":
    main()
