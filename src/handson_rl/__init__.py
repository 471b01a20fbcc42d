"""Hands-on RL with Ray RLlib: the course package.

Everything the notebooks share lives here (the MultiAgentArena game, its renderers,
the exercise checkers, budgets), so that each piece has one tested source.
"""

from handson_rl.env import (
    ACTION_NAMES,
    AGENTS,
    ArenaActionError,
    ArenaConfigError,
    ArenaStateError,
    MultiAgentArena,
)

__all__ = [
    "ACTION_NAMES",
    "AGENTS",
    "ArenaActionError",
    "ArenaConfigError",
    "ArenaStateError",
    "MultiAgentArena",
]
