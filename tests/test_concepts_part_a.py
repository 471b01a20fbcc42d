"""The answers of the concept checks of chapters 1, 3, 4, 8 and 9 added for issue
24 (part A), each checked against gymnasium, the installed RLlib or the course's
module. No Ray is started; the env-runner test builds one local env runner
(about 2 s of CPU), the rest take well under a second each."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import torch

from handson_rl.exercises.concepts import QUESTIONS
from handson_rl.training.config import arena_ppo_config
from handson_rl.training.models import count_parameters


def test_ch1_cartpole_return_is_its_length():
    assert QUESTIONS["ch1-cartpole-return"].answer == "a"
    env = gym.make("CartPole-v1")
    for seed in range(5):
        env.reset(seed=seed)
        env.action_space.seed(seed)
        total, steps, done = 0.0, 0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total, steps, done = total + reward, steps + 1, terminated or truncated
        assert total == steps


def test_ch3_two_learners_each_get_the_per_learner_batch():
    assert QUESTIONS["ch3-batch-per-learner"].answer == "b"
    from ray.rllib.algorithms.ppo import PPOConfig

    course = arena_ppo_config().learners(num_learners=2)
    assert course.train_batch_size_per_learner == 2000 and course.total_train_batch_size == 4000
    older = PPOConfig().training(train_batch_size=2000).learners(num_learners=2)
    assert older.train_batch_size_per_learner == 1000  # choice c: the total figure is split
    assert course.num_gpus_per_learner == 0  # choice d: learners run on CPUs


def test_ch4_a_module_left_out_of_policies_to_train_is_not_updated():
    assert QUESTIONS["ch4-frozen"].answer == "a"
    from ray.rllib.core.learner.learner import Learner

    frozen = SimpleNamespace(config=arena_ppo_config(seed=0).multi_agent(policies_to_train=["p1"]))
    assert Learner.should_module_be_updated(frozen, "p1") is True
    assert Learner.should_module_be_updated(frozen, "p2") is False
    both = SimpleNamespace(config=arena_ppo_config(seed=0))
    assert Learner.should_module_be_updated(both, "p2") is True


def test_ch8_one_callback_object_serves_many_episodes_at_once():
    assert QUESTIONS["ch8-custom-data"].answer == "a"
    from ray.rllib.callbacks.callbacks import RLlibCallback
    from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner

    seen = []

    class Recorder(RLlibCallback):
        def on_episode_start(self, *, episode, **kwargs):
            seen.append((id(self), episode.id_))

    config = arena_ppo_config(seed=0, num_env_runners=0, num_envs_per_env_runner=4).callbacks(
        Recorder
    )
    runner = MultiAgentEnvRunner(config=config)
    try:
        runner.sample(num_timesteps=8, random_actions=True)  # 2 steps on each of 4 boards
    finally:
        runner.stop()
    callbacks = {who for who, _ in seen}
    episodes = {episode for _, episode in seen}
    assert len(callbacks) == 1 and len(episodes) >= 4  # one object, 4 episodes running side by side


def test_ch8_reduce_mean_averages_the_iteration_then_starts_afresh():
    assert QUESTIONS["ch8-reduce-mean"].answer == "a"
    from ray.rllib.utils.metrics.metrics_logger import MetricsLogger

    logger = MetricsLogger()
    for value in (30, 40, 50):
        logger.log_value("new_fields", value, reduce="mean")
    assert logger.reduce()["new_fields"].peek() == 40
    logger.log_value("new_fields", 60, reduce="mean")
    assert logger.reduce()["new_fields"].peek() == 60  # d: nothing of the last iteration lingers
    default = MetricsLogger()
    for value in (30, 40, 50):
        default.log_value("new_fields", value)
    assert abs(default.reduce()["new_fields"].peek() - 40) > 5  # without reduce=: an EMA


def _default_module(hidden, inference_only):
    from ray.rllib.algorithms.ppo.ppo_catalog import PPOCatalog
    from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import DefaultPPOTorchRLModule
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    model = DefaultModelConfig(fcnet_hiddens=hidden, fcnet_activation="relu", vf_share_layers=False)
    return RLModuleSpec(
        module_class=DefaultPPOTorchRLModule,
        catalog_class=PPOCatalog,
        observation_space=gym.spaces.Box(0.0, 1.0, (200,), np.float32),
        action_space=gym.spaces.Discrete(4),
        inference_only=inference_only,
        model_config=dataclasses.asdict(model),
    ).build()


def test_ch9_weights_of_the_bigger_env_runner_copy():
    assert QUESTIONS["ch9-parameters"].answer == "a"
    acting = count_parameters(_default_module([128, 128, 128], inference_only=True))
    assert acting == 200 * 128 + 128 + 2 * (128 * 128 + 128) + 128 * 4 + 4 == 59_268
    assert (
        110_000 < count_parameters(_default_module([128, 128, 128], inference_only=False)) < 125_000
    )  # b
    assert count_parameters(_default_module([64, 64], inference_only=True)) == 17_284  # d


def test_ch9_an_untrained_module_is_nearly_uniform():
    assert QUESTIONS["ch9-untrained"].answer == "a"
    from ray.rllib.core.columns import Columns
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from handson_rl.training.models import ArenaPolicyValueModule

    obs = torch.zeros(100, 200)
    obs[torch.arange(100), torch.arange(100)] = 1.0
    obs[:, 199] = 1.0
    for seed in range(3):
        torch.manual_seed(seed)
        module = RLModuleSpec(
            module_class=ArenaPolicyValueModule,
            observation_space=gym.spaces.Box(0.0, 1.0, (200,), np.float32),
            action_space=gym.spaces.Discrete(4),
            model_config={},
        ).build()
        with torch.no_grad():
            probs = torch.softmax(
                module.forward_inference({Columns.OBS: obs})[Columns.ACTION_DIST_INPUTS], -1
            )
        assert probs.min() > 0.15 and probs.max() < 0.35  # near 0.25 (not c)
        assert (probs - 0.25).abs().max() > 1e-3  # but not exactly (not b)
