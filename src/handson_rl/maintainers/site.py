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
3. **Check** the HTML (:func:`check_site`): every chapter has a page, no cell
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
import hashlib
import html.parser
import importlib.metadata
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from handson_rl.paths import IMAGES_DIR, LESSONS_DIR, ROOT, VIDEOS_DIR

BUILD_DIR = ROOT / "_build"
CONF_DIR = ROOT / "site"
BUDGETS = ("full", "smoke")

# The two JavaScript libraries the pages use, served by the site itself (no CDN):
# Mermaid (the version sphinxcontrib-mermaid 2.1.1 asks for) and MathJax 3. Each is
# the npm registry's tarball, checked against the sha256 of the file whose sha512
# matches the registry's published integrity; kept: (prefix, files below it).
NPM_ASSETS = {
    "mermaid": (
        "11.12.1",
        "3bd65ddefe97fb2e01d976a01d4078f8d773bfc56c6a75a9abf08b564ce0f8b2",
        ("package/dist/", r"mermaid\.esm\.min\.mjs|chunks/mermaid\.esm\.min/[^/]+\.mjs"),
    ),
    "mathjax": (
        "3.2.2",
        "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09",
        ("package/es5/", r"tex-mml-chtml\.js|output/chtml/fonts/woff-v2/[^/]+\.woff"),
    ),
}

VERSIONED = {"Ray": "ray", "torch": "torch", "gymnasium": "gymnasium"}


class SiteError(RuntimeError):
    """The site could not be built, or the built site has a problem."""


# --------------------------------------------------------------------- the stamp


def installed_versions() -> dict[str, str]:
    """``{"ray": "2.60.0", "torch": "2.13.0", "gymnasium": "1.2.2"}`` as installed."""
    return {pkg: importlib.metadata.version(pkg) for pkg in VERSIONED.values()}


def versions() -> str:
    """``Ray 2.60.0, torch 2.13.0, gymnasium 1.2.2`` as installed."""
    installed = installed_versions()
    return ", ".join(f"{name} {installed[pkg]}" for name, pkg in VERSIONED.items())


def stamp() -> None:
    """Say, under a chapter's title, which versions and budget made its outputs, and when.

    The site's chapter pages run this as their first (hidden) code cell, so the line
    is part of the executed, cached outputs: it dates the outputs, not the build.
    """
    from IPython.display import Markdown, display

    from handson_rl import budget

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    display(
        Markdown(
            f"*Outputs on this page: executed {now} with {versions()} "
            f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPU cores, "
            f"`COURSE_BUDGET={budget.level()}`).*"
        )
    )


# ------------------------------------------------------------------- staging


def _write(path: Path, data: bytes | str) -> None:
    """Write only when the content changes (keeps Sphinx's incremental build)."""
    if isinstance(data, str):
        data = data.encode()
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _readme_parts(readme: str) -> dict[str, str]:
    """The README pieces the landing page reuses (one source for both)."""
    lines = readme.splitlines()
    try:
        title = lines.index("# Hands-on RL with Ray RLlib")
        board = next(i for i, line in enumerate(lines) if line.startswith('<p align="center"><img'))
        table = next(i for i, line in enumerate(lines) if line.startswith("| # | Notebook |"))
    except (ValueError, StopIteration) as err:
        raise SiteError(
            "README.md no longer has the title, the board picture or the chapter table "
            "where the site expects them (handson_rl/maintainers/site.py, _readme_parts)."
        ) from err
    intro = "\n".join(
        line for line in lines[title + 1 : board] if "**Website**" not in line
    ).strip()
    end = next((i for i in range(table, len(lines)) if not lines[i].startswith("|")), len(lines))
    rows = []
    for line in lines[table + 2 : end]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != 4:
            raise SiteError(f"README chapter table row has {len(cells)} columns: {line!r}")
        rows.append(cells)
    return {"intro": intro, "rows": rows}


def chapter_title(lesson: Path) -> str:
    """``Training PPO`` from the lesson's first heading ``# 3. Training PPO``."""
    for line in lesson.read_text().splitlines():
        match = re.match(r"^# # (?:\d+\.\s*)?(.+)$", line)
        if match:
            return match.group(1).strip()
    raise SiteError(f"{lesson.name} has no '# # N. Title' heading")


