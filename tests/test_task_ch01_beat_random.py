"""Chapter 1's task (a CartPole policy that beats random play): the reference
answer, right answers written differently, each named mistake, and the measured
ratios behind the pass mark. CartPole only, no Ray: a few seconds."""

import re

import numpy as np
import pytest

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch01_beat_random import FACTOR, check_ch01_beat_random, play


def reference(observation):  # the lesson's solution
    return 1 if observation[2] > 0 else 0


def angular_velocity(observation):  # right, written differently: how fast it falls
    pole_velocity = observation[3]
    if pole_velocity > 0:
        return 1
    return 0


def as_numpy_int(observation):  # right: numpy's own integer
    return np.int64(observation[2] + observation[3] > 0)


@pytest.mark.parametrize(
    "answer", [reference, angular_velocity, as_numpy_int, lambda obs: int(obs[2] > 0)]
)
def test_right_answers_pass(answer, capsys):
    check_ch01_beat_random(answer)
    assert capsys.readouterr().out.startswith("Task solved. Over the same 20 episodes")


def test_the_pass_mark_separates_the_measured_policies():
    """The ratios the module docstring gives, on the checker's own seeds."""
    random_mean = np.mean(play(None)[0])
    assert 15 < random_mean < 30

    def ratio(policy):
        return np.mean(play(policy)[0]) / random_mean

    assert ratio(reference) > FACTOR + 0.2
    assert ratio(angular_velocity) > 5
    assert ratio(lambda o: 0) < 0.6
    assert ratio(lambda o: 0 if o[2] > 0 else 1) < 0.6
    assert ratio(lambda o: 0 if o[0] > 0 else 1) < FACTOR - 0.1


def test_random_play_is_the_same_every_time():
    assert play(None) == play(None)


def random_policy(observation):  # what random play does: no better than random play
    return int(np.random.randint(2))


def stub(observation):  # the exercise notebook's cell, not filled in yet
    raise NotImplementedError("return 0 or 1, decided from the observation")


MISTAKES = [
    (lambda obs: -1 if obs[2] < 0 else 1, "There is no -1 or +1"),
    (lambda obs: float(obs[2] > 0), "returned a float (1.0)|returned a float (0.0)"),
    (lambda obs: np.array([int(obs[2] > 0)]), "of shape (1,), not one number"),
    (lambda obs: None, "is the `return` missing?"),
    (lambda obs: obs[2] > 0, "returned a boolean"),
    (lambda obs: "right", "return an int, 0 = push the cart left, 1 = push it right"),
    (lambda obs: obs["angle"], "Your policy raised IndexError"),
    (lambda obs: 1, "pushed right (1) on every step: it ignores the observation"),
    (lambda obs: 0, "pushed left (0) on every step"),
    (lambda obs: 0 if obs[2] > 0 else 1, "it pushes away from the lean"),
    (lambda obs: 0 if obs[3] > 0 else 1, "With only the angular velocity set"),
    (lambda obs: 1 if obs[0] < 0 else 0, "changes with the cart's position"),
    (random_policy, "it acts at random"),
    (lambda obs: 1 if obs[1] > 0 else 0, r"Look at the pole: observation\[2\] is its angle"),
    ("my_policy", "Pass your function itself"),
    (stub, "still raises NotImplementedError"),
]


@pytest.mark.parametrize("answer, message", MISTAKES)
def test_mistakes_are_named(answer, message):
    pattern = message if "\\" in message else "|".join(map(re.escape, message.split("|")))
    with pytest.raises(ExerciseError, match=pattern):
        check_ch01_beat_random(answer)


def test_a_shortfall_says_both_means():
    with pytest.raises(ExerciseError, match=r"random play \d+\.\d: .* at least 1\.5 times"):
        check_ch01_beat_random(lambda obs: 1)
