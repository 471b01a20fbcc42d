"""Build the learners' notebooks (and the course's images) from their one source.

Each lesson is written once, as a jupytext percent-format script in ``lessons/``.
From it this command writes two notebooks:

- ``solutions/NN_name.ipynb``: the lesson as written, every exercise solved;
- ``notebooks/NN_name.ipynb``: the same with each solution replaced by a stub.

Markers in a lesson source:

- In a code cell, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION``
  (each on a line of its own) are the solution. The exercise notebook keeps the
  cell's other lines and puts, at the same indentation, the stub:
  ``raise NotImplementedError("<hint>")`` where the hint is the text after
  ``BEGIN SOLUTION`` (or a generic one).
- A code cell tagged ``solution`` (``# %% tags=["solution"]``) is a solution as a
  whole; the exercise notebook gets ``# Your code here`` plus the cell's first
  comment lines.
- A code cell tagged ``concept`` asks a concept check (``ask("<id>")``); on the
  website it is followed by the answer, folded (``reveal("<id>")``).
- A code cell tagged ``check`` calls an exercise checker; one tagged
  ``needs-solution`` uses the learner's answer. Both are kept in both notebooks;
  in the exercise notebook they are tagged ``nbval-skip``, because the stub is
  meant to fail them until the learner has written the answer. So is a cell
  whose stub stands at the top level (not inside a function): it always raises.

In a markdown cell, ``{{seeds:KEY}}`` (or ``{{seeds:KEY:FMT}}``, a Python number
format such as ``+.2f``; default ``+.1f``) stands for a range measured over many
seeds by a script in ``bench/`` (:mod:`handson_rl.verdicts`): every
generated file gets, e.g., "between +18.2 and +27.5 (over 10 seeds,
`bench/seed_ranges.py`)". A key that no ``bench/results/seeds_*.json`` holds fails
the build, naming the key and the scripts.

Outputs are empty, cell ids are derived from the cell's content (no random ids),
and the only notebook metadata is the kernel and language, so diffs stay readable.

The same command regenerates every other generated file: ``images/`` (see
:mod:`handson_rl.maintainers.images`), the ``README.md`` of ``notebooks/`` and
``solutions/`` that tells an editor where their source is, and ``videos/`` (see
:mod:`handson_rl.maintainers.videos`).

    python -m handson_rl.maintainers.build            # (re)write everything generated
    python -m handson_rl.maintainers.build --check    # exit 1 and list what is out of date
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import jupytext
import nbformat

from handson_rl.paths import ROOT

LESSONS = "lessons"
TARGETS = {"solutions": "solution", "notebooks": "exercise"}

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "version": "3.11"}

_BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::?\s*(?P<hint>.*))?$")
_END = re.compile(r"^\s*# END SOLUTION\s*$")


class LessonError(ValueError):
    """A lesson source whose markers do not fit together."""


def _strip_regions(source: str, where: str) -> tuple[str, str]:
    """Return (solution_text, exercise_text) of one code cell's source."""
    sol, ex = [], []
    inside = None
    for n, line in enumerate(source.splitlines(), 1):
        begin = _BEGIN.match(line)
        if begin:
            if inside is not None:
                raise LessonError(f"{where}, line {n}: BEGIN SOLUTION inside another one.")
            inside = begin
            hint = (begin.group("hint") or "").strip() or "write this part of the exercise"
            ex.append(f"{begin.group('indent')}raise NotImplementedError({hint!r})")
            continue
        if _END.match(line):
            if inside is None:
                raise LessonError(f"{where}, line {n}: END SOLUTION without BEGIN.")
            inside = None
            continue
        sol.append(line)
        if inside is None:
            ex.append(line)
    if inside is not None:
        raise LessonError(f"{where}: BEGIN SOLUTION is never closed by END SOLUTION.")
    return "\n".join(sol), "\n".join(ex)


def _cell_id(cell_type: str, source: str, seen: set[str]) -> str:
    base = hashlib.sha1(f"{cell_type}\n{source}".encode()).hexdigest()[:10]
    cid, k = base, 1
    while cid in seen:
        cid, k = f"{base}-{k}", k + 1
    seen.add(cid)
    return cid


SITE_EXERCISE_CELL = "**Exercise cell**, as it stands in `notebooks/`:\n\n```python\n{code}\n```"
SOLUTION_PROMPTS = {"code_prompt_show": "Show solution", "code_prompt_hide": "Hide solution"}


ANSWER_PROMPTS = {"code_prompt_show": "Show answer", "code_prompt_hide": "Hide answer"}