def landing_page(readme: str, chapters: list[str], titles: dict[str, str] | None = None) -> str:
    titles = titles or {}
    parts = _readme_parts(readme)
    table = [
        "| # | Chapter | What you learn | Full run, 2 idle cores |",
        "|---|---|---|---|",
    ]
    for number, notebook, what, minutes in parts["rows"]:
        name = notebook.strip("`")
        if name not in chapters:
            raise SiteError(f"README's chapter table names {name}, which has no lesson.")
        table.append(
            f"| {number} | [{titles.get(name, name)}](chapters/{name}.ipynb) | {what} | {minutes} |"
        )
    toc = "\n".join(f"chapters/{name}" for name in chapters)
    return f"""# Hands-on RL with Ray RLlib

{parts["intro"]}

```{{image}} images/arena.png
:alt: The MultiAgentArena board
:width: 260px
:align: center
```

## Take the course

The pages here show every chapter with the outputs of a real run. To run it
yourself, you need Python 3.11 and bash; from a clone of the repository:

```bash
bash course.sh lab     # sets everything up, then opens the course in JupyterLab
bash course.sh test    # runs every test and executes every notebook, as CI does
bash course.sh site    # builds this website, executing every chapter
```

## Chapters

Each chapter page is the solution notebook, executed. Exercise cells appear as
learners see them in `notebooks/`; the solution is folded under "Show solution".

{chr(10).join(table)}

Coming from the 2021 course or old RLlib code? The
[old-API cheat sheet](docs/old_api_cheatsheet.md) maps every old name to Ray 2.60.
The [benchmarks](bench.md) page shows how fast the course's setup learns.

## Teach it

The [instructor guide](docs/instructor_guide.md) says, chapter by chapter, how long
each part takes in a room, what to live-code and when to start the long runs; the
<a href="slides/index.html">slide decks</a> (one per chapter, reveal.js, speaker
notes on <kbd>S</kbd>) are made from the same lessons, with these pages' outputs.

```{{toctree}}
:hidden:
:caption: Chapters

{toc}
```

```{{toctree}}
:hidden:
:caption: Reference

docs/old_api_cheatsheet
docs/instructor_guide
bench
```
"""


def _repo_link_to_code(markdown: str, here: Path, staged: set[str]) -> str:
    """Links to repository files that are not pages of the site become plain `code`."""

    def replace(match: re.Match) -> str:
        text, target = match.group(1), match.group(2)
        if re.match(r"^[a-z]+://|^#|^mailto:", target):
            return match.group(0)
        path = target.split("#")[0]
        resolved = os.path.normpath(os.path.join(here.as_posix(), path))
        if resolved in staged:
            return match.group(0)
        return text if text.startswith("`") else f"`{text}`"

    return re.sub(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)", replace, markdown)


def bench_page(bench_readme: str, plot: str | None) -> str:
    text = bench_readme
    if plot:
        text += (
            "\n\n## Time to target, plotted\n\n"
            f"```{{image}} {plot}\n:alt: time to target per setup and seed\n```\n"
        )
    return text


def time_to_target_plot(results: Path, out: Path) -> bool:
    """Draw ``bench/results/time_to_target.json`` (if present) to ``out``; True if drawn."""
    if not results.exists():
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(results.read_text())
    runs = data["runs"]
    setups = list(dict.fromkeys(run["setup"] for run in runs))
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.7 * len(setups)))
    for row, setup in enumerate(setups):
        mine = [run for run in runs if run["setup"] == setup]
        for run in mine:
            ax.plot(
                run["seconds"],
                row,
                "o" if run["reached"] else ">",
                color="C0" if run["reached"] else "C3",
                alpha=0.8,
            )
        if all(run["reached"] for run in mine):
            median = statistics.median(run["seconds"] for run in mine)
            ax.plot([median, median], [row - 0.3, row + 0.3], color="black", linewidth=2)
            ax.annotate(f"median {median:.1f} s", (median, row + 0.32), ha="center", fontsize=8)
    ax.set_yticks(range(len(setups)), setups)
    ax.set_xlabel(
        f"wall seconds from the first train()/learn() to agent1's last-100 mean >= {data['target']:g}"
        f"\n({data['date']}, {data['cpus']} cores)"
    )
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Time to target (dots: seeds; bar: median; red >: not reached by the cap)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def npm_files(
    name: str, downloads: Path = BUILD_DIR / "downloads", assets: dict | None = None
) -> dict[str, bytes]:
    """A pinned package's browser files, from the npm registry, checked against NPM_ASSETS
    (or ``assets``, a dict of the same form: the slide decks' reveal.js)."""
    version, sha256, keep = (NPM_ASSETS if assets is None else assets)[name]
    url = f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
    archive = downloads / f"{name}-{version}.tgz"
    if not archive.exists():
        downloads.mkdir(parents=True, exist_ok=True)
        print(f"downloading {url}", flush=True)
        with urllib.request.urlopen(url, timeout=120) as response:
            archive.write_bytes(response.read())
    data = archive.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        archive.unlink()
        raise SiteError(
            f"{archive.name} has sha256 {digest}, expected {sha256}; deleted it, run the "
            "build again (if it repeats, the registry serves another file)."
        )
    prefix, pattern = keep
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            rel = member.name.removeprefix(prefix)
            if member.isfile() and member.name.startswith(prefix) and re.fullmatch(pattern, rel):
                files[rel] = tar.extractfile(member).read()
    if not files:
        raise SiteError(f"{archive.name} has none of the files the site needs ({prefix}{pattern})")
    return files


