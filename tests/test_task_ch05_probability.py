"""Chapter 5's task (an action's probability from the logits): the reference
answer, a right answer written differently, and each named mistake. No Ray, no
training: well under a second."""

import math

import numpy as np
import pytest
import torch

from handson_rl.arena.env import ACTION_NAMES
from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch05_probability import check_action_probability


def reference(logits, action):  # the lesson's solution
    z = logits - logits.max()
    return float(torch.exp(z)[ACTION_NAMES.index(action)] / torch.exp(z).sum())


def with_torch(logits, action):  # right, written differently
    return torch.softmax(logits, dim=-1)[["up", "right", "down", "left"].index(action)]


def with_math(logits, action):  # right, plain Python: a log-sum-exp
    values = [float(v) for v in logits]
    top = max(values)
    log_total = top + math.log(sum(math.exp(v - top) for v in values))
    return math.exp(values[ACTION_NAMES.index(action)] - log_total)


@pytest.mark.parametrize("answer", [reference, with_torch, with_math])
def test_right_answers_pass(answer, capsys):
    check_action_probability(answer)
    assert capsys.readouterr().out.startswith("Task solved")


def no_exp(logits, action):
    return float(logits[ACTION_NAMES.index(action)] / logits.sum())


def not_normalised(logits, action):
    return float(torch.exp(logits[ACTION_NAMES.index(action)]))


def log_probability(logits, action):
    return float(torch.log_softmax(logits, -1)[ACTION_NAMES.index(action)])


def wrong_order(logits, action):
    return float(torch.softmax(logits, -1)[["up", "down", "left", "right"].index(action)])


def overflows(logits, action):
    with np.errstate(over="ignore", invalid="ignore"):
        return _naive(logits, action)


def _naive(logits, action):
    e = np.exp(logits.numpy().astype(np.float64))
    return float(e[ACTION_NAMES.index(action)] / e.sum())


def all_of_them(logits, action):
    return torch.softmax(logits, -1)


def crashes(logits, action):
    return torch.softmax(logits, -1)[{"UP": 0, "RIGHT": 1, "DOWN": 2, "LEFT": 3}[action]]


@pytest.mark.parametrize(
    "answer, message",
    [
        (no_exp, "the exp() is missing"),
        (not_normalised, "exp(logit) alone: divide by the sum"),
        (log_probability, "That is the log-probability"),
        (wrong_order, "That is the probability of 'left', not of 'right'"),
        (overflows, "subtract the largest logit first"),
        (all_of_them, "all the probabilities, not one"),
        (crashes, "raised"),
        ("not a function", "Pass your function itself"),
    ],
)
def test_mistakes_are_named(answer, message):
    with pytest.raises(ExerciseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_action_probability(answer)
