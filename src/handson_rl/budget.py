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
