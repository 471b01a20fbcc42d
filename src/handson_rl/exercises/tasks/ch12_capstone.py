"""Chapter 12's task, the capstone: a hand-written chaser as a fifth match-up.

Against a random agent2 every trained agent2 looks good. A stronger yardstick is
a chaser written by hand: the learner writes ``chase(observation, width)``, which
reads agent2's observation (``[own cell, agent1's cell]``, ``cell = row * width +
col``) and returns the action (0 up, 1 right, 2 down, 3 left) that takes agent2
one step closer to agent1. The lesson then plays it against the trained agent1
and compares it with the trained agent2 through the course's verdict rule.

The checker asks ``chase`` about every pair of distinct cells on a 10 x 10 board
and on a 7-wide one, and accepts any action that brings agent2 closer (a
Manhattan step; moving onto agent1 is a catch). Each usual mistake moves agent2
in a way of its own, which the checker recognises: the two cells of the
observation swapped, row and column swapped, up and down or left and right
swapped, the board's width written in as 10, a chase without the width argument,
an action name instead of its number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from handson_rl.arena.env import ACTION_NAMES
from handson_rl.exercises.common import checker, fail

TASK_ID = "task-ch12-capstone"
#: (width, height) of the boards the checker asks about.
BOARDS = ((10, 10), (7, 5))
_DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))


def _distance(a: tuple, b: tuple) -> int:
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def _closer(own: tuple, other: tuple, action: int) -> bool:
    step = _DELTAS[action]
    return _distance((own[0] + step[0], own[1] + step[1]), other) < _distance(own, other)


def _cases(width: int, height: int):
    """Every (own, other) pair of distinct cells as ([row, col], [row, col])."""
    cells = [(r, c) for r in range(height) for c in range(width)]
    return [(a, b) for a in cells for b in cells if a != b]


def _action(chase: Callable, own: tuple, other: tuple, width: int) -> int:
    obs = np.array([own[0] * width + own[1], other[0] * width + other[1]], dtype=np.int64)
    shown = [int(v) for v in obs]
    try:
        action = chase(obs, width)
    except Exception as err:  # the learner's own error
        fail(f"Your chase({shown}, width={width}) raised {type(err).__name__}: {err}.", err)
    if isinstance(action, str) and action in ACTION_NAMES:
        fail(
            f"chase returned the action's name {action!r}; return its number, "
            f"{ACTION_NAMES.index(action)} (the order is {list(ACTION_NAMES)})."
        )
    if (
        isinstance(action, (bool, np.bool_))
        or not isinstance(action, (int, np.integer))
        or not 0 <= int(action) <= 3
    ):
        fail(
            f"chase({shown}, width={width}) returned {action!r:.60}; return an action, an "
            f"int from 0 to 3 ({', '.join(f'{i} {n}' for i, n in enumerate(ACTION_NAMES))})."
        )
    return int(action)


def _check_signature(chase: Callable) -> None:
    """Fail if ``chase`` cannot be called as ``chase(observation, width)``."""
    import inspect

    try:
        inspect.signature(chase).bind(np.zeros(2, dtype=np.int64), 10)
    except TypeError as err:
        fail(
            f"chase cannot be called as chase(observation, width): {err}. The check and the next "
            "cell call it with the width too; keep the signature `def chase(observation, "
            "width=10):` and use `width` to turn a cell into row and column."
        )
    except ValueError:
        pass  # no signature to read (a builtin): just call it


def _explain(chase: Callable, width: int, height: int, wrong: list) -> None:
    """Name the mistake behind the wrong answers ``wrong`` (own, other, action)."""
    (own, other, action), n = wrong[0], len(wrong)
    head = (
        f"On a {height} x {width} board, agent2 at row {own[0]}, col {own[1]} (cell "
        f"{own[0] * width + own[1]}) and agent1 at row {other[0]}, col {other[1]} (cell "
        f"{other[0] * width + other[1]}): your chase answers {action} "
        f"({ACTION_NAMES[action]}), which does not bring agent2 closer. ({n} such cases.)"
    )
    if width != BOARDS[0][0]:  # the 10 x 10 board passed
        fail(
            f"{head} Your chase is right on the 10 x 10 board only: use the `width` it is "
            "given to turn a cell into row and column, not 10."
        )
    flip = {0: 2, 2: 0, 1: 1, 3: 3}
    if all(_closer(a, o, flip[act]) for a, o, act in wrong):
        fail(
            f"{head} Up and down are swapped: action 0 (up) goes to row - 1, action 2 (down) "
            "to row + 1; row 0 is the top of the board."
        )
    mirror = {0: 0, 2: 2, 1: 3, 3: 1}
    if all(_closer(a, o, mirror[act]) for a, o, act in wrong):
        fail(
            f"{head} Left and right are swapped: action 1 (right) goes to col + 1, action 3 "
            "(left) to col - 1; col 0 is the left edge of the board."
        )
    if all(_closer(o, a, act) for a, o, act in wrong):
        fail(
            f"{head} It moves agent1 closer to agent2 instead: agent2's observation is "
            "[own cell, agent1's cell], so the first number is agent2's own cell."
        )
    if all(_closer(a[::-1], o[::-1], act) for a, o, act in wrong):
        fail(
            f"{head} Rows and columns are swapped: with cell = row * width + col, the row is "
            "cell // width and the column cell % width."
        )
    fail(
        f"{head} Turn both cells into (row, col) with divmod(cell, width), then move along "
        "a direction in which agent1 is: up (0) if its row is smaller, down (2) if larger, "
        "else left (3) or right (1) by the columns."
    )


@checker
def check_chase(chase: Callable) -> None:
    """Check chapter 12's task: ``chase(observation, width)`` returns an action that
    takes agent2 one step closer to agent1, from every pair of cells."""
    if not callable(chase):
        fail(f"Pass your function itself: check_chase(chase); got {type(chase).__name__}.")
    _check_signature(chase)
    for width, height in BOARDS:
        wrong = []
        for own, other in _cases(width, height):
            action = _action(chase, own, other, width)
            if not _closer(own, other, action):
                wrong.append((own, other, action))
        if wrong:
            _explain(chase, width, height, wrong)
    pairs = sum(len(_cases(w, h)) for w, h in BOARDS)
    print(
        f"Task solved: from each of {pairs} pairs of cells, on a 10 x 10 and a 5 x 7 board, "
        "your chase moves agent2 one step closer to agent1."
    )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
