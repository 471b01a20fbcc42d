"""MultiAgentArena seen as a PettingZoo ``ParallelEnv``.

The game is written once, as an RLlib ``MultiAgentEnv``, because that is what the
course teaches learners to write. RLlib only ships the PettingZoo-to-RLlib direction
(``ParallelPettingZooEnv``), so this thin adapter goes the other way, which lets
PettingZoo's own ``parallel_api_test`` check the game's API. It adds no rules.

PettingZoo semantics differ from RLlib's in small ways handled here: ``agents``
empties when the episode ends, spaces come from ``observation_space(agent)`` and
``action_space(agent)`` methods, and ``step`` returns per-agent dicts without
RLlib's ``"__all__"`` key.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from pettingzoo import ParallelEnv

from handson_rl.arena.env import RESET_OPTIONS, MultiAgentArena


class ArenaParallelEnv(ParallelEnv):
    """``ArenaParallelEnv(env_config)``: a MultiAgentArena behind PettingZoo's API."""

    metadata = {**MultiAgentArena.metadata, "name": "multi_agent_arena_v0"}

    def __init__(self, env_config: Mapping | None = None):
        self.arena = MultiAgentArena(env_config)
        self.render_mode = self.arena.render_mode
        self.possible_agents = list(self.arena.possible_agents)
        self.agents: list[str] = []
        self.observation_spaces = dict(self.arena.observation_spaces)
        self.action_spaces = dict(self.arena.action_spaces)

    def observation_space(self, agent):
        return self.observation_spaces[agent]

    def action_space(self, agent):
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: Mapping | None = None):
        if options:
            # PettingZoo's API test passes a placeholder {"options": 1}; the arena
            # itself rejects unknown keys, so drop them here, but say so.
            unknown = sorted(set(options) - set(RESET_OPTIONS), key=str)
            if unknown:
                warnings.warn(
                    f"ArenaParallelEnv.reset ignores unknown option(s) {unknown}; "
                    f"the arena understands {list(RESET_OPTIONS)}.",
                    stacklevel=2,
                )
            options = {k: v for k, v in options.items() if k in RESET_OPTIONS}
        obs, infos = self.arena.reset(seed=seed, options=options)
        self.agents = list(self.possible_agents)
        return obs, infos

    def step(self, actions):
        obs, rewards, terminateds, truncateds, infos = self.arena.step(actions)
        all_terminated = terminateds.pop("__all__")
        all_truncated = truncateds.pop("__all__")
        if all_terminated or all_truncated:
            self.agents = []
        return obs, rewards, terminateds, truncateds, infos

    def render(self):
        return self.arena.render()

    def close(self):
        self.arena.close()
