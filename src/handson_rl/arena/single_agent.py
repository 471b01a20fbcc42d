"""Single-agent views of MultiAgentArena.

:class:`SingleAgentView` turns the two-agent game into an ordinary gymnasium
environment for one of the agents, with the other one driven by a fixed
``opponent`` function. That is what single-agent libraries (and the course's
Stable-Baselines3 comparison) can train on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from handson_rl.arena.env import (
    AGENT1,
    AGENT2,
    AGENTS,
    ArenaStateError,
    MultiAgentArena,
)

Opponent = Callable[[np.ndarray], Any]


class SingleAgentView(gym.Env):
    """The arena as seen by ``agent`` (``"agent1"`` or ``"agent2"``).

    The other agent acts through ``opponent(obs) -> action``, called with *its own*
    observation each step. By default it picks uniformly random actions from this
    env's generator, which ``reset(seed=...)`` seeds (the arena's coin flips get a
    seed derived from the same generator, so one seed fixes the whole episode).

    Spaces are ``agent``'s: ``MultiDiscrete([w*h, w*h])`` observations and
    ``Discrete(4)`` actions. The episode is *truncated* (never terminated) at the
    arena's ``timestep_limit``. ``env_config`` is the arena's config dict.
    """

    metadata = MultiAgentArena.metadata

    def __init__(
        self,
        env_config: Mapping | None = None,
        agent: str = AGENT1,
        opponent: Opponent | None = None,
    ):
        if agent not in AGENTS:
            raise ValueError(
                f"agent must be one of {list(AGENTS)} (the agent this env lets you "
                f"control), got {agent!r}."
            )
        if opponent is not None and not callable(opponent):
            raise TypeError(
                "opponent must be a function obs -> action (or None for random "
                f"moves), got {type(opponent).__name__}."
            )
        self.arena = MultiAgentArena(env_config)
        self.agent = agent
        self.other = AGENT2 if agent == AGENT1 else AGENT1
        self.opponent = opponent
        self.observation_space = self.arena.observation_spaces[agent]
        self.action_space = self.arena.action_spaces[agent]
        self.render_mode = self.arena.render_mode
        self._other_obs: np.ndarray | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        arena_seed = None if seed is None else int(self.np_random.integers(2**63 - 1))
        obs, infos = self.arena.reset(seed=arena_seed, options=options)
        self._other_obs = obs[self.other]
        return obs[self.agent], infos[self.agent]

    def _opponent_action(self):
        if self.opponent is None:
            return int(self.np_random.integers(4))
        return self.opponent(self._other_obs)

    def step(self, action):
        # Check first, so the opponent is never asked to move outside an episode.
        if self._other_obs is None:
            raise ArenaStateError("step() was called before reset(). Call env.reset() first.")
        if self.arena.episode_over:
            raise ArenaStateError(
                f"The episode ended after {self.arena.timestep_limit} steps "
                "(truncated was True). Call env.reset() to start a new one."
            )
        actions = {self.agent: action, self.other: self._opponent_action()}
        obs, rewards, _terminateds, truncateds, infos = self.arena.step(actions)
        self._other_obs = obs[self.other]
        return (
            obs[self.agent],
            rewards[self.agent],
            False,  # the arena has no terminal states, only the time limit
            truncateds["__all__"],
            infos[self.agent],
        )

    def render(self):
        return self.arena.render()

    def close(self):
        self.arena.close()