def _site_answer_cell(source: str, where: str, seen: set[str]):
    """The website's folded answer under a concept check (a cell tagged ``concept``
    that calls ``ask("<id>")``; see :mod:`handson_rl.exercises.concepts`)."""
    asked = re.findall(r"""\bask\(\s*["']([\w.-]+)["']""", source)
    if len(asked) != 1:
        raise LessonError(f'{where}: a cell tagged concept must call ask("<question id>") once.')
    code = f"from handson_rl.exercises.concepts import reveal\n\nreveal({asked[0]!r})"
    cell = nbformat.v4.new_code_cell(
        code, metadata={"tags": ["remove-input", "hide-output"], "mystnb": dict(ANSWER_PROMPTS)}
    )
    cell.id = _cell_id("code", code, seen)
    return cell


_SEEDS = re.compile(r"\{\{seeds:(?P<key>[\w.-]+)(?::(?P<fmt>[^}]+))?\}\}")


def fill_seed_ranges(text: str, where: str, seeds_dir=None) -> str:
    """Replace each ``{{seeds:KEY}}`` / ``{{seeds:KEY:FMT}}`` in ``text`` by its range's text."""
    from handson_rl.verdicts import SeedRangeError, seed_range

    def one(match):
        try:
            found = seed_range(match.group("key"), seeds_dir)
        except SeedRangeError as err:
            raise LessonError(f"{where}: {err}") from None
        fmt = match.group("fmt") or "+.1f"
        try:
            return found.describe(fmt)
        except ValueError as err:
            raise LessonError(
                f"{where}: {match.group(0)}: bad number format {fmt!r} ({err})."
            ) from None

    if "{{seeds" in text and not _SEEDS.search(text):
        raise LessonError(
            f"{where}: a '{{{{seeds' placeholder that is not {{{{seeds:KEY}}}} or {{{{seeds:KEY:FMT}}}}."
        )
    return _SEEDS.sub(one, text)


def _stub_for_solution_cell(sol: str) -> str:
    """What the exercise notebook shows for a cell tagged ``solution``."""
    comments = []
    for line in sol.splitlines():
        if not line.startswith("#"):
            break
        comments.append(line)
    return "\n".join(comments + ["# Your code here", ""])


def _code_cell(source: str, tags: list[str], variant: str, where: str, cells: list, seen: set):
    """``(cell, its source, its tags)`` of a lesson's code cell in ``variant``.

    On the site, a solution cell is preceded by the exercise cell as learners see
    it, which this appends to ``cells``.
    """
    sol, ex = _strip_regions(source, where)
    is_solution = "solution" in tags or sol != ex
    source = ex if variant == "exercise" else sol
    if "solution" in tags and variant == "exercise":
        source = _stub_for_solution_cell(sol)
    if variant == "site" and is_solution:
        stub = _stub_for_solution_cell(sol) if "solution" in tags else ex
        shown = nbformat.v4.new_markdown_cell(SITE_EXERCISE_CELL.format(code=stub.rstrip()))
        shown.id = _cell_id("markdown", shown.source, seen)
        cells.append(shown)
    if variant == "exercise" and {"check", "needs-solution"} & set(tags):
        tags.append("nbval-skip")
    elif variant == "exercise" and re.search(r"^raise NotImplementedError", ex, re.M):
        # A stub at the top level of a cell always raises: CI skips it.
        tags.append("nbval-skip")
    tags = [t for t in tags if t not in ("solution",)]
    new = nbformat.v4.new_code_cell(source)
    if variant == "site" and is_solution:
        tags.append("hide-input")
        new.metadata["mystnb"] = dict(SOLUTION_PROMPTS)
    return new, source, tags


