"""The MultiAgentArena game and everything that plays it without training.

``from handson_rl.arena import MultiAgentArena`` is all most notebooks need. The
game is an RLlib ``MultiAgentEnv`` (what the course teaches learners to write), so
importing it loads RLlib's env base class, but not its training stack.
"""

from handson_rl.arena.env import (
    ACTION_NAMES,
    AGENT1,
    AGENT2,
    AGENTS,
    ArenaActionError,
    ArenaConfigError,
    ArenaStateError,
    MultiAgentArena,
)

__all__ = [
    "ACTION_NAMES",
    "AGENT1",
    "AGENT2",
    "AGENTS",
    "ArenaActionError",
    "ArenaConfigError",
    "ArenaStateError",
    "MultiAgentArena",
]
