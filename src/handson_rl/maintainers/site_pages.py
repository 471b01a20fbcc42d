"""The website's pages, made from the repository's files.

A chapter's page from its lesson (:func:`site_page`: the site variant of
:func:`handson_rl.maintainers.build.build_lesson`, with the stamp cell of
:mod:`handson_rl.maintainers.stamp`), the landing page from the README
(:func:`landing_page`), the benchmarks page (:func:`bench_page`), and links to
repository files made to work on the site (:func:`repo_link_to_code`).
:func:`write` writes a staged file only when its content changes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from handson_rl.maintainers.stamp import add_stamp


class SiteError(RuntimeError):
    """The site could not be built, or the built site has a problem."""


def write(path: Path, data: bytes | str) -> None:
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
            "where the site expects them (handson_rl/maintainers/site_pages.py, _readme_parts)."
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


def repo_link_to_code(markdown: str, here: Path, staged: set[str]) -> str:
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


def site_page(lesson: Path, marker: str, seeds_dir: Path | None = None):
    """The page the site executes for one lesson (the slide decks look it up in the cache).

    ``seeds_dir`` holds the seed ranges the prose quotes (default: ``bench/results/``).
    """
    import nbformat

    from handson_rl.maintainers.build import build_lesson

    text = build_lesson(lesson, variants=("site",), seeds_dir=seeds_dir)["site"]
    page = nbformat.reads(text, as_version=4)
    add_stamp(page, marker)
    return page
