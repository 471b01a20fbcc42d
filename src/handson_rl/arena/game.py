"""The game a learner plays against a random or trained policy, with no display in it.

:class:`ArenaGame` holds the state and the rules of a played game (your moves, the
opponent's, the rewards, the summary against the trained agent's and a random
one's score from the same start); :mod:`handson_rl.arena.play_text` shows it in a
terminal or headless run and :mod:`handson_rl.arena.play_widget` as a widget.
Both display modules import this one; it imports neither. The game knows no
training: a trained agent is whatever ``trained(agent, seed)`` returns, given by
:func:`handson_rl.tools.play.play` (the course's pre-trained agents, or yours).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from handson_rl.arena.env import ACTION_NAMES, AGENT1, AGENT2, AGENTS, MultiAgentArena
from handson_rl.arena.render import board_text
from handson_rl.arena.rollout import RandomPolicy, play_episode

OPPONENTS = ("random", "trained")
ROLE = {AGENT1: "the explorer", AGENT2: "the chaser"}

#: What a player may type or press, to an action index (0 up, 1 right, 2 down, 3 left).
KEYS = {
    "ArrowUp": 0,
    "ArrowRight": 1,
    "ArrowDown": 2,
    "ArrowLeft": 3,
    "w": 0,
    "d": 1,
    "s": 2,
    "a": 3,
    "up": 0,
    "right": 1,
    "down": 2,
    "left": 3,
    "0": 0,
    "1": 1,
    "2": 2,
    "3": 3,
}


class PlayError(ValueError):
    """A setting of the play control the game cannot use; the message says which."""


def parse_move(move) -> int:
    """An action index from an int 0-3, a key name, a letter (w/a/s/d) or a word."""
    if isinstance(move, bool):
        raise PlayError(f"A move is a direction, not {move!r}.")
    if isinstance(move, int):
        if 0 <= move <= 3:
            return move
        raise PlayError(f"Move {move} is outside 0-3 (0 up, 1 right, 2 down, 3 left).")
    if isinstance(move, str):
        key = move.strip()
        if key in KEYS:
            return KEYS[key]
        if key.lower() in KEYS:
            return KEYS[key.lower()]
    raise PlayError(
        f"{move!r} is not a move: use w/a/s/d, up/right/down/left, an arrow key or 0-3."
    )


@dataclass
class Step:
    """One step of your game: both moves, both rewards, what happened."""

    step: int
    you: str  # your move's name
    other: str  # the opponent's move's name
    rewards: dict
    returns: dict
    collision: bool
    new_field: bool
    done: bool


@dataclass
class Reference:
    """How others scored from the same start: the trained agent, a random one, in your place."""

    trained: dict
    random: dict


@dataclass
class ArenaGame:
    """One game of MultiAgentArena with you in ``you``'s seat.

    ``opponent`` is ``"random"``, ``"trained"`` (``trained(agent, seed)``'s policy:
    :func:`handson_rl.tools.play.play` gives the course's pre-trained agents, or
    modules such as your own from Exercise 2) or any object with
    ``act(observation) -> action``. Without ``trained`` there is no trained agent:
    ``"trained"`` is refused and the summary has nothing trained to compare with. ``seed`` fixes the start: the coin flips of
    who moves first, and the opponent's own random numbers. :meth:`restart`
    starts again, from the same start unless given a new seed.
    """

    you: str = AGENT1
    opponent: object = "random"
    seed: int = 0
    trained: Callable[[str, int], object] | None = None
    env_config: Mapping | None = None
    history: list = field(default_factory=list, init=False)

    def __post_init__(self):
        if self.you not in AGENTS:
            raise PlayError(
                f"you must be one of {list(AGENTS)} (agent1 explores, agent2 chases), got {self.you!r}."
            )
        if isinstance(self.opponent, str) and self.opponent not in OPPONENTS:
            raise PlayError(
                f"opponent must be one of {list(OPPONENTS)} or a policy with act(), got {self.opponent!r}."
            )
        if not isinstance(self.opponent, str) and not hasattr(self.opponent, "act"):
            raise PlayError(f"opponent {self.opponent!r} has no act(observation) method.")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise PlayError(f"seed must be an int, got {self.seed!r}.")
        self.other = AGENT2 if self.you == AGENT1 else AGENT1
        self.env = MultiAgentArena({**(self.env_config or {}), "render_mode": "rgb_array"})
        self._references: dict[int, Reference] = {}
        self.restart()

    # ------------------------------------------------------------- the game
    def _opponent_policy(self):
        if not isinstance(self.opponent, str):
            return self.opponent
        if self.opponent == "random":
            return RandomPolicy(self.env.get_action_space(self.other), seed=self.seed + 1)
        return self._trained(self.other, seed=self.seed + 1)

    def _trained(self, agent: str, seed: int):
        if self.trained is None:
            raise PlayError(
                "This game has no trained agent: give one as trained(agent, seed) "
                "(handson_rl.tools.play.play gives the course's pre-trained agents)."
            )
        return self.trained(agent, seed)

    @property
    def opponent_name(self) -> str:
        if isinstance(self.opponent, str):
            return f"{self.opponent} {self.other}"
        return f"your policy as {self.other}"

    def restart(self, seed: int | None = None) -> None:
        """A new episode (from the same start unless ``seed`` is given)."""
        if seed is not None:
            self.seed = int(seed)
        self._policy = self._opponent_policy()
        self._obs, _ = self.env.reset(seed=self.seed)
        self.history = []

    @property
    def observation(self):
        """What your agent observes now: ``[own cell, other agent's cell]``."""
        return self._obs[self.you]

    @property
    def done(self) -> bool:
        return self.env.episode_over

    @property
    def returns(self) -> dict:
        return self.env.returns

    @property
    def step_count(self) -> int:
        return self.env.timestep

    def move(self, move) -> Step:
        """Your move (see :func:`parse_move`); the opponent moves at the same time."""
        if self.done:
            raise PlayError(
                f"The episode is over ({self.env.timestep_limit} steps): restart to play again."
            )
        action = parse_move(move)
        other_action = int(self._policy.act(self._obs[self.other]))
        self._obs, rewards, _, truncateds, infos = self.env.step(
            {self.you: action, self.other: other_action}
        )
        record = Step(
            step=self.env.timestep,
            you=ACTION_NAMES[action],
            other=ACTION_NAMES[other_action],
            rewards=dict(rewards),
            returns=dict(self.env.returns),
            collision=bool(infos[AGENT1]["collision"]),
            new_field=bool(infos[AGENT1]["new_field"]),
            done=bool(truncateds["__all__"]),
        )
        self.history.append(record)
        return record

    def frame(self, cell_px: int = 32):
        """The board as an RGB image."""
        from handson_rl.arena.render import board_rgb

        return board_rgb(self.env, cell_px)

    def text(self) -> str:
        return board_text(self.env)

    # -------------------------------------------------------- the comparison
    def reference(self) -> Reference:
        """The trained agent's and a random agent's returns in your seat, same start.

        Same env seed (the same coin flips) and the same opponent, built with the
        same seed: a random opponent then makes exactly the moves it made against
        you; a trained one reacts to what it sees, so its moves may differ.
        """
        if self.seed not in self._references:
            env = MultiAgentArena(dict(self.env_config or {}))
            scores = {}
            for kind in ("trained", "random"):
                if kind == "trained":
                    mine = self._trained(self.you, seed=self.seed + 2)
                else:
                    mine = RandomPolicy(env.get_action_space(self.you), seed=self.seed + 2)
                returns, _ = play_episode(
                    env, {self.you: mine, self.other: self._opponent_policy()}, seed=self.seed
                )
                scores[kind] = {agent: round(value, 6) for agent, value in returns.items()}
            self._references[self.seed] = Reference(
                trained=scores["trained"], random=scores["random"]
            )
        return self._references[self.seed]

    def counts(self) -> dict:
        return {
            "collisions": sum(s.collision for s in self.history),
            "new_cells": sum(s.new_field for s in self.history),
            "steps": len(self.history),
        }

    def summary(self) -> str:
        """The end-of-episode summary (so far, if the episode is still on)."""
        c = self.counts()
        you, other = self.returns[self.you], self.returns[self.other]
        head = (
            "Episode over" if self.done else f"So far (step {c['steps']}/{self.env.timestep_limit})"
        )
        lines = [
            f"{head}: you ({self.you}, {ROLE[self.you]}) {you:+.1f}, {self.opponent_name} {other:+.1f}; "
            f"{c['new_cells']} new cells for agent1, {c['collisions']} collision(s).",
        ]
        if self.done:
            try:
                ref = self.reference()
            except (PlayError, FileNotFoundError) as err:  # none given, or its files missing
                lines.append(f"(No trained {self.you} to compare with: {err})")
                return "\n".join(lines)
            lines.append(
                f"From the same start (seed {self.seed}), against the same {self.opponent_name}: "
                f"the trained {self.you} scored {ref.trained[self.you]:+.1f}, "
                f"a random {self.you} {ref.random[self.you]:+.1f}."
            )
            best = max(ref.trained[self.you], ref.random[self.you])
            lines.append(
                "You beat both."
                if you > best
                else "You beat the random player."
                if you > ref.random[self.you]
                else "Restart and try again: same start, same coin flips."
            )
        return "\n".join(lines)


# ------------------------------------------------------------------ showing it


def intro(game: ArenaGame) -> str:
    colour = "blue, 1" if game.you == AGENT1 else "red, 2"
    goal = (
        "cover new cells (+1.0 each), avoid agent2 (-1.0 per collision); a cell you "
        "visited before costs -0.5"
        if game.you == AGENT1
        else "bump into agent1 (+1.0 each time); every other step costs -0.1"
    )
    return f"You are {game.you} ({colour}), against the {game.opponent_name}: {goal}."


HEADLESS_NOTE = (
    "This is a picture of the play control. Run this notebook in JupyterLab to play: "
    "click the arrows or press the arrow keys (or W/A/S/D)."
)
