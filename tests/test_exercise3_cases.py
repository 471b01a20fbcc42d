"""Exercise 3's checker on the answers learners actually write: each wrong answer
gets a first line that names its mistake, and right answers that use the real hook
arguments (``env_runner``, ``rl_module``) pass. The hooks run with a real
MultiAgentEnvRunner built in this process (no Ray cluster: the fast tier); the
right answers' full check trains a tiny PPO (``ray``)."""

import numpy as np
import pytest
from exercise3_answers import NAME
from exercise3_answers import RightAnswer as Right
from exercise3_answers import distance as _distance
from ray.rllib.callbacks.callbacks import RLlibCallback

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise3 import check_exercise3


class CustomMetrics2021(Right):
    def on_episode_end(self, *, episode, **kwargs):
        episode.custom_metrics[NAME] = float(np.mean(episode.custom_data["distances"]))


class MisspeltEnd(RLlibCallback):
    on_episode_start = Right.on_episode_start
    on_episode_step = Right.on_episode_step

    def on_episode_finish(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(
            NAME, float(np.mean(episode.custom_data["distances"])), reduce="mean"
        )


class OnlyMisspelt(RLlibCallback):
    def on_episode_finish(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, 1.0, reduce="mean")


class NoStart(RLlibCallback):
    def on_episode_step(self, *, episode, env, env_index, **kwargs):
        episode.custom_data["distances"].append(_distance(env, env_index))

    def on_episode_end(self, *, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(
            NAME, float(np.mean(episode.custom_data["distances"])), reduce="mean"
        )


class StartSetsOtherKey(NoStart):
    def on_episode_start(self, *, episode, **kwargs):
        episode.custom_data["distance"] = []


class NoSelfKeywordOnly(Right):
    def on_episode_end(*, episode, metrics_logger, **kwargs):  # noqa: N805 - the mistake under test
        metrics_logger.log_value(NAME, 1.0, reduce="mean")


class NoSelfPositional(Right):
    def on_episode_end(episode, metrics_logger, **kwargs):  # noqa: N805 - the mistake under test
        metrics_logger.log_value(NAME, 1.0, reduce="mean")


class OtherKeyError(Right):
    def on_episode_step(self, *, episode, **kwargs):
        sizes = {"width": 10}
        episode.custom_data["distances"].append(sizes["height"])


class InitNeedsArgument(Right):
    def __init__(self, name):
        super().__init__()
        self.name = name


WRONG = {
    CustomMetrics2021: "episode.custom_metrics is the 2021 API",
    MisspeltEnd: "MisspeltEnd defines on_episode_finish(), which RLlib never calls",
    OnlyMisspelt: "OnlyMisspelt defines on_episode_finish(), which RLlib never calls",
    NoStart: "episode.custom_data has no 'distances': NoStart has no on_episode_start()",
    StartSetsOtherKey: "episode.custom_data has no 'distances': your on_episode_start() does not set it",
    NoSelfKeywordOnly: "Your on_episode_end() has no `self`",
    NoSelfPositional: "Your on_episode_end() has no `self`",
    InitNeedsArgument: "InitNeedsArgument() failed",
    OtherKeyError: "Your on_episode_step() raised KeyError: 'height'",
}
#: The second line: what to do.
HINTS = {
    CustomMetrics2021: "Your on_episode_end() raised AttributeError: 'MultiAgentEpisode' object has no attribute 'custom_metrics'",
    MisspeltEnd: "Did you mean on_episode_end()?",
    NoStart: "Your on_episode_step() raised KeyError: 'distances'",
    StartSetsOtherKey: "Your on_episode_step() raised KeyError: 'distances'",
}


def _error(answer) -> ExerciseError:
    with pytest.raises(ExerciseError) as caught:
        check_exercise3(answer, NAME)
    return caught.value


@pytest.mark.parametrize("answer", list(WRONG), ids=lambda c: c.__name__)
def test_wrong_answer_gets_its_own_first_line(answer):
    message = str(_error(answer))
    assert message.splitlines()[0].startswith(WRONG[answer]), message
    if answer in HINTS:
        assert HINTS[answer] in message


def test_a_key_error_elsewhere_gets_no_custom_data_hint():
    assert "custom_data has no" not in str(_error(OtherKeyError))


def test_the_learners_failing_hook_is_the_frame_shown():
    frames = _error(NoStart).learner_frames()
    assert [(file, name) for file, _, name in frames] == [(__file__, "on_episode_step")]


class UsesRunnerAndModule(Right):
    """Reads the real hook arguments, as a callback may inside RLlib."""

    def on_episode_start(self, *, episode, env_runner, rl_module, **kwargs):
        assert env_runner.config.num_envs_per_env_runner == env_runner.num_envs
        assert "p1" in rl_module
        episode.custom_data["distances"] = []
        episode.custom_data["worker"] = env_runner.worker_index


class StaticHooks(RLlibCallback):
    """Hooks as static methods: RLlib calls them with keywords, no self needed."""

    @staticmethod
    def on_episode_start(*, episode, **kwargs):
        episode.custom_data["steps"] = 0

    @staticmethod
    def on_episode_step(*, episode, **kwargs):
        episode.custom_data["steps"] += 1

    @staticmethod
    def on_episode_end(*, episode, metrics_logger, **kwargs):
        metrics_logger.log_value(NAME, float(episode.custom_data["steps"]), reduce="mean")


class HelperMethods(Right):
    """Helper methods of its own are fine, even one named like a hook it also defines."""

    def distance_now(self, env, env_index):
        return _distance(env, env_index)

    def on_episode_finish(self, episode):
        return len(episode.custom_data["distances"])


@pytest.mark.ray
def test_a_callback_using_the_real_arguments_passes_the_whole_check(ray_session, capsys):
    # The whole check: the hooks, then a tiny PPO whose env runner calls them.
    values = check_exercise3(UsesRunnerAndModule, NAME, iterations=1)
    assert list(values) == [1]
    assert "Exercise 3 solved" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer", [UsesRunnerAndModule, StaticHooks, HelperMethods], ids=lambda c: c.__name__
)
def test_right_answers_written_differently_pass_the_hook_checks(answer):
    # Everything before the training run (which the test above covers once).
    from handson_rl.exercises import exercise3

    assert exercise3.check_exercise3_hooks(answer, NAME) > 0
