"""Playing episodes with policies outside RLlib's training loop (Exercise 1's loop).

A policy is anything with ``act(observation) -> action``: :class:`RandomPolicy`
here, a trained module (``handson_rl.training.policies.ModulePolicy``), or a rule
you write yourself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from handson_rl.arena.env import AGENTS, MultiAgentArena
from handson_rl.arena.render import frames_to_gif
from handson_rl.verdicts import compare


class RandomPolicy:
    """Picks a uniformly random action, whatever it observes."""

    def __init__(self, action_space, seed: int | None = None):
        self.n_actions = int(action_space.n)
        self.rng = np.random.default_rng(seed)

    def act(self, observation) -> int:
        return int(self.rng.integers(self.n_actions))


def random_policies(seed: int = 7) -> dict:
    """A :class:`RandomPolicy` per agent, seeded ``seed``, ``seed + 1``."""
    env = MultiAgentArena()
    return {a: RandomPolicy(env.get_action_space(a), seed=seed + i) for i, a in enumerate(AGENTS)}


def play_episode(
    env: MultiAgentArena,
    policies: Mapping,
    seed: int | None = None,
    render: bool = False,
    on_step=None,
):
    """One full episode; returns ``(returns, frames)`` like Exercise 1's ``run_episode``.

    ``frames`` holds ``env.render()`` after the reset and after every step when
    ``render`` is true, else it is empty. ``on_step(rewards, infos)``, if given,
    sees every step's rewards and infos (e.g. to count the game's events).
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
        obs, rewards, terminateds, truncateds, infos = env.step(actions)
        for agent, reward in rewards.items():
            returns[agent] += reward
        if on_step is not None:
            on_step(rewards, infos)
        if render:
            frames.append(env.render())
        done = terminateds["__all__"] or truncateds["__all__"]
    return returns, frames


def mean_returns(policies: Mapping, episodes: int, seed: int = 0, env_config=None) -> dict:
    """Mean and standard error of each agent's return over ``episodes`` seeded episodes.

    A policy with a ``memoized()`` context manager (a trained module's
    ``ModulePolicy``) plays the episodes inside it: its module does not change
    meanwhile, and a trained agent meets the same observations again and again,
    so each is computed once. Same actions, same returns, about 5x faster
    (``bench/evaluation_speed.py``).
    """
    env = MultiAgentArena(env_config)
    values = {agent: [] for agent in env.possible_agents}
    with contextlib.ExitStack() as stack:
        for policy in {id(p): p for p in policies.values()}.values():
            if hasattr(policy, "memoized"):
                stack.enter_context(policy.memoized())
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


def episode_gif(policies: Mapping, path, seed: int = 7, fps: int = 8) -> tuple[dict, Path]:
    """Play one episode with ``policies``, write it as a GIF; return (returns, path)."""
    env = MultiAgentArena({"render_mode": "rgb_array"})
    returns, frames = play_episode(env, policies, seed=seed, render=True)
    frames_to_gif(frames, path, fps=fps)
    return returns, Path(path)


#: The four match-ups of chapter 12: who plays agent1 and who plays agent2.
MATCHUPS = {
    "trained vs trained": ("trained", "trained"),
    "trained agent1 vs random agent2": ("trained", "random"),
    "random agent1 vs trained agent2": ("random", "trained"),
    "random vs random": ("random", "random"),
}


def learning_verdicts(
    stats: Mapping[str, Mapping[str, Mapping[str, float]]],
) -> list[tuple[str, bool, object]]:
    """Chapter 12's "did it learn?" claims, each as ``(claim, held, verdict)``.

    ``stats[matchup][agent]`` is ``{"mean": ..., "sem": ...}`` for the agent in that
    match-up (what :func:`mean_returns` returns; the keys of :data:`MATCHUPS`). Each
    claim compares the trained agent with a random one in its place, against the
    same opponent, through the course's one rule
    (:func:`handson_rl.verdicts.compare`): it holds when the trained side
    is higher *beyond the noise* of the two means. ``verdict`` prints the numbers.
    """
    checks = [
        (
            "agent1 explores better than a random agent1 (against the trained agent2)",
            "agent1",
            "trained vs trained",
            "random agent1 vs trained agent2",
        ),
        (
            "agent1 explores better than a random agent1 (against a random agent2)",
            "agent1",
            "trained agent1 vs random agent2",
            "random vs random",
        ),
        (
            "agent2 catches the trained agent1 more often than a random agent2 does",
            "agent2",
            "trained vs trained",
            "trained agent1 vs random agent2",
        ),
    ]
    out = []
    for claim, agent, trained, baseline in checks:
        verdict = compare(
            stats[trained][agent],
            stats[baseline][agent],
            names=(trained, baseline),
            what=f"{agent}'s mean return",
        )
        out.append((claim, verdict.higher == trained, verdict))
    return out
