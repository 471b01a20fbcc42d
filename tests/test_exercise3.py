"""Exercise 3's checker: accepts a right callback, explains each typical mistake, and
gives hints for the bare AttributeErrors.

Most run the learner's hooks through the checker's own episode player (no Ray, no
training: the fast tier); two run the real check, which trains (``ray``).
"""

import re

import numpy as np
import pytest
from exercise3_answers import NAME, RightAnswer
from exercise3_answers import distance as _distance
from ray.rllib.callbacks.callbacks import RLlibCallback

from handson_rl.exercises import exercise3
from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise3 import check_exercise3


class LogsEveryStep(RLlibCallback):
    def on_episode_step(self, *, episode, env, env_index, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, _distance(env, env_index), reduce="mean")


class NoReduction(RightAnswer):
    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, float(np.mean(episode.custom_data["distances"])))


class SumReduction(RightAnswer):
    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(
            NAME, float(np.mean(episode.custom_data["distances"])), reduce="sum"
        )


class PositionalHook(RightAnswer):
    def on_episode_end(self, episode, metrics_logger):  # old-style signature
        metrics_logger.log_value(NAME, 1.0, reduce="mean")


class StateOnSelf(RLlibCallback):
    """Never resets: the second episode's value includes the first one's."""

    def __init__(self):
        super().__init__()
        self.distances = []

    def on_episode_step(self, *, env, env_index, **kwargs):
        self.distances.append(_distance(env, env_index))

    def on_episode_end(self, *, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, float(np.mean(self.distances)), reduce="mean")


class StateOnSelfResetAtStart(StateOnSelf):
    """Resets per episode, but one callback object serves several envs at once."""

    def on_episode_start(self, **kwargs):
        self.distances = []


class OtherName(RightAnswer):
    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(
            "distance", float(np.mean(episode.custom_data["distances"])), reduce="mean"
        )


class NoHooks(RLlibCallback):
    pass


class Crashes(RightAnswer):
    def on_episode_step(self, *, episode, **kwargs):
        episode.custom_data["distances"].append(episode.agent1_position)  # no such thing


@pytest.mark.parametrize(
    "answer, message",
    [
        (LogsEveryStep, "times in on_episode_step"),
        (NoReduction, "without a reduction"),
        (SumReduction, "reduce='sum'"),
        (PositionalHook, "keyword arguments only"),
        (StateOnSelf, "after another episode"),
        (StateOnSelfResetAtStart, "beside another episode"),
        (OtherName, "logged under 'distance'"),
        (NoHooks, "overrides none of the episode hooks"),
        (Crashes, "Your on_episode_step\\(\\) raised AttributeError"),
    ],
)
def test_typical_mistakes_are_explained(answer, message):
    with pytest.raises(ExerciseError, match=message):
        check_exercise3(answer, NAME)


def test_bad_arguments_are_explained():
    with pytest.raises(ExerciseError, match="not an instance"):
        check_exercise3(RightAnswer(), NAME)
    with pytest.raises(ExerciseError, match="subclass of RLlibCallback"):
        check_exercise3(dict, NAME)
    with pytest.raises(ExerciseError, match="metric_name"):
        check_exercise3(RightAnswer, "")


def test_right_answer_passes_and_reaches_the_results(ray_session, capsys):
    values = check_exercise3(RightAnswer, NAME)
    assert list(values) == [1, 2]
    assert all(0 < v <= 18 for v in values.values())  # Manhattan distance on 10 x 10
    assert "Exercise 3 solved" in capsys.readouterr().out


def test_metric_missing_from_results_is_explained(ray_session):
    class OnlyInHarness(RightAnswer):
        # Logs only to the checker's recording logger, i.e. never inside RLlib.
        def on_episode_end(self, *, episode, metrics_logger, **kwargs):
            if type(metrics_logger).__name__ == "_RecordingLogger":
                super().on_episode_end(episode=episode, metrics_logger=metrics_logger)

    with pytest.raises(ExerciseError, match="has no result\\['env_runners'\\]"):
        check_exercise3(OnlyInHarness, NAME)


# --- hints for Ray 2.60's behaviour and the bare AttributeErrors (no Ray) -----------

HINT_NAME = "steps_seen"


def _logs_once(**how):
    """A callback class that logs 3.0 once per episode, with ``how`` passed to log_value."""

    class Answer(RLlibCallback):
        def on_episode_end(self, *, episode, metrics_logger=None, **kwargs):
            metrics_logger.log_value(HINT_NAME, 3.0, **how)

    return Answer


def test_a_window_without_a_reduction_is_a_windowed_mean_and_passes():
    # Ray 2.60: MetricsLogger.log_value(key, value, window=100) reduces with "mean".
    assert exercise3.check_exercise3_hooks(_logs_once(window=100), HINT_NAME) == 3.0


def test_no_reduction_and_no_window_is_an_ema_and_is_explained():
    with pytest.raises(ExerciseError, match="exponential moving average"):
        exercise3.check_exercise3_hooks(_logs_once(), HINT_NAME)


class OldUserData(RLlibCallback):
    def on_episode_start(self, *, episode, **kwargs):
        episode.user_data["steps"] = 0  # the 2021 API

    def on_episode_end(self, *, episode, metrics_logger=None, **kwargs):
        metrics_logger.log_value(HINT_NAME, 1.0, reduce="mean")


class ArenaFromVectorEnv(RLlibCallback):
    def on_episode_step(self, *, episode, env, **kwargs):
        env.unwrapped.agent1_pos  # noqa: B018 - the vector env has no such attribute

    def on_episode_end(self, *, episode, metrics_logger=None, **kwargs):
        metrics_logger.log_value(HINT_NAME, 1.0, reduce="mean")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (OldUserData, "episode.custom_data"),
        (ArenaFromVectorEnv, r"env\.envs\[env_index\]\.unwrapped"),
    ],
)
def test_bare_attribute_errors_get_a_hint_and_keep_the_learners_traceback(answer, hint):
    with pytest.raises(ExerciseError) as caught:
        exercise3.check_exercise3(answer, HINT_NAME)
    assert re.search(hint, str(caught.value).splitlines()[0])  # the hint names the mistake first
    # The learner's own error stays attached, and its frames are the ones shown.
    assert isinstance(caught.value.learner_error, AttributeError)
    assert [name for _, _, name in caught.value.learner_frames()] == [
        answer.on_episode_step.__name__ if answer is ArenaFromVectorEnv else "on_episode_start"
    ]
    assert caught.value.__cause__ is None and caught.value.__suppress_context__ is True
