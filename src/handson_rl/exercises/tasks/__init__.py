"""The checked tasks: one module per task, ``chNN_<name>.py``, each with a public
``check_...`` function (decorated with :func:`~handson_rl.exercises.common.checker`)
that calls :func:`handson_rl.progress.record` with the task's item (``task(id)``) when it
passes.

Every task is listed once in :data:`TASKS` (in chapter order), so that
the progress report shows it as still to do before it is passed.
"""

from __future__ import annotations

from handson_rl.progress import Item

#: Every checked task, in chapter order.
TASKS = (
    Item("task-ch1-beat-random", 1, "task", "Task: a CartPole policy that beats random play"),
    Item("task-ch3-predict-setting", 3, "task", "Task: predict, then change one PPO setting"),
    Item("task-ch4-mapping", 4, "task", "Task: a policy mapping function for three modules"),
    Item("task-ch5-probability", 5, "task", "Task: an action's probability from the logits"),
    Item(
        "task-ch6-both-ways", 6, "task", "Task: evaluate a checkpoint from disk, sampled and greedy"
    ),
    Item("task-ch10-fit", 10, "task", "Task: env-runner settings that fit a described cluster"),
    Item("task-ch11-bug-hunt", 11, "task", "Task: find and fix the mystery env's two bugs"),
    Item(
        "task-ch12-capstone",
        12,
        "task",
        "Task: a hand-written chaser as a fifth match-up, with a verdict",
    ),
)


def task(task_id: str) -> Item:
    """The task ``task_id`` (a clear error for an unknown one)."""
    for item in TASKS:
        if item.id == task_id:
            return item
    raise KeyError(f"No task {task_id!r}; the course has {[t.id for t in TASKS]}.")
