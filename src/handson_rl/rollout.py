"""Playing episodes with policies outside RLlib's training loop (Exercise 1's loop)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from handson_rl.env import MultiAgentArena


def play_episode(env: MultiAgentArena, policies: Mapping, seed: int | None = None, render: bool = False):
    """One full episode; returns ``(returns, frames)`` like Exercise 1's ``run_episode``.

    ``frames`` holds ``env.render()`` after the reset and after every step when
    ``render`` is true, else it is empty.
    """
    missing = [a for a in env.possible_agents if a not in policies]
    if missing:
        raise KeyError(f"No policy for {missing}; pass one policy per agent {env.possible_agents}.")
    obs, _ = env.reset(seed=seed)
    returns = {agent: 0.0 for agent in obs}
    frames = [env.render()] if render else []
    done = False
    while not done:
        actions = {agent: policies[agent].act(obs[agent]) for agent in obs}
        obs, rewards, terminateds, truncateds, _ = env.step(actions)
        for agent, reward in rewards.items():
            returns[agent] += reward
        if render:
            frames.append(env.render())
        done = terminateds["__all__"] or truncateds["__all__"]
    return returns, frames


def mean_returns(policies: Mapping, episodes: int, seed: int = 0, env_config=None) -> dict:
    """Mean and standard error of each agent's return over ``episodes`` seeded episodes."""
    env = MultiAgentArena(env_config)
    values = {agent: [] for agent in env.possible_agents}
    for episode in range(episodes):
        returns, _ = play_episode(env, policies, seed=seed + episode)
        for agent, value in returns.items():
            values[agent].append(value)
    return {
        agent: {
            "mean": float(np.mean(v)),
            "sem": float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan"),
        }
        for agent, v in values.items()
    }
