"""Exercise 3's checker: what Ray 2.60 accepts, and hints for the bare AttributeErrors.

These run the learner's hooks through the checker's own episode player (no Ray
cluster, no training), so they are in the fast tier.
"""

from __future__ import annotations

import pytest
from ray.rllib.callbacks.callbacks import RLlibCallback

from handson_rl.exercises import exercise3
from handson_rl.exercises.common import ExerciseError

NAME = "steps_seen"


def _call(reduce, window):
    return [{"key": NAME, "value": 3.0, "reduce": reduce, "window": window, "hook": "on_episode_end"}]


def test_a_window_without_a_reduction_is_a_windowed_mean_and_passes():
    # Ray 2.60: MetricsLogger.log_value(key, value, window=100) reduces with "mean".
    assert exercise3._check_ex3_logging(_call(None, 100), NAME, "Answer") == 3.0


def test_no_reduction_and_no_window_is_an_ema_and_is_explained():
    with pytest.raises(ExerciseError, match="exponential moving average"):
        exercise3._check_ex3_logging(_call(None, None), NAME, "Answer")


class OldUserData(RLlibCallback):
    def on_episode_start(self, *, episode, **kwargs):
        episode.user_data["steps"] = 0  # the 2021 API

    def on_episode_end(self, *, episode, metrics_logger=None, **kwargs):
        metrics_logger.log_value(NAME, 1.0, reduce="mean")


class ArenaFromVectorEnv(RLlibCallback):
    def on_episode_step(self, *, episode, env, **kwargs):
        env.unwrapped.agent1_pos  # noqa: B018 - the vector env has no such attribute

    def on_episode_end(self, *, episode, metrics_logger=None, **kwargs):
        metrics_logger.log_value(NAME, 1.0, reduce="mean")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (OldUserData, "episode.custom_data"),
        (ArenaFromVectorEnv, r"env\.envs\[env_index\]\.unwrapped"),
    ],
)
def test_bare_attribute_errors_get_a_hint_and_keep_the_learners_traceback(answer, hint):
    with pytest.raises(ExerciseError, match=hint) as caught:
        exercise3.check_exercise3(answer, NAME)
    # The learner's own error stays attached, so its traceback is printed above.
    assert isinstance(caught.value.__cause__, AttributeError)
    assert caught.value.__suppress_context__ is True
