"""The measurements chapters 3, 4, 6, 8 and 12 print, in one place.

The lessons call these functions, and so does ``bench/seed_ranges.py``, which
repeats the same measurements over many seeds to give the ranges the prose quotes
(``{{seeds:KEY}}``). One copy of each measurement: what the bench measured is what
the learner's cell prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from ray.rllib.core.columns import Columns

from handson_rl.arena.rollout import MATCHUPS, mean_returns, random_policies
from handson_rl.training import results
from handson_rl.training.config import arena_ppo_config
from handson_rl.training.metrics import COLLISIONS, NEW_FIELDS
from handson_rl.training.policies import ModulePolicy, action_probabilities, trained_policies

AGENTS = ("agent1", "agent2")


# --- chapters 3 and 4: returns from the training history ----------------------


def finished(rows: Sequence[Mapping]) -> list[Mapping]:
    """The history rows of iterations in which episodes finished (agent1 not NaN)."""
    return [r for r in rows if not math.isnan(r["agent1"])]


def mean_over(rows: Sequence[Mapping]) -> dict[str, float]:
    """Each agent's mean of the per-iteration returns over ``rows`` (NaN if none)."""
    rows = finished(rows)
    if not rows:
        return {agent: float("nan") for agent in AGENTS}
    return {agent: float(np.mean([r[agent] for r in rows])) for agent in AGENTS}


def first_and_last(
    rows: Sequence[Mapping], first: int = 3, last: int = 5
) -> dict[str, dict[str, float]]:
    """Chapter 3: mean returns over the first ``first`` and the last ``last`` iterations with episodes."""
    rows = finished(rows)
    return {"first": mean_over(rows[:first]), "last": mean_over(rows[-last:])}


def last_returns(rows: Sequence[Mapping], n: int = 3) -> dict[str, float]:
    """Chapter 4: each agent's mean return over the last ``n`` iterations with episodes, rounded."""
    return {agent: round(value, 1) for agent, value in mean_over(finished(rows)[-n:]).items()}


# --- chapter 4: one module for both agents, and what the modules do -----------


def shared_module_config(seed: int | None = None):
    """The course's config with one module, ``shared``, acting for both agents."""
    return arena_ppo_config(seed=seed).multi_agent(
        policies=["shared"],  # a list, as in chapter 3
        policy_mapping_fn=lambda agent_id, episode, **kwargs: "shared",
    )


MOVES = [(-1, 0), (0, 1), (1, 0), (0, -1)]  # up, right, down, left as (d_row, d_col)


def step_onto_other(module, size: int = 10) -> float:
    """Mean probability of moving onto the other agent, over all side-by-side placements."""
    probs = []
    for row in range(size):
        for col in range(size):
            for action, (dr, dc) in enumerate(MOVES):
                r, c = row + dr, col + dc
                if 0 <= r < size and 0 <= c < size:
                    probs.append(
                        action_probabilities(module, [row * size + col, r * size + c])[action]
                    )
    return float(np.mean(probs))