def package_hash(root: Path = ROOT) -> str:
    """A hash of the course package's code (what the chapters import), not its tools."""
    digest = hashlib.sha256()
    package = root / "src" / "handson_rl"
    for path in sorted(package.rglob("*.py")):
        if "maintainers" not in path.relative_to(package).parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def site_page(lesson: Path, marker: str):
    """The page the site executes for one lesson (the slide decks look it up in the cache)."""
    import nbformat

    from handson_rl.maintainers.build import SITE_STAMP, build_lesson

    page = nbformat.reads(build_lesson(lesson, variants=("site",))["site"], as_version=4)
    stamps = [cell for cell in page.cells if cell.source == SITE_STAMP]
    if len(stamps) != 1:
        raise SiteError(f"{lesson.name}: the site page has {len(stamps)} stamp cells, not 1")
    stamps[0].source += marker
    return page


def stage(src: Path, root: Path = ROOT) -> list[str]:
    """Write the site's sources into ``src``; return the chapter names."""
    import nbformat

    lessons = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
    chapters = [lesson.stem for lesson in lessons]
    # jupyter-cache keys a notebook on its code. The stamp cell carries the package's
    # hash, so a change to the package runs every chapter again, and a change to
    # one lesson only that chapter.
    marker = f"  # course package {package_hash(root)}"
    for lesson in lessons:
        page = site_page(lesson, marker)
        _write(src / "chapters" / f"{lesson.stem}.ipynb", nbformat.writes(page) + "\n")
    staged = {f"chapters/{name}.ipynb" for name in chapters}
    staged |= {"docs/old_api_cheatsheet.md", "docs/instructor_guide.md", "bench.md", "index.md"}
    for folder in (IMAGES_DIR, VIDEOS_DIR):
        for path in folder.iterdir():
            if path.is_file():
                _write(src / folder.name / path.name, path.read_bytes())
                staged.add(f"{folder.name}/{path.name}")
    cheatsheet = (root / "docs" / "old_api_cheatsheet.md").read_text()
    _write(
        src / "docs" / "old_api_cheatsheet.md", _repo_link_to_code(cheatsheet, Path("docs"), staged)
    )
    guide = (root / "docs" / "instructor_guide.md").read_text()
    _write(src / "docs" / "instructor_guide.md", _repo_link_to_code(guide, Path("docs"), staged))
    plot = "images/bench_time_to_target.png"
    drawn = time_to_target_plot(root / "bench" / "results" / "time_to_target.json", src / plot)
    bench = (root / "bench" / "README.md").read_text()
    for png in sorted((root / "bench").glob("*.png")):
        _write(src / "bench_images" / png.name, png.read_bytes())
        staged.add(f"bench_images/{png.name}")
        bench = bench.replace(f"]({png.name})", f"](bench_images/{png.name})")
    _write(
        src / "bench.md",
        bench_page(_repo_link_to_code(bench, Path("."), staged), plot if drawn else None),
    )
    titles = {lesson.stem: chapter_title(lesson) for lesson in lessons}
    index = landing_page((root / "README.md").read_text(), chapters, titles)
    _write(src / "index.md", _repo_link_to_code(index, Path("."), staged))
    for package in NPM_ASSETS:
        for name, data in npm_files(package).items():
            _write(src / "_static" / package / name, data)
    return chapters


# ------------------------------------------------------------------- checking


