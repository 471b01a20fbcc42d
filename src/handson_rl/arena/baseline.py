"""What random play scores: the baseline every learning curve is drawn against.

Computed from the game itself, never typed in: both agents play
:class:`~handson_rl.arena.rollout.RandomPolicy` (seeded by
:func:`~handson_rl.arena.rollout.random_policies`) for ``episodes`` seeded
episodes with Exercise 1's loop, the same episodes
:func:`~handson_rl.arena.rollout.mean_returns` plays. Besides the returns it
counts the events chapter 8's metrics count (agent1's new cells and the
collisions per episode, read from the step infos the same way). The result is
remembered per process, so every plot in a notebook reuses one computation
(about 1 s for 1,000 episodes on one core).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

from handson_rl import budget
from handson_rl.arena.env import MultiAgentArena
from handson_rl.arena.rollout import play_episode, random_policies


def default_episodes() -> int:
    """Episodes behind the baseline: 1,000 for learners, 200 under the smoke budget."""
    return budget.pick(full=1000, smoke=200)


#: Keys of :func:`random_play`'s result besides ``episodes``.
STAT_KEYS = ("agent1", "agent2", "combined", "agent1_new_fields", "collisions")


def _stats(values) -> dict:
    v = np.asarray(values, dtype=float)
    sem = float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return {"mean": float(np.mean(v)), "sem": sem}


@lru_cache(maxsize=8)
def _random_play(episodes: int, seed: int, policy_seed: int, config_items: tuple) -> dict:
    env = MultiAgentArena(dict(config_items))
    policies = random_policies(seed=policy_seed)
    values = {key: [] for key in STAT_KEYS}
    for episode in range(episodes):
        events = Counter()

        def count(rewards, infos, events=events):
            events["new_field"] += int(infos["agent1"]["new_field"])
            events["collision"] += int(infos["agent1"]["collision"])

        returns, _ = play_episode(env, policies, seed=seed + episode, on_step=count)
        values["agent1"].append(returns["agent1"])
        values["agent2"].append(returns["agent2"])
        values["combined"].append(returns["agent1"] + returns["agent2"])
        values["agent1_new_fields"].append(events["new_field"])
        values["collisions"].append(events["collision"])
    out = {key: _stats(v) for key, v in values.items()}
    out["episodes"] = episodes
    return out


def random_play(
    episodes: int | None = None, seed: int = 0, policy_seed: int = 7, env_config: dict | None = None
) -> dict:
    """Mean and standard error per episode of random play, for every curve's baseline.

    ``{"agent1": {"mean", "sem"}, "agent2": ..., "combined": ...,
    "agent1_new_fields": ..., "collisions": ..., "episodes": n}``: each agent's return,
    their sum, agent1's new cells and the collisions, over ``episodes`` episodes
    (default: 1,000; 200 under ``COURSE_BUDGET=smoke``) seeded ``seed``,
    ``seed + 1``, ... with both agents random (:func:`random_policies(policy_seed)`).
    """
    episodes = default_episodes() if episodes is None else episodes
    if not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be a positive int, got {episodes!r}.")
    items = tuple(sorted((env_config or {}).items()))
    result = _random_play(episodes, seed, policy_seed, items)
    return {
        key: (dict(value) if isinstance(value, dict) else value) for key, value in result.items()
    }