def build_lesson(path: Path, variants=("solution", "exercise"), seeds_dir=None) -> dict[str, str]:
    """Return ``{variant: ipynb_text}`` for one lesson.

    ``"solution"`` and ``"exercise"`` are the two committed notebooks. ``"site"`` is
    the page the course website executes (see :mod:`handson_rl.maintainers.site`):
    the solution notebook with, before each solution cell, the exercise cell as
    learners see it, and the solution folded behind a "Show solution" toggle; a
    hidden first code cell prints the versions and date the outputs come from.

    ``seeds_dir`` is where the ``{{seeds:...}}`` ranges are read (default
    ``bench/results``; see :func:`fill_seed_ranges`).
    """
    nb = jupytext.read(path, fmt="py:percent")
    out = {}
    for variant in variants:
        cells, seen = [], set()
        for i, cell in enumerate(nb.cells):
            tags = list(cell.metadata.get("tags", []))
            source = cell.source
            where = f"{path.name}, cell {i + 1}"
            if cell.cell_type == "code":
                new, source, tags = _code_cell(source, tags, variant, where, cells, seen)
            elif cell.cell_type == "markdown":
                source = fill_seed_ranges(source, where, seeds_dir)
                new = nbformat.v4.new_markdown_cell(source)
            else:
                new = nbformat.v4.new_raw_cell(source)
            if tags:
                new.metadata["tags"] = tags
            new.id = _cell_id(new.cell_type, source, seen)
            cells.append(new)
            if variant == "site" and "concept" in tags:
                cells.append(_site_answer_cell(source, where, seen))
        book = nbformat.v4.new_notebook(
            cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
        )
        book.nbformat, book.nbformat_minor = 4, 5
        nbformat.validate(book)
        out[variant] = nbformat.writes(book) + "\n"
    return out


def planned(root: Path = ROOT) -> dict[Path, str]:
    """Every generated notebook path with the text it should have."""
    files = {}
    lessons = sorted((root / LESSONS).glob("[0-9][0-9]_*.py"))
    if not lessons:
        raise LessonError(f"No lessons found in {root / LESSONS}.")
    for lesson in lessons:
        texts = build_lesson(lesson, seeds_dir=root / "bench" / "results")
        for folder, variant in TARGETS.items():
            files[root / folder / f"{lesson.stem}.ipynb"] = texts[variant]
    return files


FOLDER_README = """# {folder}/: generated, do not edit

Every notebook here is generated from its lesson source in `lessons/` (same name,
`.py`) by

    python -m handson_rl.maintainers.build

{what} Edit the lesson, run the command, and commit both; the test suite fails when
this folder is out of date with `lessons/`.
"""
_FOLDER_WHAT = {
    "notebooks": "These are what learners open: each exercise's solution is replaced by a stub.",
    "solutions": "These are the lessons with every exercise solved.",
}


def planned_files(root: Path = ROOT) -> dict[Path, bytes]:
    """Every generated file (notebooks, folder READMEs, images, docs/claims.md) with its bytes."""
    from handson_rl.maintainers import images

    files = {path: text.encode() for path, text in planned(root).items()}
    for folder in TARGETS:
        text = FOLDER_README.format(folder=folder, what=_FOLDER_WHAT[folder])
        files[root / folder / "README.md"] = text.encode()
    files.update(images.planned(root))
    # The claims document lists every number of the lessons' prose with what backs it,
    # line by line: it changes with them, so it is built (and checked) with them.
    from handson_rl.maintainers.prose_numbers import document_for

    claims = document_for(root)
    if claims is not None:
        files[root / "docs" / "claims.md"] = claims.encode()
    return files


def stale(root: Path = ROOT) -> list[str]:
    """Generated files that are missing, out of date, or have no lesson source."""
    want = planned_files(root)
    problems = []
    for path, data in want.items():
        rel = path.relative_to(root)
        if not path.exists():
            problems.append(f"missing: {rel}")
        elif path.read_bytes() != data:
            problems.append(f"out of date: {rel}")
    for folder in TARGETS:
        for path in sorted((root / folder).glob("*.ipynb")):
            if path not in want:
                problems.append(f"no lesson source for: {path.relative_to(root)}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Build notebooks/, solutions/, images/ and videos/ from their sources."
    )
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    parser.add_argument(
        "--no-videos",
        action="store_true",
        help="skip videos/ (they need the pre-trained modules and PyTorch)",
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    with_videos = not args.no_videos and args.root == ROOT
    if args.check:
        problems = stale(args.root)
        if with_videos:
            from handson_rl.maintainers import videos

            problems += [f"out of date: videos/{name}" for name in videos.stale()]
        if problems:
            print("Generated files are not in sync with their sources:", *problems, sep="\n  ")
            print("Run `python -m handson_rl.maintainers.build` and commit the result.")
            return 1
        print("notebooks/, solutions/, images/ and videos/ are in sync with their sources.")
        return 0
    want = planned_files(args.root)
    for path, data in want.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(args.root)}")
    for folder in TARGETS:
        for path in (args.root / folder).glob("*.ipynb"):
            if path not in want:
                print(f"note: {path.relative_to(args.root)} has no lesson source")
    if with_videos:
        from handson_rl.maintainers import videos

        for name in videos.stale():
            videos.write_videos()
            print(f"wrote videos/ ({name} was out of date)")
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
