"""check_exercise3 accepts a right callback and explains each typical mistake."""

import numpy as np
import pytest
import ray
from ray.rllib.callbacks.callbacks import RLlibCallback

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise3 import check_exercise3

NAME = "mean_distance"


def _distance(env, env_index):
    arena = env.envs[env_index].unwrapped
    (r1, c1), (r2, c2) = arena.agent1_pos, arena.agent2_pos
    return abs(r1 - r2) + abs(c1 - c2)


class RightAnswer(RLlibCallback):
    """Mean Manhattan distance between the agents, per episode."""

    def on_episode_start(self, *, episode, **kwargs):
        episode.custom_data["distances"] = []

    def on_episode_step(self, *, episode, env, env_index, **kwargs):
        episode.custom_data["distances"].append(_distance(env, env_index))

    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, float(np.mean(episode.custom_data["distances"])), reduce="mean")


class LogsEveryStep(RLlibCallback):
    def on_episode_step(self, *, episode, env, env_index, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, _distance(env, env_index), reduce="mean")


class NoReduction(RightAnswer):
    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, float(np.mean(episode.custom_data["distances"])))


class SumReduction(RightAnswer):
    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, float(np.mean(episode.custom_data["distances"])), reduce="sum")


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
        metrics_logger.log_value("distance", float(np.mean(episode.custom_data["distances"])), reduce="mean")


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


@pytest.fixture(scope="module")
def ray_session():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_right_answer_passes_and_reaches_the_results(ray_session, capsys):
    values = check_exercise3(RightAnswer, NAME)
    assert list(values) == [1, 2]
    assert all(0 < v <= 18 for v in values.values())  # Manhattan distance on 10 x 10
    assert "Exercise 3 solved" in capsys.readouterr().out


def test_metric_missing_from_results_is_explained(ray_session):
    class OnlyInHarness(RightAnswer):
        # Logs only when the env runner is absent, i.e. never inside RLlib.
        def on_episode_end(self, *, episode, metrics_logger, env_runner=None, **kwargs):
            if env_runner is None:
                super().on_episode_end(episode=episode, metrics_logger=metrics_logger)

    with pytest.raises(ExerciseError, match="has no result\\['env_runners'\\]"):
        check_exercise3(OnlyInHarness, NAME)
