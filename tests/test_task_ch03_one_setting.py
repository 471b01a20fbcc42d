"""Chapter 3's task (predict, then change one setting): the reference answer, a
right answer written differently, and each named mistake. Configs only, nothing
is built or trained: about a second."""

import re

import pytest
from ray.rllib.algorithms.ppo import PPOConfig

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch03_one_setting import check_one_setting, gradient_steps
from handson_rl.training.config import arena_ppo_config


def test_reference_answer_passes(capsys):
    check_one_setting(arena_ppo_config(seed=0, train_batch_size=4000), 4000, 20)
    assert capsys.readouterr().out.startswith("Task solved")


def test_written_differently_passes():
    config = arena_ppo_config(seed=0).training(train_batch_size_per_learner=4000)
    check_one_setting(config, 4000.0, 21)  # RLlib's count with the masked extra rows


def test_gradient_steps_is_epochs_times_minibatches():
    assert gradient_steps(arena_ppo_config(seed=0)) == 10
    assert gradient_steps(arena_ppo_config(seed=0, train_batch_size=4000)) == 20
    assert (
        gradient_steps(arena_ppo_config(seed=0, train_batch_size=3000)) == 20
    )  # 2 minibatches, the last partly reused


RIGHT = arena_ppo_config(seed=0, train_batch_size=4000)


@pytest.mark.parametrize(
    "config, steps, grads, message",
    [
        (
            arena_ppo_config(seed=0).training(train_batch_size=4000),
            4000,
            20,
            "RLlib's default already",
        ),
        (
            arena_ppo_config(seed=0).training(train_batch_size=8000),
            4000,
            20,
            "You set train_batch_size=8000",
        ),
        (
            arena_ppo_config(seed=0, num_envs_per_env_runner=32),
            4000,
            20,
            "changes how the steps are collected",
        ),
        (arena_ppo_config(seed=0).learners(num_learners=2), 4000, 20, "You changed num_learners"),
        (
            arena_ppo_config(seed=0, train_batch_size=4000, minibatch_size=4000),
            4000,
            10,
            "You changed minibatch_size too",
        ),
        (
            arena_ppo_config(seed=0, train_batch_size=4000, lr=1e-3),
            4000,
            20,
            "Change one setting only",
        ),
        (
            arena_ppo_config(seed=0, train_batch_size=6000),
            6000,
            30,
            "twice the course's 2000 is 4000",
        ),
        (
            PPOConfig().training(train_batch_size_per_learner=4000),
            4000,
            20,
            "start from `arena_ppo_config",
        ),
        ({"train_batch_size": 4000}, 4000, 20, "should be a PPO config"),
        (RIGHT, ..., 20, "Fill in your prediction"),
        (RIGHT, "4000", 20, "should be a number"),
        (RIGHT, 8000, 20, "the 2 env runners share it"),
        (RIGHT, 2000, 20, "is the course's batch"),
        (RIGHT, 4000, 10, "one minibatch per epoch"),
        (RIGHT, 4000, 2, "is one pass over the batch"),
        (RIGHT, 4000, 40, "the count is per module"),
        (RIGHT, 4000, 15, r"num_epochs \(10\) x"),
    ],
)
def test_mistakes_are_named(config, steps, grads, message):
    with pytest.raises(ExerciseError, match=message if "\\" in message else re.escape(message)):
        check_one_setting(config, steps, grads)
