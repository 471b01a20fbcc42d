"""One switch for how much work the notebooks do.

Learners get the full budget (enough training to see learning, animations at a
watchable speed). CI sets ``COURSE_BUDGET=smoke`` once, in the environment, and every
notebook shrinks to a quick run that still executes each cell. Notebooks never
change their text for CI; they ask this module instead:

>>> from handson_rl.budget import pick
>>> iterations = pick(full=20, smoke=2)
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

ENV_VAR = "COURSE_BUDGET"
LEVELS = ("full", "smoke")


def level() -> str:
    """``"full"`` (the default) or ``"smoke"``; anything else is an error."""
    value = os.environ.get(ENV_VAR, "full").strip().lower() or "full"
    if value not in LEVELS:
        raise ValueError(
            f"{ENV_VAR}={value!r} is not a budget I know; use one of {list(LEVELS)} "
            f"(or unset it for the full course)."
        )
    return value


def is_smoke() -> bool:
    return level() == "smoke"


def pick(full: T, smoke: T) -> T:
    """``full`` for learners, ``smoke`` under ``COURSE_BUDGET=smoke``."""
    return smoke if is_smoke() else full


SEED_VAR = "COURSE_SEED"


def seed() -> int:
    """The course-wide seed for training and evaluation: ``COURSE_SEED``, default 0.

    Every chapter seeds its training with it (``arena_ppo_config(seed=seed())``),
    so ``COURSE_SEED=1 jupyter lab`` (or ``bench/run_notebooks.py --seed 1``) runs
    the whole course under another seed. Seeds that are part of a lesson's point
    (a seeded episode a chapter talks about) stay fixed in the lesson.
    """
    raw = os.environ.get(SEED_VAR, "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(
            f"{SEED_VAR}={raw!r} is not a whole number; set it to a seed such as 0, 1 or 2 "
            f"(or unset it for the default, 0)."
        ) from None
    if value < 0:
        raise ValueError(f"{SEED_VAR}={value} is negative; seeds are whole numbers from 0 up.")
    return value
