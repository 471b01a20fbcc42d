"""A mystery env for chapter 11's bug hunt: the arena, "tidied up" by a colleague.

:class:`MysteryArena` plays the same game as
:class:`~handson_rl.arena.env.MultiAgentArena` (docs/game.md), with its step split
into small methods (``_move``, ``_is_new_field``) so that it reads more easily.
Two bugs crept in while it was rewritten. Neither raises an error when the env is
stepped by hand, and RLlib's env checker passes it. The learner finds them with
chapter 11's tools (``episode_problems``, a few steps played by hand next to the
real arena, a debugger) and fixes them in a subclass; the checker
(:mod:`handson_rl.exercises.tasks.ch11_bug_hunt`) compares the fixed env with the
real arena, step by step.

The docstrings below do not give the bugs away: this module is what the learner
reads with ``inspect.getsource``.
"""

from __future__ import annotations

from collections.abc import Mapping

from handson_rl.arena.env import (
    _DELTAS,
    AGENT1,
    AGENT2,
    R1_COLLISION,
    R1_NEW_FIELD,
    R1_OTHERWISE,
    R2_COLLISION,
    R2_OTHERWISE,
    ArenaStateError,
    MultiAgentArena,
)


class MysteryArena(MultiAgentArena):
    """The arena with a step that reads more easily: each move through ``_move``,
    each cell agent1 enters through ``_is_new_field``. Same rules, same spaces,
    same arguments as MultiAgentArena."""

    def _move(self, row: int, col: int, action: int) -> tuple[int, int]:
        """The cell ``action`` leads to from ``(row, col)``; a wall keeps the agent in place."""
        dr, dc = _DELTAS[action]
        row = min(max(row + dr, 0), self.height)
        col = min(max(col + dc, 0), self.width - 1)
        return row, col

    def _is_new_field(self, cell: int) -> bool:
        """Whether agent1 enters ``cell`` for the first time in this episode (and remember it)."""
        self._visited.add(cell)
        return cell not in self._visited

    def step(self, action_dict: Mapping):
        if self._timestep is None or self._done:
            raise ArenaStateError("Call reset() first: no episode is running.")
        a1, a2 = self._read_actions(action_dict)
        pos1, pos2 = (self._r1, self._c1), (self._r2, self._c2)
        collision = new_field = False
        for mover in (1, 2) if self._agent1_first[self._timestep] else (2, 1):
            if mover == 1:
                target = self._move(*pos1, a1)
                if target == pos2:
                    collision = True
                else:
                    pos1 = target
                    new_field = self._is_new_field(self.cell_index(*pos1))
            else:
                target = self._move(*pos2, a2)
                if target == pos1:
                    collision = True
                else:
                    pos2 = target
        (self._r1, self._c1), (self._r2, self._c2) = pos1, pos2
        return self._finish_step(collision, new_field)

    def _finish_step(self, collision: bool, new_field: bool):
        if collision:
            rew1, rew2 = R1_COLLISION, R2_COLLISION
        else:
            rew1 = R1_NEW_FIELD if new_field else R1_OTHERWISE
            rew2 = R2_OTHERWISE
        self._return1 += rew1
        self._return2 += rew2
        self.last_collision = collision
        self._timestep += 1
        truncated = self._timestep >= self.timestep_limit
        self._done = truncated
        return (
            self._obs(),
            {AGENT1: rew1, AGENT2: rew2},
            {AGENT1: False, AGENT2: False, "__all__": False},
            {AGENT1: truncated, AGENT2: truncated, "__all__": truncated},
            {
                AGENT1: {"collision": collision, "new_field": new_field},
                AGENT2: {"collision": collision},
            },
        )
