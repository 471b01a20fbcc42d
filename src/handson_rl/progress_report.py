"""The progress report: what you have passed, chapter by chapter, and what is still to do.

Your passes are kept by :mod:`handson_rl.progress` (the checkers record them);
this module knows every item the course has (the exercises, the concept checks
of :mod:`handson_rl.exercises.concepts`, the tasks of
:mod:`handson_rl.exercises.tasks`) and reports on them:

    python -m handson_rl.progress_report              # everything, chapter by chapter
    python -m handson_rl.progress_report --chapter 2  # one chapter
    bash course.sh progress                           # the same as the first line

In a notebook, ``show_progress(2)`` prints chapter 2's line (each chapter's recap
calls it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from handson_rl.exercises.concepts import QUESTIONS
from handson_rl.exercises.tasks import TASKS
from handson_rl.paths import ROOT
from handson_rl.progress import (
    EXERCISES,
    KINDS,
    Item,
    ProgressError,
    load,
    progress_file,
    reset,
)


def catalogue() -> dict[str, Item]:
    """Every item the course knows in advance, by id."""
    items = {item.id: item for item in EXERCISES + TASKS}
    items.update({q.id: q.item for q in QUESTIONS.values()})
    return items


def _where(path: Path) -> str:
    """The file's place, without the machine's folders when it is in the course folder."""
    try:
        return f"{path.relative_to(ROOT)} in the course folder"
    except ValueError:
        return str(path)


def chapter_items(chapter: int, data: dict | None = None) -> list[tuple[Item, bool]]:
    """Chapter ``chapter``'s items (known, plus any recorded there) with passed yes/no."""
    data = load() if data is None else data
    done = data["passed"]
    items = [item for item in catalogue().values() if item.chapter == chapter]
    known = {item.id for item in items}
    for item_id, entry in done.items():
        if item_id not in known and entry.get("chapter") == chapter:
            items.append(
                Item(item_id, chapter, entry.get("kind", "task"), entry.get("title", item_id))
            )
    order = {kind: i for i, kind in enumerate(KINDS)}
    items.sort(
        key=lambda item: order.get(item.kind, len(KINDS))
    )  # stable: catalogue order within a kind
    return [(item, item.id in done) for item in items]


def chapter_lines(chapter: int, data: dict | None = None) -> list[str]:
    """``chapter 2: 2 of 3 passed`` and one ``[x]``/``[ ]`` line per item."""
    items = chapter_items(chapter, data)
    if not items:
        return [f"chapter {chapter}: nothing to check yet"]
    done = sum(ok for _, ok in items)
    return [f"chapter {chapter}: {done} of {len(items)} passed"] + [
        f"  [{'x' if ok else ' '}] {item.title}" for item, ok in items
    ]


def report(chapter: int | None = None, path: Path | None = None) -> str:
    """The progress report: one line per chapter (or only ``chapter``'s)."""
    path = progress_file() if path is None else Path(path)
    data = load(path)  # an empty report when HANDSON_RL_PROGRESS=off (path None)
    chapters = sorted(
        {item.chapter for item in catalogue().values()}
        | {e.get("chapter") for e in data["passed"].values() if isinstance(e.get("chapter"), int)}
    )
    if chapter is not None:
        chapters = [chapter]
    lines = [line for ch in chapters for line in chapter_lines(ch, data)]
    if chapter is None:
        total = sum(len(chapter_items(ch, data)) for ch in chapters)
        lines.insert(
            0,
            f"Course progress: {len(data['passed'])} of {max(total, len(data['passed']))} passed "
            f"(kept in {_where(path) if path is not None else 'nowhere: HANDSON_RL_PROGRESS=off'})",
        )
    return "\n".join(lines)


def show_progress(chapter: int | None = None) -> None:
    """Print the progress report (each chapter's recap calls this for its chapter)."""
    try:
        print(report(chapter))
    except ProgressError as err:
        print(f"Progress: {err}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m handson_rl.progress_report",
        description="Show which concept checks, exercises and tasks you have passed.",
    )
    parser.add_argument("--chapter", type=int, help="only this chapter (1-12)")
    parser.add_argument(
        "--file", action="store_true", help="print where progress is kept, and exit"
    )
    parser.add_argument("--reset", action="store_true", help="forget everything (deletes the file)")
    args = parser.parse_args(argv)
    if args.chapter is not None and not 1 <= args.chapter <= 12:
        parser.error(f"--chapter must be a chapter number 1-12, got {args.chapter}")
    if args.file:
        print(progress_file() or "nowhere (HANDSON_RL_PROGRESS=off)")
        return 0
    if args.reset:
        print(f"deleted {reset()}")
        return 0
    try:
        print(report(args.chapter))
    except ProgressError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
