"""Time every solution notebook at the full budget, one after another, as a learner runs them.

    python bench/run_notebooks.py [--only 03,07] [--budget full|smoke] [--seed N] [--out DIR]
                                  [--cells N] [--no-run] [--json FILE]

Each notebook runs in a fresh kernel (nbclient, the engine behind ``jupyter
nbconvert --execute``), from the repository root's ``solutions/`` folder, one at a
time. The table gives each chapter's wall time (kernel start included), whether it
ran without an error, how many cores it kept busy (its kernel's and Ray's CPU
seconds over its wall time, see ``core_use.py``: 2.0 is both cores throughout) and
the whole machine's busy share, and the CPU seconds the rest of the machine used
meanwhile (see ``cpu_load.py``): the README's chapter times are only honest from an
idle run.
Executed copies go to ``--out`` (default ``outputs/bench_notebooks/``) so that
their outputs can be read afterwards. After the table come each chapter's ``--cells``
slowest cells (from the execution times nbclient records in each cell's metadata);
``--no-run`` prints only those, from the executed copies of an earlier run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

import nbclient
import nbformat
from core_use import CoreUse
from cpu_load import OtherLoad

from handson_rl.budget import LEVELS

ROOT = Path(__file__).resolve().parents[1]
SLOWEST_KEPT = 5  # slowest cells per chapter kept in --json (the README lists the slowest of all)


def run(path: Path, out_dir: Path, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    with OtherLoad() as load, CoreUse() as use:
        start = time.perf_counter()
        try:
            client.execute()
        except Exception as exc:  # noqa: BLE001 - report and go on with the next chapter
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return {
        "notebook": path.stem,
        "seconds": seconds,
        "error": error,
        "other_cpu": load.seconds,
        "core_seconds": use.core_seconds,
        "cores": use.cores,
        "machine_busy": use.machine_busy,
    }


def slowest_cells(path: Path, count: int) -> list[tuple[float, int, str]]:
    """(seconds, cell number, first line) of the ``count`` slowest code cells of an executed notebook."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for number, cell in enumerate(nb.cells):
        timing = cell.metadata.get("execution", {})
        if cell.cell_type != "code" or "shell.execute_reply" not in timing:
            continue
        started, ended = (
            datetime.datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
            for key in ("iopub.execute_input", "shell.execute_reply")
        )
        first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
        cells.append(((ended - started).total_seconds(), number, first_line[:60]))
    return sorted(cells, reverse=True)[:count]


def slowest_cells_data(executed: Path, count: int) -> list[dict]:
    """The ``count`` slowest cells of an executed notebook as data (none if it was not written)."""
    if not executed.exists():
        return []
    return [
        {"seconds": round(seconds, 1), "cell": number, "first_line": line}
        for seconds, number, line in slowest_cells(executed, count)
    ]


def print_slowest_cells(paths: list[Path], out_dir: Path, count: int) -> None:
    print(f"\nslowest {count} cells per chapter (seconds, cell number, first line):")
    for path in paths:
        executed = out_dir / path.name
        if not executed.exists():
            continue
        print(f"{path.stem}:")
        for seconds, number, line in slowest_cells(executed, count):
            print(f"  {seconds:6.0f}s  cell {number:>3}  {line}")


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated chapter numbers, e.g. 03,07")
    parser.add_argument("--budget", choices=LEVELS, default="full")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the course's seed for every chapter (sets COURSE_SEED; default: leave it, i.e. 0)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench_notebooks")
    parser.add_argument("--timeout", type=int, default=1800, help="per cell, seconds")
    parser.add_argument("--cells", type=int, default=3, help="slowest cells to list per chapter")
    parser.add_argument(
        "--no-run", action="store_true", help="only list the slowest cells of --out's copies"
    )
    parser.add_argument(
        "--json",
        type=Path,
        help="also write each chapter's row and the load to this file "
        "(e.g. bench/results/run_notebooks.json)",
    )
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    os.environ["COURSE_BUDGET"] = args.budget
    if args.seed is not None:
        os.environ["COURSE_SEED"] = str(
            args.seed
        )  # every kernel inherits it (handson_rl.budget.seed)
    from handson_rl.budget import seed

    print(f"COURSE_BUDGET={args.budget}, COURSE_SEED={seed()}", flush=True)
    wanted = {p.strip() for p in args.only.split(",") if p.strip()}
    paths = sorted(
        p
        for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")
        if not wanted or p.name[:2] in wanted
    )
    if not paths:
        raise SystemExit(f"no solution notebook matches --only {args.only}")
    if args.no_run:
        print_slowest_cells(paths, args.out, args.cells)
        return []
    rows, load = run_all(paths, args.out, args.timeout)
    if args.json:
        write_json(args.json, rows, load, args)
    if args.cells:
        print_slowest_cells(paths, args.out, args.cells)
    return rows


def run_all(
    paths: list[Path], out_dir: Path, timeout: int
) -> tuple[list[dict], tuple[float, float]]:
    """Run each notebook in turn, printing its row; returns the rows and the load average before/after."""
    load_before = os.getloadavg()[0]
    rows = []
    print(
        f"{'notebook':40} {'wall':>8} {'core-s':>8} {'cores':>6} {'machine':>8} {'other CPU':>10}  status",
        flush=True,
    )
    for path in paths:
        row = run(path, out_dir, timeout)
        row["slowest_cells"] = slowest_cells_data(out_dir / path.name, SLOWEST_KEPT)
        rows.append(row)
        print(
            f"{row['notebook']:40} {row['seconds']:7.0f}s {row['core_seconds']:7.0f}s {row['cores']:6.2f} "
            f"{row['machine_busy']:7.0f}% {row['other_cpu']:9.0f}s  {row['error'] or 'ok'}",
            flush=True,
        )
    load_after = os.getloadavg()[0]
    total = sum(r["seconds"] for r in rows)
    core_s = sum(r["core_seconds"] for r in rows)
    print(
        f"{'total':40} {total:7.0f}s {core_s:7.0f}s {core_s / total:6.2f}  ({total / 60:.1f} min; "
        f"{os.cpu_count()} cores); load average before {load_before:.2f}, after {load_after:.2f}"
    )
    return rows, (load_before, load_after)


def write_json(path: Path, rows: list[dict], load: tuple[float, float], args) -> None:
    import json
    import platform

    from handson_rl.budget import seed

    data = {
        "command": "python bench/run_notebooks.py " + " ".join(args.argv),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "budget": args.budget,
        "seed": seed(),
        "load_before": round(load[0], 2),
        "load_after": round(load[1], 2),
        "total_seconds": round(sum(r["seconds"] for r in rows), 1),
        "chapters": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
