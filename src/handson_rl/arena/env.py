"""MultiAgentArena: the two-agent grid game the whole course is built on.

The game is written once, as an RLlib :class:`~ray.rllib.env.multi_agent_env.MultiAgentEnv`,
because that is what the course teaches learners to write and what RLlib trains on
directly. PettingZoo's API tests see it through the small adapter in
:mod:`handson_rl.arena.pettingzoo_view` (RLlib only ships the PettingZoo-to-RLlib
direction), so there is exactly one implementation of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral
from typing import Any

import gymnasium as gym
import numpy as np
from ray.rllib.env.multi_agent_env import MultiAgentEnv

from handson_rl.arena.render import board_rgb, board_text

AGENT1 = "agent1"
AGENT2 = "agent2"
AGENTS = (AGENT1, AGENT2)

#: Action index -> name, in the order of ``Discrete(4)``.
ACTION_NAMES = ("up", "right", "down", "left")
# Action index -> (row change, column change).
_DELTAS = ((-1, 0), (0, 1), (1, 0), (0, -1))

#: Every key ``env_config`` may hold, with its default.
DEFAULT_CONFIG = {"width": 10, "height": 10, "timestep_limit": 100, "render_mode": "ansi"}
#: Every key ``reset(options=...)`` may hold.
RESET_OPTIONS = ("agent1_pos", "agent2_pos", "move_order")
MOVE_ORDERS = ("random", "agent1_first", "agent2_first")

# Rewards (docs/game.md, "A step").
R1_COLLISION, R1_NEW_FIELD, R1_OTHERWISE = -1.0, 1.0, -0.5
R2_COLLISION, R2_OTHERWISE = 1.0, -0.1


class ArenaConfigError(ValueError):
    """An ``env_config`` value (or a ``reset`` option) the arena cannot use."""


class ArenaActionError(ValueError):
    """An action dict the arena cannot step with."""


class ArenaStateError(RuntimeError):
    """``step`` called before ``reset`` or after the episode ended."""


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _refuse_unknown(given: Mapping, known: list, what: str) -> None:
    """Raise :class:`ArenaConfigError` naming the keys of ``given`` not in ``known``."""
    unknown = sorted(set(given) - set(known), key=str)
    if unknown:
        raise ArenaConfigError(
            f"Unknown {what} {unknown}. MultiAgentArena understands {known}; check the spelling."
        )


def _validate_config(config: Mapping | None) -> dict:
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise ArenaConfigError(
            f"env_config must be a dict such as {{'width': 10, 'height': 10}}, "
            f"got {type(config).__name__}: {config!r}."
        )
    _refuse_unknown(config, sorted(DEFAULT_CONFIG), "env_config key(s)")
    cfg = {**DEFAULT_CONFIG, **config}
    for key, minimum in (("width", 2), ("height", 2), ("timestep_limit", 1)):
        value = cfg[key]
        if not _is_int(value):
            raise ArenaConfigError(
                f"env_config[{key!r}] must be a whole number (int), got "
                f"{type(value).__name__} {value!r}."
            )
        if value < minimum:
            raise ArenaConfigError(f"env_config[{key!r}] must be at least {minimum}, got {value}.")
        cfg[key] = int(value)
    if cfg["render_mode"] not in MultiAgentArena.metadata["render_modes"]:
        raise ArenaConfigError(
            f"env_config['render_mode'] must be one of "
            f"{MultiAgentArena.metadata['render_modes']}, got {cfg['render_mode']!r}."
        )
    return cfg


class MultiAgentArena(MultiAgentEnv):
    """Two agents on a grid: one explores, the other chases it.

    ## Description

    A ``width`` x ``height`` grid (default 10 x 10). ``agent1`` starts in the top-left
    corner and is rewarded for covering cells it has not visited yet in this episode;
    ``agent2`` starts in the bottom-right corner and is rewarded for bumping into
    ``agent1``. Both agents act at every step; a fair coin, drawn from the env's seeded
    generator, decides whose move is carried out first.

    A move targets the neighbouring cell in the chosen direction. If that cell holds
    the other agent, the move is cancelled (the agent stays) and a *collision*
    happens. Otherwise the target is clipped to the grid, so walking into a wall
    means staying put. If ``agent1`` reaches a cell it has not visited in this episode
    (its start cell counts as visited), that is a *new field*.

    ## Action Space

    Each agent: ``Discrete(4)``: 0 = up (row - 1), 1 = right (col + 1),
    2 = down (row + 1), 3 = left (col - 1). ``step`` takes a dict with exactly one
    action for each of ``"agent1"`` and ``"agent2"``. Anything else (a missing or
    unknown agent, an action outside 0-3, a float, a string, ``None``, an array that is
    not a single integer) raises :class:`ArenaActionError` saying what was wrong.

    ## Observation Space

    Each agent: ``MultiDiscrete([width * height, width * height])``: the index of its
    own cell and of the other agent's cell, where ``index = row * width + col``.
    ``agent1`` sees ``[pos1, pos2]``, ``agent2`` sees ``[pos2, pos1]``.

    ## Rewards

    Per step, from the events of both moves:

    - ``agent1``: -1.0 if there was a collision, else +1.0 if it reached a new field,
      else -0.5.
    - ``agent2``: +1.0 if there was a collision, else -0.1.

    ## Starting State

    ``agent1`` at ``[0, 0]``, ``agent2`` at ``[height - 1, width - 1]``. For
    experiments and tests, ``reset(options=...)`` accepts ``agent1_pos`` and
    ``agent2_pos`` (``[row, col]``) and ``move_order`` (``"random"``,
    ``"agent1_first"`` or ``"agent2_first"``) for the whole episode.

    ## Episode End

    After ``timestep_limit`` steps (default 100) for both agents at once. That is a
    time limit, so it is reported as *truncation*: ``truncateds`` is True for both
    agents and ``"__all__"``; ``terminateds`` stays False. Stepping again afterwards
    raises :class:`ArenaStateError`; call ``reset()``.

    ## Arguments

    ``MultiAgentArena(config)`` with ``config`` (RLlib's ``env_config``) a dict with
    any of ``width`` and ``height`` (ints >= 2), ``timestep_limit`` (int >= 1) and
    ``render_mode`` (``"ansi"`` for the text board, ``"rgb_array"`` for an image).
    Unknown keys and invalid values raise :class:`ArenaConfigError`.

    ``infos`` carry the step's events: ``{"agent1": {"collision": bool,
    "new_field": bool}, "agent2": {"collision": bool}}``.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 5}

    def __init__(self, config: Mapping | None = None):
        super().__init__()
        cfg = _validate_config(config)
        self.width: int = cfg["width"]
        self.height: int = cfg["height"]
        self.timestep_limit: int = cfg["timestep_limit"]
        self.render_mode: str = cfg["render_mode"]

        n_cells = self.width * self.height
        self.possible_agents = list(AGENTS)
        self.agents = list(AGENTS)
        self.observation_spaces = {a: gym.spaces.MultiDiscrete([n_cells, n_cells]) for a in AGENTS}
        self.action_spaces = {a: gym.spaces.Discrete(4) for a in AGENTS}

        # Episode state; `_timestep is None` means "never reset".
        self._timestep: int | None = None
        self._done = False
        self._r1 = self._c1 = self._r2 = self._c2 = 0
        self._visited: set[int] = set()
        self._agent1_first: list[bool] = []
        self._return1 = self._return2 = 0.0
        self.last_collision = False

    # ------------------------------------------------------------------ state
    @property
    def agent1_pos(self) -> list[int]:
        """``[row, col]`` of agent1."""
        return [self._r1, self._c1]

    @property
    def agent2_pos(self) -> list[int]:
        """``[row, col]`` of agent2."""
        return [self._r2, self._c2]

    @property
    def returns(self) -> dict[str, float]:
        """Each agent's return (sum of rewards) so far in this episode.

        Rounded to 6 decimals, so that ten steps of -0.1 read as -1.0, not
        -0.9999999999999999.
        """
        return {AGENT1: round(self._return1, 6), AGENT2: round(self._return2, 6)}

    @property
    def visited(self) -> frozenset[int]:
        """Cell indices agent1 has visited in this episode (start cell included)."""
        return frozenset(self._visited)

    @property
    def timestep(self) -> int:
        """Steps taken in this episode (0 right after ``reset``)."""
        return self._timestep or 0

    @property
    def episode_over(self) -> bool:
        """True once the time limit has been reached."""
        return self._done

    def cell_index(self, row: int, col: int) -> int:
        return row * self.width + col

    def _obs(self) -> dict:
        p1 = self._r1 * self.width + self._c1
        p2 = self._r2 * self.width + self._c2
        return {
            AGENT1: np.array((p1, p2), dtype=np.int64),
            AGENT2: np.array((p2, p1), dtype=np.int64),
        }

    # ------------------------------------------------------------------ reset
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)  # seeds self.np_random (gymnasium convention)
        options = self._validate_options(options)
        (self._r1, self._c1) = options.get("agent1_pos", (0, 0))
        (self._r2, self._c2) = options.get("agent2_pos", (self.height - 1, self.width - 1))
        order = options.get("move_order", "random")
        if order == "random":
            # One coin per step, drawn up front from the seeded generator.
            self._agent1_first = (self.np_random.random(self.timestep_limit) < 0.5).tolist()
        else:
            self._agent1_first = [order == "agent1_first"] * self.timestep_limit
        self._timestep = 0
        self._done = False
        self._visited = {self._r1 * self.width + self._c1}
        self._return1 = self._return2 = 0.0
        self.last_collision = False
        self.agents = list(AGENTS)
        return self._obs(), {AGENT1: {}, AGENT2: {}}

    def _validate_options(self, options: Mapping | None) -> dict:
        if options is None:
            return {}
        if not isinstance(options, Mapping):
            raise ArenaConfigError(
                f"reset(options=...) must be a dict or None, got {type(options).__name__}."
            )
        _refuse_unknown(options, list(RESET_OPTIONS), "reset option(s)")
        out = dict(options)
        for key in ("agent1_pos", "agent2_pos"):
            if key not in out:
                continue
            pos = out[key]
            if (
                isinstance(pos, (str, bytes))
                or not hasattr(pos, "__len__")
                or len(pos) != 2
                or not all(_is_int(v) for v in pos)
            ):
                raise ArenaConfigError(
                    f"reset option {key!r} must be [row, col] with two ints, got {pos!r}."
                )
            row, col = int(pos[0]), int(pos[1])
            if not (0 <= row < self.height and 0 <= col < self.width):
                raise ArenaConfigError(
                    f"reset option {key!r}={[row, col]} is off the "
                    f"{self.height}x{self.width} grid (rows 0-{self.height - 1}, "
                    f"cols 0-{self.width - 1})."
                )
            out[key] = (row, col)
        p1 = out.get("agent1_pos", (0, 0))
        p2 = out.get("agent2_pos", (self.height - 1, self.width - 1))
        if p1 == p2:
            raise ArenaConfigError(f"agent1 and agent2 cannot start on the same cell {list(p1)}.")
        if out.get("move_order", "random") not in MOVE_ORDERS:
            raise ArenaConfigError(
                f"reset option 'move_order' must be one of {list(MOVE_ORDERS)}, "
                f"got {out['move_order']!r}."
            )
        return out

    # ------------------------------------------------------------------- step
    def _check_can_step(self) -> None:
        if self._timestep is None:
            raise ArenaStateError(
                "step() was called before reset(). Call env.reset() first to start an episode."
            )
        if self._done:
            raise ArenaStateError(
                f"The episode ended after {self.timestep_limit} steps "
                "(truncateds['__all__'] was True). Call env.reset() to start a new one."
            )

    def step(self, action_dict: Mapping):
        self._check_can_step()
        a1, a2 = self._read_actions(action_dict)

        w, h = self.width, self.height
        r1, c1, r2, c2 = self._r1, self._c1, self._r2, self._c2
        collision = new_field = False
        for mover in (1, 2) if self._agent1_first[self._timestep] else (2, 1):
            if mover == 1:
                dr, dc = _DELTAS[a1]
                nr, nc = r1 + dr, c1 + dc
                if nr == r2 and nc == c2:
                    collision = True
                else:
                    r1 = 0 if nr < 0 else (h - 1 if nr >= h else nr)
                    c1 = 0 if nc < 0 else (w - 1 if nc >= w else nc)
                    cell = r1 * w + c1
                    if cell not in self._visited:
                        self._visited.add(cell)
                        new_field = True
            else:
                dr, dc = _DELTAS[a2]
                nr, nc = r2 + dr, c2 + dc
                if nr == r1 and nc == c1:
                    collision = True
                else:
                    r2 = 0 if nr < 0 else (h - 1 if nr >= h else nr)
                    c2 = 0 if nc < 0 else (w - 1 if nc >= w else nc)
        self._r1, self._c1, self._r2, self._c2 = r1, c1, r2, c2

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

    def _read_actions(self, action_dict: Mapping) -> tuple[int, int]:
        if not isinstance(action_dict, Mapping):
            raise ArenaActionError(
                "step() takes a dict with one action per agent, e.g. "
                f"{{'agent1': 1, 'agent2': 3}}; got {type(action_dict).__name__}: "
                f"{action_dict!r}."
            )
        if len(action_dict) != 2 or AGENT1 not in action_dict or AGENT2 not in action_dict:
            missing = [a for a in AGENTS if a not in action_dict]
            unknown = [k for k in action_dict if k not in AGENTS]
            parts = []
            if missing:
                parts.append(f"missing an action for {missing}")
            if unknown:
                parts.append(f"unknown agent id(s) {unknown}")
            raise ArenaActionError(
                "step() needs exactly one action for each of 'agent1' and 'agent2' "
                f"(both act every step); the dict is {' and '.join(parts)}. "
                f"Got keys {list(action_dict)}."
            )
        a1 = action_dict[AGENT1]
        a2 = action_dict[AGENT2]
        # Fast path: plain ints in range (what most loops send).
        if not (a1.__class__ is int and 0 <= a1 <= 3):
            a1 = _coerce_action(AGENT1, a1)
        if not (a2.__class__ is int and 0 <= a2 <= 3):
            a2 = _coerce_action(AGENT2, a2)
        return a1, a2

    # ----------------------------------------------------------------- render
    def render(self):
        """The board as text (``render_mode="ansi"``) or as an RGB image array."""
        if self._timestep is None:
            raise ArenaStateError("Nothing to render yet: call env.reset() first.")
        if self.render_mode == "rgb_array":
            return board_rgb(self)
        return board_text(self)


def _coerce_action(agent: str, action: Any) -> int:
    """Return ``action`` as an int in 0..3, or raise a clear ArenaActionError."""
    hint = f"Use an int 0-3 ({', '.join(f'{i}={n}' for i, n in enumerate(ACTION_NAMES))})."
    if isinstance(action, np.ndarray):
        if action.shape != () or action.dtype.kind not in "iu":
            raise ArenaActionError(
                f"Action for {agent!r} is an array of shape {action.shape} and dtype "
                f"{action.dtype}; Discrete(4) needs a single integer. {hint}"
            )
        action = action.item()
    if not _is_int(action):
        raise ArenaActionError(
            f"Action for {agent!r} must be an integer, got {type(action).__name__} "
            f"{action!r}. {hint}"
        )
    if not 0 <= action <= 3:
        raise ArenaActionError(f"Action for {agent!r} is {action}, outside Discrete(4). {hint}")
    return int(action)
