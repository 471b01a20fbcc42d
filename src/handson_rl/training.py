"""The course's PPO setup for MultiAgentArena, and helpers to read training results.

One function builds the config every training chapter starts from, so the settings
(and the reasons for them, told in chapter 3) live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.connectors.env_to_module import FlattenObservations
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
from ray.tune.registry import register_env

from handson_rl.env import AGENT1, AGENT2, MultiAgentArena

ENV_NAME = "MultiAgentArena"
#: Module (policy) ids: one per agent.
MODULE_OF_AGENT = {AGENT1: "p1", AGENT2: "p2"}

#: The course's training settings (chapter 3 explains each against RLlib's default).
COURSE_SETTINGS: dict[str, Any] = {
    "num_env_runners": 0,  # sample in the driver process: no actor overhead on 2 cores
    "num_envs_per_env_runner": 32,  # one batched forward pass serves 32 boards
    "train_batch_size": 2000,  # env steps per iteration (default 4000)
    "minibatch_size": 1000,  # (default 128)
    "num_epochs": 10,  # passes over each batch (default 30)
    "lr": 3e-3,  # (default 5e-5)
    "fcnet_hiddens": [64, 64],  # (default [256, 256])
}


def register_arena() -> str:
    """Register the arena under :data:`ENV_NAME` (needed by Tune and remote runners)."""
    register_env(ENV_NAME, lambda config: MultiAgentArena(config))
    return ENV_NAME


def agent_to_module(agent_id, episode=None, **kwargs) -> str:
    """The mapping function: agent1 -> module ``p1``, agent2 -> module ``p2``."""
    try:
        return MODULE_OF_AGENT[agent_id]
    except KeyError:
        raise ValueError(
            f"No module for agent id {agent_id!r}; the arena's agents are "
            f"{list(MODULE_OF_AGENT)}."
        ) from None


def one_hot_observations(env=None, spaces=None, device=None):
    """Env-to-module connector: one-hot encode each agent's MultiDiscrete observation."""
    return FlattenObservations(multi_agent=True)


def arena_ppo_config(
    *,
    env_config: Mapping | None = None,
    seed: int | None = None,
    **overrides: Any,
) -> PPOConfig:
    """PPO for MultiAgentArena with one module per agent and the course's settings.

    ``overrides`` replace entries of :data:`COURSE_SETTINGS` (same names), e.g.
    ``arena_ppo_config(lr=1e-3, num_envs_per_env_runner=8)``.
    """
    unknown = set(overrides) - set(COURSE_SETTINGS)
    if unknown:
        raise TypeError(
            f"Unknown setting(s) {sorted(unknown)}; arena_ppo_config takes "
            f"{sorted(COURSE_SETTINGS)} (for anything else, change the returned config)."
        )
    s = {**COURSE_SETTINGS, **overrides}
    config = (
        PPOConfig()
        .environment(register_arena(), env_config=dict(env_config or {}))
        .env_runners(
            num_env_runners=s["num_env_runners"],
            num_envs_per_env_runner=s["num_envs_per_env_runner"],
            env_to_module_connector=one_hot_observations,
        )
        .multi_agent(
            policies={"p1", "p2"},
            policy_mapping_fn=agent_to_module,
        )
        .training(
            train_batch_size_per_learner=s["train_batch_size"],
            minibatch_size=s["minibatch_size"],
            num_epochs=s["num_epochs"],
            lr=s["lr"],
        )
        .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=list(s["fcnet_hiddens"])))
    )
    if seed is not None:
        config = config.debugging(seed=seed)
    return config


def summarize(result: Mapping) -> dict[str, Any]:
    """The figures the course shows from one ``algo.train()`` result dict.

    Returns the iteration, env steps so far, episodes finished in this iteration,
    the combined and per-agent mean episode returns over those episodes (NaN when
    no episode finished), and the iteration's time.
    """
    runners = result.get("env_runners", {})
    per_agent = runners.get("agent_episode_returns_mean", {}) or {}
    nan = float("nan")
    return {
        "iteration": result.get("training_iteration"),
        "env_steps": runners.get("num_env_steps_sampled_lifetime"),
        "episodes": runners.get("num_episodes", 0),
        "return": runners.get("episode_return_mean", nan),
        "agent1": per_agent.get(AGENT1, nan),
        "agent2": per_agent.get(AGENT2, nan),
        "time_s": result.get("time_this_iter_s"),
    }
