"""Build the course as a static website, with every chapter's real outputs.

    python -m handson_rl.maintainers.site                  # full budget -> _build/site-full/html
    python -m handson_rl.maintainers.site --budget smoke   # CI's quick build -> _build/site-smoke/html
    python -m handson_rl.maintainers.site --no-cache       # execute every chapter again

``bash course.sh site`` runs the first line. The steps:

1. **Stage** the sources into ``_build/site-<budget>/src/``: one page per chapter,
   made from its lesson by :func:`handson_rl.maintainers.build.build_lesson` (the
   solution notebook, with each exercise cell shown as learners see it and the
   solution folded behind "Show solution"); the landing page, made from the
   README's introduction, commands and chapter table; the old-API cheat sheet; the
   benchmarks page (``bench/README.md`` and a plot of its results); ``images/`` and
   ``videos/``; and Mermaid's JavaScript and MathJax's (from the npm registry, checked against
   pinned hashes, cached in ``_build/downloads/``), so the site needs no CDN.
2. **Build** with Sphinx, MyST-NB and the Sphinx Book Theme (``site/conf.py``).
   MyST-NB executes each chapter through jupyter-cache: a chapter whose code is
   unchanged since the last build of the same budget is not executed again.
   Warnings are errors (a broken cross-reference fails the build), and so is an
   error in a cell not tagged ``raises-exception``.
3. **Check** the HTML (:func:`handson_rl.maintainers.site_check.check_site`): every chapter has a page, no cell
   shows an unexpected error, every image, GIF, script and internal link
   resolves, and nothing is loaded from another site.

Why Sphinx + MyST-NB: it is what Ray's own documentation uses; it executes and
caches notebooks itself (jupyter-cache, keyed on the code of each notebook), folds
cells with a tag, renders Mermaid through ``sphinxcontrib-mermaid``, and its theme
is a Python package, so a build needs only PyPI (and, once, the npm registry for
Mermaid).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from handson_rl.budget import LEVELS
from handson_rl.maintainers.bench_plot import time_to_target_plot
from handson_rl.maintainers.npm_assets import NPM_ASSETS, npm_files
from handson_rl.maintainers.site_check import check_site
from handson_rl.maintainers.site_pages import (
    SiteError,
    bench_page,
    chapter_title,
    landing_page,
    repo_link_to_code,
    site_page,
    write,
)
from handson_rl.maintainers.stamp import package_hash, versions
from handson_rl.paths import IMAGES_DIR, LESSONS_DIR, ROOT, VIDEOS_DIR

BUILD_DIR = ROOT / "_build"


CONF_DIR = ROOT / "site"


def stage(src: Path, root: Path = ROOT) -> list[str]:
    """Write the site's sources into ``src`` from the repository at ``root``; return the chapter names.

    Everything staged is read below ``root`` (lessons, images, videos, docs, bench,
    README); only the npm packages come from the download cache.
    """
    import nbformat

    lessons = sorted((root / LESSONS_DIR.name).glob("[0-9][0-9]_*.py"))
    chapters = [lesson.stem for lesson in lessons]
    # jupyter-cache keys a notebook on its code. The stamp cell carries the package's
    # hash, so a change to the package runs every chapter again, and a change to
    # one lesson only that chapter.
    marker = f"  # course package {package_hash(root)}"
    for lesson in lessons:
        page = site_page(lesson, marker, seeds_dir=root / "bench" / "results")
        write(src / "chapters" / f"{lesson.stem}.ipynb", nbformat.writes(page) + "\n")
    staged = {f"chapters/{name}.ipynb" for name in chapters}
    staged |= {"docs/old_api_cheatsheet.md", "docs/instructor_guide.md", "bench.md", "index.md"}
    for folder in (root / IMAGES_DIR.name, root / VIDEOS_DIR.name):
        for path in folder.iterdir():
            if path.is_file():
                write(src / folder.name / path.name, path.read_bytes())
                staged.add(f"{folder.name}/{path.name}")
    cheatsheet = (root / "docs" / "old_api_cheatsheet.md").read_text()
    write(
        src / "docs" / "old_api_cheatsheet.md", repo_link_to_code(cheatsheet, Path("docs"), staged)
    )
    guide = (root / "docs" / "instructor_guide.md").read_text()
    write(src / "docs" / "instructor_guide.md", repo_link_to_code(guide, Path("docs"), staged))
    plot = "images/bench_time_to_target.png"
    drawn = time_to_target_plot(root / "bench" / "results" / "time_to_target.json", src / plot)
    bench = (root / "bench" / "README.md").read_text()
    for png in sorted((root / "bench").glob("*.png")):
        write(src / "bench_images" / png.name, png.read_bytes())
        staged.add(f"bench_images/{png.name}")
        bench = bench.replace(f"]({png.name})", f"](bench_images/{png.name})")
    write(
        src / "bench.md",
        bench_page(repo_link_to_code(bench, Path("."), staged), plot if drawn else None),
    )
    titles = {lesson.stem: chapter_title(lesson) for lesson in lessons}
    index = landing_page((root / "README.md").read_text(), chapters, titles)
    write(src / "index.md", repo_link_to_code(index, Path("."), staged))
    for package in NPM_ASSETS:
        for name, data in npm_files(package).items():
            write(src / "_static" / package / name, data)
    return chapters


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _build_env(budget: str, src: Path, jcache: Path) -> dict[str, str]:
    """The environment of the chapters' execution and of Sphinx (read by ``site/conf.py``)."""
    return dict(
        os.environ,
        COURSE_BUDGET=budget,
        HANDSON_SITE_CACHE=str(jcache),
        HANDSON_SITE_SRC=str(src),
        HANDSON_SITE_VERSIONS=versions(),
        HANDSON_SITE_DATE=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _execute_first(src: Path, jcache: Path, env: dict, jobs: int, twice: tuple[str, ...]) -> None:
    """Execute the chapters into the cache before Sphinx reads them; SiteError if one fails."""
    from handson_rl.maintainers.site_execute import execute_chapters

    failed = [
        row
        for row in execute_chapters(src / "chapters", jcache, env, jobs=jobs, twice=twice)
        if row["error"]
    ]
    if failed:
        raise SiteError("".join(f"\n{row['name']} failed:\n{row['error']}" for row in failed))


def _sphinx(budget: str, base: Path, src: Path, html_dir: Path, env: dict) -> None:
    """Run sphinx-build on ``src`` into ``html_dir``; SiteError if it fails."""
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-c",
        str(CONF_DIR),
        "-d",
        str(base / "doctrees"),
        "-W",
        "--keep-going",
        "-q",
        str(src),
        str(html_dir),
    ]
    print(f"building the {budget}-budget site: {' '.join(cmd[2:])}", flush=True)
    # Each kernel says on stderr that it talks over TCP on loopback: noise here.
    proc = subprocess.Popen(cmd, env=env, cwd=src, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "Kernel is running over TCP without encryption" not in line:
            sys.stderr.write(line)
    if proc.wait():
        raise SiteError(
            f"sphinx-build failed (exit {proc.returncode}); the messages above say where. "
            f"Executed notebooks' reports are in {base / 'doctrees'} and {html_dir / 'reports'}."
        )


def _slide_decks(html_dir: Path, jcache: Path, budget: str) -> None:
    """The chapters' slide decks, from the outputs just stored in the cache (no
    second execution); the landing page links to them, check_site checks them."""
    from handson_rl.maintainers.slides import SlidesError, build_decks

    deck_start = time.perf_counter()
    try:
        decks = build_decks(
            html_dir / "slides", jcache, budget, guide_link="../docs/instructor_guide.html"
        )
    except SlidesError as err:
        raise SiteError(f"the slide decks: {err}") from err
    print(
        f"{len(decks)} slide decks in {time.perf_counter() - deck_start:.1f} s: {html_dir / 'slides'}",
        flush=True,
    )


def build(
    budget: str = "full",
    cache: bool = True,
    out: Path | None = None,
    jobs: int = 1,
    twice: tuple[str, ...] = (),
) -> Path:
    """Stage, build and check the site; return the HTML folder.

    ``jobs`` > 1 executes that many chapters at once before Sphinx reads them
    (:mod:`handson_rl.maintainers.site_execute`). ``twice``: chapters (name
    prefixes, e.g. ``("03",)``) executed with each cell run twice in a row, as a
    learner who runs a cell again does; CI's smoke build checks chapter 3 so.
    """
    if budget not in LEVELS:
        raise SiteError(f"budget {budget!r}: use one of {list(LEVELS)}")
    base = out or BUILD_DIR / f"site-{budget}"
    src, html_dir, jcache = base / "src", base / "html", base / "jupyter_cache"
    if not cache:
        shutil.rmtree(jcache, ignore_errors=True)
        shutil.rmtree(html_dir, ignore_errors=True)
        shutil.rmtree(base / "doctrees", ignore_errors=True)
    start = time.perf_counter()
    chapters = stage(src)
    env = _build_env(budget, src, jcache)
    if (jobs > 1 or twice) and env.get("HANDSON_SITE_EXECUTE", "cache") == "cache":
        _execute_first(src, jcache, env, jobs, twice)
    _sphinx(budget, base, src, html_dir, env)
    if env.get("HANDSON_SITE_EXECUTE", "cache") == "cache":
        _slide_decks(html_dir, jcache, budget)
    problems = check_site(html_dir, chapters)
    if problems:
        raise SiteError("The built site has problems:\n  " + "\n  ".join(problems))
    seconds = time.perf_counter() - start
    print(
        f"site built in {seconds:.0f} s: {html_dir / 'index.html'} "
        f"({_tree_size(html_dir) / 1e6:.1f} MB, {len(list(html_dir.rglob('*.html')))} pages)"
    )
    return html_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the course website (see the module docstring)."
    )
    parser.add_argument(
        "--budget", choices=LEVELS, default=os.environ.get("COURSE_BUDGET", "full") or "full"
    )
    parser.add_argument("--no-cache", action="store_true", help="execute every chapter again")
    parser.add_argument("--out", type=Path, help="build folder (default _build/site-<budget>)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="chapters executed at once (default 1; each starts its own Ray)",
    )
    parser.add_argument(
        "--twice",
        default="",
        help="chapters whose cells each run twice in a row, e.g. 03 (comma-separated)",
    )
    args = parser.parse_args(argv)
    try:
        # Resolved: Sphinx runs in the staging folder, where a relative --out means something else.
        build(
            args.budget,
            cache=not args.no_cache,
            out=args.out.resolve() if args.out else None,
            jobs=args.jobs,
            twice=tuple(c.strip() for c in args.twice.split(",") if c.strip()),
        )
    except SiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