class _Page(html.parser.HTMLParser):
    """Collects what :func:`check_site` looks at in one HTML page."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str]] = []  # (attribute, url)
        self.errors = 0
        self.mermaid = 0
        self._cells: list[tuple[int, bool]] = []  # (depth, allowed to raise)
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag not in ("img", "br", "meta", "link", "input", "hr", "source"):
            self._depth += 1
        if tag == "div" and "cell" in classes:
            self._cells.append((self._depth, "tag_raises-exception" in classes))
        if tag == "div" and "output" in classes and "traceback" in classes:
            if not (self._cells and self._cells[-1][1]):
                self.errors += 1
        if "mermaid" in classes:
            self.mermaid += 1
        for attr in ("href", "src"):
            if attrs.get(attr) and not (tag == "a" and attr == "src"):
                self.refs.append((f"{tag}.{attr}", attrs[attr]))

    def handle_endtag(self, tag):
        if tag in ("img", "br", "meta", "link", "input", "hr", "source"):
            return
        while self._cells and self._cells[-1][0] >= self._depth:
            self._cells.pop()
        self._depth -= 1


def check_site(html_dir: Path, chapters: list[str]) -> list[str]:
    """Problems in a built site: missing pages, error outputs, broken links and assets."""
    problems = []
    if not (html_dir / "index.html").exists():
        return [f"no {html_dir / 'index.html'}"]
    for name in chapters:
        page = html_dir / "chapters" / f"{name}.html"
        if not page.exists():
            problems.append(f"no page for chapter {name}")
            continue
        text = page.read_text()
        if "Outputs on this page: executed" not in text:
            problems.append(f"{name}: no versions/date line")
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir)
        if rel.parts[0] in ("_static", "_sources", "_images") or rel.name in (
            "genindex.html",
            "search.html",
        ):
            continue
        parser = _Page()
        parser.feed(page.read_text())
        if parser.errors:
            problems.append(f"{rel}: {parser.errors} cell(s) show an error output")
        for where, url in parser.refs:
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme in ("http", "https") or url.startswith("//"):
                if where in ("script.src", "link.href", "img.src"):
                    problems.append(f"{rel}: loads {url} from another site")
                continue
            if parsed.scheme in ("mailto", "data", "javascript") or not parsed.path:
                continue
            target = (page.parent / urllib.parse.unquote(parsed.path)).resolve()
            if not target.exists():
                problems.append(f"{rel}: {where} -> {url} does not exist")
    return problems


# ------------------------------------------------------------------- building


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build(budget: str = "full", cache: bool = True, out: Path | None = None, jobs: int = 1) -> Path:
    """Stage, build and check the site; return the HTML folder.

    ``jobs`` > 1 executes that many chapters at once before Sphinx reads them
    (:mod:`handson_rl.maintainers.site_execute`).
    """
    if budget not in BUDGETS:
        raise SiteError(f"budget {budget!r}: use one of {list(BUDGETS)}")
    base = out or BUILD_DIR / f"site-{budget}"
    src, html_dir, jcache = base / "src", base / "html", base / "jupyter_cache"
    if not cache:
        shutil.rmtree(jcache, ignore_errors=True)
        shutil.rmtree(html_dir, ignore_errors=True)
        shutil.rmtree(base / "doctrees", ignore_errors=True)
    start = time.perf_counter()
    chapters = stage(src)
    env = dict(
        os.environ,
        COURSE_BUDGET=budget,
        HANDSON_SITE_CACHE=str(jcache),
        HANDSON_SITE_SRC=str(src),
        HANDSON_SITE_VERSIONS=versions(),
        HANDSON_SITE_DATE=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    if jobs > 1 and env.get("HANDSON_SITE_EXECUTE", "cache") == "cache":
        from handson_rl.maintainers.site_execute import execute_chapters

        failed = [
            row
            for row in execute_chapters(src / "chapters", jcache, env, jobs=jobs)
            if row["error"]
        ]
        if failed:
            raise SiteError("".join(f"\n{row['name']} failed:\n{row['error']}" for row in failed))
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
    if env.get("HANDSON_SITE_EXECUTE", "cache") == "cache":
        # The chapters' slide decks, from the outputs just stored in the cache (no
        # second execution); the landing page links to them, check_site checks them.
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
        "--budget", choices=BUDGETS, default=os.environ.get("COURSE_BUDGET", "full") or "full"
    )
    parser.add_argument("--no-cache", action="store_true", help="execute every chapter again")
    parser.add_argument("--out", type=Path, help="build folder (default _build/site-<budget>)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="chapters executed at once (default 1; each starts its own Ray)",
    )
    args = parser.parse_args(argv)
    try:
        # Resolved: Sphinx runs in the staging folder, where a relative --out means something else.
        build(
            args.budget,
            cache=not args.no_cache,
            out=args.out.resolve() if args.out else None,
            jobs=args.jobs,
        )
    except SiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
