"""Your progress through the course, kept offline in one small file.

Every concept check you answer right, every exercise whose checker passes and
every checked task records itself here (:func:`record`, called by the checkers
at their success point), in ``course_progress.json`` in the course folder (the
repository root; git ignores it). No account, no network: delete the file to
start again. The report of what is passed and what is still to do is
:mod:`handson_rl.progress_report` (``python -m handson_rl.progress_report``,
``show_progress(2)`` in a notebook).

Only a person's answers count: headless runs (nbclient, nbval, the website's
build) record nothing, and runs under ``COURSE_BUDGET=smoke`` (CI, the test
suite) write to ``_build/course_progress_smoke.json`` instead, so that testing
the course never ticks off a learner's checks. ``HANDSON_RL_PROGRESS=/some/file.json``
chooses another file; ``HANDSON_RL_PROGRESS=off`` records nothing.
"""

from __future__ import annotations

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
    Item("exercise2", 7, "exercise", "Exercise 2: a batch-size sweep to a combined return of 30"),
    Item("exercise3", 8, "exercise", "Exercise 3: your own metric"),
    Item("exercise4", 9, "exercise", "Exercise 4: a deeper module"),
)
_EXERCISE = {item.id: item for item in EXERCISES}


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


def record(item: Item | str) -> bool:
    """Note that ``item`` passed; return True if it was written to the file.

    ``item`` is the :class:`Item` that passed (a task's, a concept check's) or the
    id of one of the :data:`EXERCISES`. Recording never breaks the checker that
    calls it: if the file cannot be written, it says so and returns False. Only a
    person's passes count: a headless run (nbclient, nbval, the website's build;
    see :mod:`handson_rl.frontend`) records nothing.
    """
    known = item if isinstance(item, Item) else _EXERCISE.get(item)
    if known is None:
        raise ProgressError(
            f"{item!r} is not one of the exercises {list(_EXERCISE)}; record a task or a "
            "concept check by its Item (handson_rl.exercises.tasks.task(id), Question.item)."
        )
    item_id = known.id
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


def passed(path: Path | None = None) -> dict[str, dict]:
    """``{item_id: entry}`` for everything passed so far."""
    return dict(load(path)["passed"])


def reset(path: Path | None = None) -> Path | None:
    """Forget everything: delete the progress file; return its path."""
    path = progress_file() if path is None else Path(path)
    if path is not None:
        path.unlink(missing_ok=True)
    return path
