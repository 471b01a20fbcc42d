"""What the exercise checkers share.

Each checker runs a learner's code against the real game (or real RLlib pieces)
and either confirms the answer or raises :class:`ExerciseError`, whose message
says in plain words what is wrong and how to fix it.
"""

from __future__ import annotations


class ExerciseError(AssertionError):
    """Your answer does not do what the exercise asks yet; the message says why."""


def fail(msg: str):
    """Raise :class:`ExerciseError` with ``msg``, without a chained traceback."""
    raise ExerciseError(msg) from None
