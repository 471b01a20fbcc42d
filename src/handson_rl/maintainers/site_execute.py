"""Execute the website's chapters before Sphinx reads them, several at a time.

MyST-NB executes a chapter when Sphinx reads its page, one page after another.
Each chapter spends part of its time waiting (its kernel and Ray's processes
starting), so with ``jobs=2`` two chapters run at once and both cores stay busy.
This runs exactly what MyST-NB's "cache" mode would run (the staged notebook as
``nbformat`` reads it, in its own folder, errors allowed only in cells tagged
``raises-exception``) and stores the result in the same jupyter-cache, where
Sphinx then finds every chapter already executed. A chapter already in the cache
is not run again.

Chapters that read what another writes run after it (:data:`AFTER`: chapter 12
plays the agents of chapter 7's Exercise 2 when they are there).
"""

from __future__ import annotations

import os
import resource
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path

#: chapter -> chapters that must have finished before it starts.
AFTER = {"12_did_it_learn": ("07_ray_tune",)}


def pending_chapters(chapters_dir: Path, cache_path: Path) -> list[Path]:
    """The staged chapter notebooks the cache has no executed copy of."""
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path))
    pending = []
    for path in sorted(chapters_dir.glob("*.ipynb")):
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            pending.append(path)
    return pending


#: What the cache record of a chapter executed with each cell run twice says so.
TWICE = "each_cell_ran_twice"


def execute_one(
    path: str, cache_path: str, env: dict[str, str], timeout: int, twice: bool = False
) -> dict:
    """Execute one staged chapter in its folder and store it in the cache (a worker process).

    ``twice``: run every code cell twice in a row (the kernel loads
    :mod:`handson_rl.maintainers.rerun`, as a learner who runs each cell again
    does; the page shows the second run's outputs), and say so in the cache record
    (``data[TWICE]``, read by :func:`ran_each_cell_twice`).

    Returns its name, wall seconds, the core-seconds of its kernel and everything the
    kernel started (counted once they have ended), and the traceback if a cell failed.
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ.update(env)
    cache = get_cache(cache_path)
    notebook = nbformat.read(path, as_version=4)
    record = cache.add_nb_to_project(path)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    extra = {"extra_arguments": ["--ext=handson_rl.maintainers.rerun"]} if twice else {}
    result = single_nb_execution(
        notebook, cwd=str(Path(path).parent), timeout=timeout, allow_errors=False, **extra
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.err is None:
        cache.cache_notebook_bundle(
            CacheBundleIn(
                notebook, record.uri, data={"execution_seconds": result.time, TWICE: twice}
            ),
            check_validity=False,
            overwrite=True,
        )
    return {
        "name": Path(path).stem,
        "seconds": result.time,
        "cpu": cpu,
        "error": result.exc_string if result.err is not None else None,
        "twice": twice,
    }


def ready_chapters(pending: list[Path], running: set[str]) -> list[Path]:
    """The pending chapters none of whose :data:`AFTER` chapters is still pending or running."""
    waiting_for = {p.stem for p in pending} | running
    return [p for p in pending if not waiting_for.intersection(AFTER.get(p.stem, ()))]


def execute_chapters(
    chapters_dir: Path,
    cache_path: Path,
    env: dict[str, str],
    jobs: int = 2,
    timeout: int = 3600,
    log=print,
    twice: tuple[str, ...] = (),
    twice_cell_limit: int = 300,
) -> list[dict]:
    """Execute every chapter the cache lacks, ``jobs`` at a time; one row per chapter.

    Chapters whose name starts with one of ``twice`` (e.g. ``("03",)``) run each
    cell twice in a row, and a cell slower than ``twice_cell_limit`` seconds fails
    them as a hang. A chapter whose cell fails is reported in its row (``error``)
    and not cached; the others still run.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    pending = pending_chapters(chapters_dir, cache_path)
    rows: list[dict] = []
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        running = {}
        while pending or running:
            for path in ready_chapters(pending, set(running.values()))[: jobs - len(running)]:
                pending.remove(path)
                rerun = path.stem.startswith(tuple(twice)) if twice else False
                limit = min(timeout, twice_cell_limit) if rerun else timeout
                future = pool.submit(execute_one, str(path), str(cache_path), env, limit, rerun)
                running[future] = path.stem
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                row = future.result()
                running.pop(future)
                rows.append(row)
                log(
                    f"executed {row['name']}{' (each cell twice)' if row['twice'] else ''}: "
                    f"{row['seconds']:.0f} s, {row['cpu']:.0f} core-s"
                    f"{' (FAILED)' if row['error'] else ''} [{time.perf_counter() - start:.0f} s since start]"
                )
    return rows


def _cached(html_dir: Path, name: str, lookup: str):
    """Chapter ``name``'s staged notebook looked up in the jupyter-cache of the website
    built in ``html_dir`` with the cache's method ``lookup``; clear errors when the
    site or the chapter's execution is not there."""
    import nbformat
    from jupyter_cache import get_cache

    base = Path(html_dir).parent
    staged = base / "src" / "chapters" / f"{name}.ipynb"
    if not staged.exists():
        raise FileNotFoundError(
            f"{staged} does not exist: is {html_dir} a built site, and {name} a chapter?"
        )
    cache = get_cache(str(base / "jupyter_cache"))
    try:
        return getattr(cache, lookup)(nbformat.read(staged, as_version=4))
    except KeyError as err:
        raise FileNotFoundError(
            f"the site's jupyter-cache holds no executed {name}: build the site again"
        ) from err


def executed_chapter(html_dir: Path, name: str):
    """Chapter ``name`` as a website build executed it: the staged notebook with the
    outputs its jupyter-cache holds (``html_dir`` is the built site, e.g.
    ``_build/site-smoke/html``, which ``course.sh test`` passes to the built-site tests
    as ``HANDSON_SITE_HTML``). Tests read it instead of running the same cells again.
    """
    _, notebook = _cached(html_dir, name, "merge_match_into_notebook")
    return notebook


def ran_each_cell_twice(html_dir: Path, name: str) -> bool:
    """Whether the website build of ``html_dir`` executed chapter ``name`` with each
    cell run twice (``execute_chapters(..., twice=...)``; the build fails when a cell
    of such a chapter raises or hangs, so a built site that says True passed)."""
    record = _cached(html_dir, name, "match_cache_notebook")
    return bool((record.data or {}).get(TWICE, False))


def cell_output_text(notebook, marker: str) -> str:
    """The text outputs (streams, plain-text results) of the one code cell containing ``marker``."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    if len(cells) != 1:
        raise LookupError(f"{len(cells)} code cells contain {marker!r}, expected 1")
    texts = []
    for output in cells[0].get("outputs", []):
        if output.get("output_type") == "stream":
            texts.append(output["text"])
        elif "data" in output:
            texts.append(output["data"].get("text/plain", ""))
    return "".join(texts)
