"""Run every code cell of a chapter twice in a row, as a learner does, and time it.

Learners run cells again all the time. This executes each chapter in a fresh
kernel with every code cell run twice in a row (``--mode cells``), or the whole
chapter twice from its first cell in one kernel (``--mode chapter``), and reports
errors, hangs (a cell slower than ``--cell-limit`` seconds) and each chapter's
time::

    COURSE_BUDGET=smoke python -m handson_rl.maintainers.rerun [--only 03,07]
        [--folder solutions|notebooks] [--mode cells|chapter] [--cell-limit 300]

"Twice in a row" is an IPython extension, so the same switch works for any way of
executing a notebook (nbclient, MyST-NB's website build): loaded into the kernel,
it runs each cell's code once with its output hidden, then again as usual, so the
executed notebook looks like a normal run. Load it with the kernel option
``--ext=handson_rl.maintainers.rerun``, with ``%load_ext handson_rl.maintainers.rerun``,
or through the environment: ``python -m handson_rl.maintainers.rerun
--make-ipython-dir DIR`` writes an IPython folder whose kernel config loads it,
and every kernel started with ``IPYTHONDIR=DIR`` then runs each cell twice.
In ``notebooks/`` the cells tagged ``nbval-skip`` (exercise stubs, checkers) are
left out, as CI does.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import os
import sys
import time
from pathlib import Path

from handson_rl.paths import ROOT

FIRST_RUN = "__handson_rl_first_run__"
SKIP = "nbval-skip"


# ------------------------------------------------------------- the extension
class _NullPublisher:
    """Stands in for IPython's display publisher during a cell's hidden first run."""

    def publish(self, *args, **kwargs):
        pass

    def clear_output(self, *args, **kwargs):
        pass

    def __getattr__(self, name):  # anything else the real publisher has: do nothing
        return lambda *args, **kwargs: None


@contextlib.contextmanager
def first_run():
    """Hide everything a block prints or displays (the first of a cell's two runs)."""
    from IPython import get_ipython

    shell = get_ipython()
    publisher = shell.display_pub if shell is not None else None
    if shell is not None:
        shell.display_pub = _NullPublisher()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    except BaseException as error:
        error.add_note(
            "(raised by the first of this cell's two runs: handson_rl.maintainers.rerun)"
        )
        raise
    finally:
        if shell is not None:
            shell.display_pub = publisher
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")  # figures of the hidden run are not shown at the cell's end


class RunTwice(ast.NodeTransformer):
    """Turn a cell's code ``BODY`` into ``with first_run(): BODY`` followed by ``BODY``."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        if not node.body:
            return node
        hidden = ast.With(
            items=[ast.withitem(context_expr=ast.Call(ast.Name(FIRST_RUN, ast.Load()), [], []))],
            body=copy.deepcopy(node.body),
        )
        node.body = [hidden, *node.body]
        return ast.fix_missing_locations(node)


def load_ipython_extension(shell) -> None:
    shell.user_ns[FIRST_RUN] = first_run
    if not any(isinstance(t, RunTwice) for t in shell.ast_transformers):
        shell.ast_transformers.append(RunTwice())


def unload_ipython_extension(shell) -> None:
    shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, RunTwice)]


def make_ipython_dir(path) -> Path:
    """An IPython folder whose kernels load this extension (use it as ``IPYTHONDIR``)."""
    profile = Path(path) / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(
        "# Every code cell runs twice in a row: see handson_rl/maintainers/rerun.py.\n"
        f"c.IPKernelApp.extensions = [{__name__!r}]\n"
    )
    return Path(path)


# ---------------------------------------------------------------- the runner
def _prepare(nb, folder: str, mode: str):
    if folder == "notebooks":
        nb.cells = [c for c in nb.cells if SKIP not in c.get("metadata", {}).get("tags", [])]
    if mode == "chapter":
        nb.cells = nb.cells + copy.deepcopy(nb.cells)
    return nb


def cell_seconds(cell) -> float | None:
    import datetime

    timing = cell.metadata.get("execution", {})
    if "shell.execute_reply" not in timing or "iopub.execute_input" not in timing:
        return None
    start, end = (
        datetime.datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
        for key in ("iopub.execute_input", "shell.execute_reply")
    )
    return (end - start).total_seconds()


def run_chapter(
    path: Path, *, folder: str = "solutions", mode: str = "cells", cell_limit: float = 300.0
) -> dict:
    """Execute one notebook with every cell run twice (or the chapter twice); one result row."""
    import nbclient
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = _prepare(nbformat.read(path, as_version=4), folder, mode)
    extra = ["--ext=handson_rl.maintainers.rerun"] if mode == "cells" else []
    client = nbclient.NotebookClient(
        nb,
        timeout=int(cell_limit),
        kernel_name="python3",
        extra_arguments=extra,
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = hang = None
    start = time.perf_counter()
    try:
        client.execute()
    except CellTimeoutError as exc:
        hang = str(exc).splitlines()[0][:200]
    except CellExecutionError as exc:
        lines = [line for line in str(exc).splitlines() if line.strip()]
        error = (lines[-1] if lines else repr(exc))[:300]
    except Exception as exc:  # noqa: BLE001 - a dead kernel, say: report it, go on
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    seconds = time.perf_counter() - start
    timed = [
        (s, i)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (s := cell_seconds(c)) is not None
    ]
    slowest = max(timed, default=(0.0, -1))
    first_line = ""
    if slowest[1] >= 0:
        first_line = next((ln for ln in nb.cells[slowest[1]].source.splitlines() if ln.strip()), "")
    return {
        "chapter": path.stem,
        "seconds": seconds,
        "error": error,
        "hang": hang,
        "slowest_cell_s": slowest[0],
        "slowest_cell": first_line[:60],
        "notebook": nb,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated chapter numbers, e.g. 03,07")
    parser.add_argument("--folder", choices=("solutions", "notebooks"), default="solutions")
    parser.add_argument("--mode", choices=("cells", "chapter"), default="cells")
    parser.add_argument(
        "--cell-limit", type=float, default=300.0, help="a slower cell counts as a hang (s)"
    )
    parser.add_argument("--out", default="", help="save the executed notebooks in this folder")
    parser.add_argument(
        "--make-ipython-dir",
        metavar="DIR",
        help="only write an IPYTHONDIR that turns run-twice on, and exit",
    )
    args = parser.parse_args(argv)
    if args.make_ipython_dir:
        print(f"IPYTHONDIR={make_ipython_dir(args.make_ipython_dir).resolve()}")
        return 0
    wanted = {n.strip().zfill(2) for n in args.only.split(",") if n.strip()}
    paths = sorted(
        p
        for p in (ROOT / args.folder).glob("[0-9][0-9]_*.ipynb")
        if not wanted or p.name[:2] in wanted
    )
    if not paths:
        parser.error(f"no notebook in {args.folder}/ matches --only {args.only!r}")
    print(
        f"budget={os.environ.get('COURSE_BUDGET', 'full')} folder={args.folder} mode={args.mode} "
        f"cell limit={args.cell_limit:g} s; load before: {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    rows, total = [], time.perf_counter()
    for path in paths:
        row = run_chapter(path, folder=args.folder, mode=args.mode, cell_limit=args.cell_limit)
        rows.append(row)
        status = (
            "ok"
            if not (row["error"] or row["hang"])
            else ("HANG " + row["hang"] if row["hang"] else "ERROR " + row["error"])
        )
        print(
            f"{row['chapter']:<32} {row['seconds']:7.1f} s  slowest cell {row['slowest_cell_s']:6.1f} s "
            f"({row['slowest_cell']})  {status}",
            flush=True,
        )
        if args.out:
            import nbformat

            Path(args.out).mkdir(parents=True, exist_ok=True)
            nbformat.write(row["notebook"], Path(args.out) / path.name)
    errors = sum(1 for r in rows if r["error"])
    hangs = sum(1 for r in rows if r["hang"])
    print(
        f"chapters: {len(rows)}, errors: {errors}, hangs: {hangs}, "
        f"total {time.perf_counter() - total:.0f} s; load after: {os.getloadavg()[0]:.1f}"
    )
    return 1 if errors or hangs else 0


if __name__ == "__main__":
    sys.exit(main())
