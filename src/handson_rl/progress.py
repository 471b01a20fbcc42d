"""Your progress through the course, kept offline in one small file.

Every concept check you answer right, every exercise whose checker passes and
every checked task records itself here, in ``course_progress.json`` in the
course folder (the repository root; git ignores it). No account, no network:
delete the file to start again.

    python -m handson_rl.progress              # everything, chapter by chapter
    python -m handson_rl.progress --chapter 2  # one chapter
    bash course.sh progress                    # the same as the first line

In a notebook, ``show_progress(2)`` prints chapter 2's line (each chapter's recap
calls it). Checkers call :func:`record` at their success point.

Only a person's answers count: headless runs (nbclient, nbval, the website's
build) record nothing, and runs under ``COURSE_BUDGET=smoke`` (CI, the test
suite) write to ``_build/course_progress_smoke.json`` instead, so that testing
the course never ticks off a learner's checks. ``HANDSON_RL_PROGRESS=/some/file.json``
chooses another file; ``HANDSON_RL_PROGRESS=off`` records nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from handson_rl import budget
from handson_rl.paths import ROOT

ENV_VAR = "HANDSON_RL_PROGRESS"
FILE_NAME = "course_progress.json"
SMOKE_FILE = ROOT / "_build" / "course_progress_smoke.json"
KINDS = ("concept", "task", "exercise")
FORMAT = 1


class ProgressError(ValueError):
    """The progress file cannot be read, or a record is malformed; the message says what to do."""


@dataclass(frozen=True)
class Item:
    """Something a learner can pass: a concept check, an exercise or a task."""

    id: str
    chapter: int
    kind: str
    title: str


#: The exercises (their checkers record them). Concept checks come from
#: :mod:`handson_rl.exercises.concepts`, tasks from :mod:`handson_rl.exercises.tasks`.
EXERCISES = (
    Item("exercise1", 2, "exercise", "Exercise 1: the environment loop"),
    Item("exercise2", 7, "exercise", "Exercise 2: a batch-size sweep to a combined return of 35"),
    Item("exercise3", 8, "exercise", "Exercise 3: your own metric"),
    Item("exercise4", 9, "exercise", "Exercise 4: a deeper module"),
)


def catalogue() -> dict[str, Item]:
    """Every item the course knows in advance, by id."""
    from handson_rl.exercises.concepts import QUESTIONS
    from handson_rl.exercises.tasks import TASKS

    items = {item.id: item for item in EXERCISES + TASKS}
    for q in QUESTIONS.values():
        items[q.id] = Item(q.id, q.chapter, "concept", f"concept check: {q.title}")
    return items


def progress_file() -> Path | None:
    """Where progress is kept (``None`` when ``HANDSON_RL_PROGRESS=off``)."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value.lower() == "off":
        return None
    if value:
        return Path(value).expanduser()
    if budget.is_smoke():
        return SMOKE_FILE
    return ROOT / FILE_NAME


def _empty() -> dict:
    return {"format": FORMAT, "passed": {}}


def load(path: Path | None = None) -> dict:
    """The progress file's content (``{"format": 1, "passed": {id: {...}}}``)."""
    path = progress_file() if path is None else Path(path)
    if path is None or not path.exists():
        return _empty()
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError) as err:
        raise ProgressError(
            f"Cannot read your progress file {path}: {err}. It is a small JSON file the "
            "course writes; rename or delete it to start a new one."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("passed", {}), dict):
        raise ProgressError(
            f"{path} is not a course progress file (no 'passed' table). Rename or delete it "
            "to start a new one."
        )
    data.setdefault("format", FORMAT)
    data.setdefault("passed", {})
    return data


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write a temporary file, then rename: a crash never leaves half a file.
    fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record(
    item_id: str, *, chapter: int | None = None, kind: str | None = None, title: str | None = None
) -> bool:
    """Note that ``item_id`` passed; return True if it was written to the file.

    Items of the :func:`catalogue` need only their id; anything else (a task) also
    needs ``chapter``, ``kind`` and ``title``. Recording never breaks the checker
    that calls it: if the file cannot be written, it says so and returns False.
    Only a person's passes count: a headless run (nbclient, nbval, the website's
    build; see :mod:`handson_rl.frontend`) records nothing.
    """
    known = catalogue().get(item_id)
    if known is None:
        if chapter is None or kind is None or title is None:
            raise ProgressError(
                f"{item_id!r} is not one of the course's known items; record it with "
                "chapter=..., kind=... and title=..."
            )
        known = Item(item_id, int(chapter), kind, title)
    if known.kind not in KINDS:
        raise ProgressError(f"kind must be one of {list(KINDS)}, got {known.kind!r}.")
    path = progress_file()
    if path is None or _nobody_there():
        return False
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        data = load(path)
        entry = data["passed"].get(item_id) or {"first": now}
        entry.update(chapter=known.chapter, kind=known.kind, title=known.title, last=now)
        data["passed"][item_id] = entry
        _write(path, data)
    except (OSError, ProgressError) as err:
        print(f"(Your answer is right, but progress was not saved: {err})", file=sys.stderr)
        return False
    return True


def _nobody_there() -> bool:
    """A run without a person in front of it (nbclient, nbval, the website's build)."""
    from handson_rl import frontend

    return frontend.mode() == "headless"


def _where(path: Path) -> str:
    """The file's place, without the machine's folders when it is in the course folder."""
    try:
        return f"{path.relative_to(ROOT)} in the course folder"
    except ValueError:
        return str(path)


def passed(path: Path | None = None) -> dict[str, dict]:
    """``{item_id: entry}`` for everything passed so far."""
    return dict(load(path)["passed"])


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
    data = load(path) if path is not None else _empty()
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


def reset(path: Path | None = None) -> Path | None:
    """Forget everything: delete the progress file; return its path."""
    path = progress_file() if path is None else Path(path)
    if path is not None:
        path.unlink(missing_ok=True)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m handson_rl.progress",
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