def _all_placements(size: int = 10):
    cells = size * size
    own, other = (a.ravel() for a in np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij"))
    own, other = own[own != other], other[own != other]
    inputs = np.zeros((len(own), 2 * cells), dtype=np.float32)
    inputs[np.arange(len(own)), own] = 1.0
    inputs[np.arange(len(own)), cells + other] = 1.0
    d_row, d_col = other // size - own // size, other % size - own % size
    toward = np.stack([d_row < 0, d_col > 0, d_row > 0, d_col < 0], axis=1)  # up, right, down, left
    return inputs, toward


def share_toward(module, size: int = 10) -> float:
    """Mean probability on moves that bring the agent closer to the other one, over every placement."""
    inputs, toward = _all_placements(size)
    with torch.no_grad():
        logits = module.forward_inference({Columns.OBS: torch.from_numpy(inputs)})[
            Columns.ACTION_DIST_INPUTS
        ]
    probs = torch.softmax(logits, -1).numpy()
    return float((probs * toward).sum(axis=1).mean())


def random_share_toward(size: int = 10) -> float:
    """:func:`share_toward` for a uniformly random mover."""
    return float(_all_placements(size)[1].mean(axis=1).mean())


# --- chapter 6: evaluation, sampled or greedy ---------------------------------


def with_evaluation(config, episodes: int):
    """``config`` with RLlib's evaluation set up for ``algo.evaluate()`` rounds of ``episodes`` episodes."""
    return config.evaluation(
        # We call algo.evaluate() ourselves; an interval is still needed so that RLlib
        # sets up its evaluation env runner (1000: never automatically).
        evaluation_interval=1000,
        evaluation_duration=episodes,
        evaluation_duration_unit="episodes",
        evaluation_num_env_runners=0,  # evaluate in this process
    )


def evaluate(algorithm) -> dict[str, float]:
    """Mean return per agent over one evaluation round (``algorithm.evaluate()``)."""
    result = algorithm.evaluate()
    return {
        agent: round(float(results.get(result, results.agent_return_column(agent))), 2)
        for agent in AGENTS
    }


def ways_to_act(p1, p2) -> dict[str, dict]:
    """Chapter 6's three ways to play the modules: both sample, both greedy, agent1 greedy."""
    return {
        "sampled (default)": {
            "agent1": ModulePolicy(p1, seed=1),
            "agent2": ModulePolicy(p2, seed=2),
        },
        "greedy": {
            "agent1": ModulePolicy(p1, explore=False),
            "agent2": ModulePolicy(p2, explore=False),
        },
        "greedy agent1 only": {
            "agent1": ModulePolicy(p1, explore=False),
            "agent2": ModulePolicy(p2, seed=2),
        },
    }


def sampled_or_greedy(p1, p2, episodes: int, seed: int = 1000) -> dict[str, dict]:
    """``{way: mean_returns(...)}`` for :func:`ways_to_act`, each on the same seeded episodes."""
    return {
        name: mean_returns(policies, episodes=episodes, seed=seed)
        for name, policies in ways_to_act(p1, p2).items()
    }


def catches(agent2_return: float, steps: int = 100) -> float:
    """Collisions per episode behind an agent2 return (+1.0 per catch, -0.1 otherwise)."""
    return (agent2_return + 0.1 * steps) / 1.1


# --- chapter 8: the custom metrics, the first quarter against the last ---------

#: What chapter 8 compares, first quarter against last: the history row's key -> its name.
QUARTER_KEYS = {
    NEW_FIELDS: "new cells per episode",
    COLLISIONS: "collisions per episode",
    "agent1": "agent1's return",
}


def ch08_key(kind: str, key: str) -> str:
    """The seed-range key of chapter 8's ``kind`` ("rise" or "last") of history key ``key``."""
    return f"ch08.{kind}.{key.removeprefix('agent1_')}"


def quarters(rows: Sequence[Mapping], key: str) -> tuple[list[float], list[float]] | None:
    """Chapter 8: ``key``'s per-iteration values in the first and the last quarter of ``rows``.

    Iterations without a value (no episode finished: NaN) are left out first. None
    when a quarter would hold fewer than 2 iterations: too few to compare.
    """
    values = [float(r[key]) for r in rows if not math.isnan(float(r[key]))]
    quarter = len(values) // 4
    if quarter < 2:
        return None
    return values[:quarter], values[-quarter:]


def quarter_rise(rows: Sequence[Mapping], key: str) -> float:
    """How much ``key`` rose from the first quarter's mean to the last's (NaN: too few)."""
    found = quarters(rows, key)
    if found is None:
        return float("nan")
    first, last = found
    return float(np.mean(last) - np.mean(first))


# --- chapter 12: the four match-ups -------------------------------------------


def matchup_stats(modules: Mapping, episodes: int, seed: int = 10_000) -> dict[str, dict]:
    """``{match-up: mean_returns(...)}`` for chapter 12's :data:`MATCHUPS`."""
    players = {"trained": trained_policies(modules, seed=100), "random": random_policies(seed=200)}
    return {
        name: mean_returns(
            {"agent1": players[who1]["agent1"], "agent2": players[who2]["agent2"]},
            episodes=episodes,
            seed=seed,
        )
        for name, (who1, who2) in MATCHUPS.items()
    }
