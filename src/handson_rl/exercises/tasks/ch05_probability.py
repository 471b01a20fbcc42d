"""Chapter 5's task: an action's probability from the logits, by hand.

The learner writes ``action_probability(logits, action)``: ``logits`` is a torch
tensor of four numbers (what a module's ``forward_inference`` returns for one
observation, in the arena's action order up, right, down, left) and ``action`` an
action's name; it returns that action's probability under the softmax. The
checker calls it on logit vectors chosen so that each usual mistake gives a
number of its own (no exp, no normalisation, a log-probability, another action's
index, an overflow with large logits) and names the mistake it recognises.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from handson_rl.arena.env import ACTION_NAMES
from handson_rl.exercises.common import checker, fail

TASK_ID = "task-ch5-probability"

#: Logit vectors the checker asks about, each with every action. The values are
#: far enough apart that each mistake below gives its own number; the last is
#: large, as an overconfident network's can be: exp() of it overflows.
CASES = (
    (1.5, -0.5, 0.25, 2.0),
    (0.1, 3.0, -2.0, 0.7),
    (-1.0, -2.5, -0.2, -3.0),
    (1000.0, 995.0, 990.0, 0.0),
)
_TOL = 1e-4


def softmax(logits) -> np.ndarray:
    """The reference: softmax of ``logits`` in float64, computed stably."""
    z = np.asarray(logits, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def _number(value, logits, action: str) -> float:
    """The learner's answer as a float, or a message saying what it should be."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, (torch.Tensor, np.ndarray, list, tuple)):
        shape = tuple(np.shape(value.detach() if isinstance(value, torch.Tensor) else value))
        fail(
            f"action_probability(logits, {action!r}) returned {type(value).__name__} of shape "
            f"{shape}: all the probabilities, not one. Return the probability of the action "
            f"asked for, one number: index the probabilities with the action's position in "
            f"ACTION_NAMES ({list(ACTION_NAMES)})."
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        fail(
            f"action_probability(logits, {action!r}) should return a number; it returned "
            f"{type(value).__name__} {value!r:.80}."
        )


def _explain(got: float, logits: tuple, action: str) -> None:
    """Name the mistake behind a wrong ``got`` for ``logits`` and ``action``, if known."""
    z = np.asarray(logits, dtype=np.float64)
    a = ACTION_NAMES.index(action)
    shown = [round(v, 2) for v in logits]
    want = softmax(z)[a]
    head = (
        f"For logits {shown} (up, right, down, left), your action_probability(logits, "
        f"{action!r}) returned {got:.4g}; the softmax gives {want:.4f}."
    )
    if not math.isfinite(got):
        fail(
            f"{head} exp() of logits this large overflows (exp(1000) is inf in any float "
            "type), and inf / inf is nan. A softmax does not change when the same number is "
            "subtracted from every logit: subtract the largest logit first, "
            "exp(logits - logits.max()), so the largest exp() is exp(0) = 1."
        )
    if z.sum() != 0 and math.isclose(got, z[a] / z.sum(), abs_tol=_TOL):
        fail(
            f"{head} That is the logit divided by the sum of the logits: the exp() is "
            "missing. Logits are unnormalised log-probabilities (they can be negative); "
            "the probability is exp(logit) / sum of exp(all logits)."
        )
    if math.isclose(got, math.exp(min(z[a], 700.0)), rel_tol=1e-4):
        fail(
            f"{head} That is exp(logit) alone: divide by the sum of exp() over all four "
            "logits, so that the four probabilities add up to 1."
        )
    if got < 0 and math.isclose(got, float(np.log(max(want, 1e-300))), abs_tol=_TOL):
        fail(
            f"{head} That is the log-probability (a log-softmax, what RLlib's "
            "distribution's logp() returns), not the probability: take its exp(), or "
            "compute exp(logit) / sum of exp(all logits) directly."
        )
    for other, p in zip(ACTION_NAMES, softmax(z)):
        if other != action and math.isclose(got, p, abs_tol=_TOL):
            fail(
                f"{head} That is the probability of {other!r}, not of {action!r}: the "
                f"actions are numbered in the order {list(ACTION_NAMES)} (ACTION_NAMES), "
                f"so {action!r} is index {a}."
            )
    fail(
        f"{head} Compute exp() of each logit, divide by the sum of the four, and take "
        f"the entry of {action!r} (index {a} in {list(ACTION_NAMES)})."
    )


@checker
def check_action_probability(action_probability: Callable) -> None:
    """Check chapter 5's task: ``action_probability(logits, action)`` returns the
    softmax probability of the action named ``action`` for a tensor of four logits."""
    if not callable(action_probability):
        fail(
            f"Pass your function itself: check_action_probability(action_probability); got "
            f"{type(action_probability).__name__}."
        )
    for logits in CASES:
        for action in ACTION_NAMES:
            tensor = torch.tensor(logits, dtype=torch.float32)
            try:
                value = action_probability(tensor, action)
            except Exception as err:  # the learner's own error, shown with their line
                fail(
                    f"Your action_probability(logits, {action!r}) raised "
                    f"{type(err).__name__}: {err}. logits is a torch tensor of four floats "
                    f"(up, right, down, left), action a name such as {action!r}.",
                    err,
                )
            got = _number(value, logits, action)
            if not math.isclose(got, softmax(logits)[ACTION_NAMES.index(action)], abs_tol=_TOL):
                _explain(got, logits, action)
    print(
        f"Task solved: your action_probability gives the softmax probability of each of the "
        f"four actions for {len(CASES)} logit vectors, also for logits as large as 1000."
    )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
