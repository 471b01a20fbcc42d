"""Every checked task is listed once in TASKS, recorded by exactly one checker module
(its TASK_ID), has its own test file, and is checked in a cell tagged "check" of its
chapter's lesson. Reads source files only: well under a second."""

import importlib
import pkgutil
import re

import pytest

from handson_rl.exercises import tasks
from handson_rl.exercises.tasks import TASKS
from handson_rl.paths import LESSONS_DIR, ROOT


def _modules():
    return {
        name: importlib.import_module(f"handson_rl.exercises.tasks.{name}")
        for _, name, _ in pkgutil.iter_modules(tasks.__path__)
    }


def test_each_task_module_records_a_listed_task():
    ids = [t.id for t in TASKS]
    assert len(set(ids)) == len(ids)
    recorded = {name: module.TASK_ID for name, module in _modules().items()}
    assert sorted(recorded.values()) == sorted(ids), recorded
    for name, task_id in recorded.items():
        chapter = next(t.chapter for t in TASKS if t.id == task_id)
        assert name.startswith(f"ch{chapter:02d}_"), (name, task_id)


@pytest.mark.parametrize("name", sorted(_modules()))
def test_each_task_is_tested_and_checked_in_its_lesson(name):
    assert (ROOT / "tests" / f"test_task_{name}.py").exists()
    chapter = int(name[2:4])
    lesson = next(LESSONS_DIR.glob(f"{chapter:02d}_*.py")).read_text()
    cells = re.split(r"^# %%", lesson, flags=re.M)
    checks = [c for c in cells if c.startswith(' tags=["check"]') and f"tasks.{name} import" in c]
    assert len(checks) == 1, (
        f"lesson {chapter:02d} should check task {name} once in a cell tagged check"
    )
