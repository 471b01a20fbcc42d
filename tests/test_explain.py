"""Chapter 3's "RLlib default" column is what a fresh PPOConfig() really uses."""

import gymnasium as gym
import pytest
import torch
from ray.rllib.algorithms.ppo import PPOConfig

from handson_rl.tools.explain import rllib_default
from handson_rl.training.config import COURSE_SETTINGS

# Course setting name -> how a fresh PPOConfig() reports it.
_TRAINING_ATTRIBUTE = {"train_batch_size": "train_batch_size_per_learner"}


def _built_default_module():
    """The module PPO builds with no model settings given (CartPole: 4 inputs, 2 actions)."""
    spec = PPOConfig().environment("CartPole-v1").get_rl_module_spec(env=gym.make("CartPole-v1"))
    return spec, spec.build()


@pytest.mark.parametrize("name", [n for n in COURSE_SETTINGS if n not in ("one_hot",)])
def test_each_rllib_default_matches_a_fresh_ppo_config(name):
    config = PPOConfig()
    if name in ("fcnet_hiddens", "vf_share_layers"):
        from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

        spec, _ = _built_default_module()
        # The spec carries only what PPOConfig adds; the rest is DefaultModelConfig's.
        expected = spec.model_config.get(name, getattr(DefaultModelConfig(), name))
    else:
        expected = getattr(config, _TRAINING_ATTRIBUTE.get(name, name))
        if expected is None and name == "train_batch_size":
            expected = config.train_batch_size
    assert rllib_default(name) == expected


def test_vf_share_layers_default_is_false_although_default_model_config_says_true():
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    assert PPOConfig().model_config["vf_share_layers"] is False
    assert DefaultModelConfig().vf_share_layers is True  # the gotcha chapter 3 mentions
    assert rllib_default("vf_share_layers") is False


def test_default_module_really_has_a_separate_value_network():
    _, module = _built_default_module()
    names = {
        name.split(".")[1] for name, _ in module.named_parameters() if name.startswith("encoder.")
    }
    assert names == {"actor_encoder", "critic_encoder"}
    hidden = [
        m.out_features
        for m in module.encoder.actor_encoder.modules()
        if isinstance(m, torch.nn.Linear)
    ]
    assert hidden == rllib_default("fcnet_hiddens")


def test_one_hot_has_no_rllib_default():
    assert "building fails" in rllib_default("one_hot")
