"""RLlib's default for each of the course's training settings (chapter 3's table)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ray.rllib.algorithms.ppo import PPOConfig

# Course setting name -> PPOConfig attribute holding RLlib's default.
_ATTRIBUTE = {
    "train_batch_size": "train_batch_size_per_learner",
    "one_hot": None,  # RLlib has no default encoder for MultiDiscrete observations
}
_MODEL_KEYS = ("fcnet_hiddens", "vf_share_layers")


def default_model_config(config: PPOConfig | None = None) -> dict:
    """The model settings a PPO module is built with when you pass none.

    ``DefaultModelConfig``'s own field defaults, overridden by what the algorithm
    config adds: a fresh ``PPOConfig().model_config`` is ``{"vf_share_layers": False}``,
    so PPO keeps separate policy and value networks although
    ``DefaultModelConfig().vf_share_layers`` is ``True``. (The gotcha: passing
    ``model_config=DefaultModelConfig(...)`` yourself brings that ``True`` back.)
    """
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    config = PPOConfig() if config is None else config
    return {**dataclasses.asdict(DefaultModelConfig()), **dict(config.model_config)}


def rllib_default(name: str) -> Any:
    """The value RLlib's ``PPOConfig()`` uses for a course setting name."""
    config = PPOConfig()
    if name in _MODEL_KEYS:
        return default_model_config(config)[name]
    attribute = _ATTRIBUTE.get(name, name)
    if attribute is None:
        return "none (building fails)"
    value = getattr(config, attribute)
    if name == "train_batch_size" and value is None:
        value = config.train_batch_size
    return value
