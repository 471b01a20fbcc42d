"""Chapter 11's task: a bug hunt in :class:`~handson_rl.arena.mystery.MysteryArena`.

The mystery env has two bugs (a move off the bottom of the board, and agent1 never
getting a new field). The learner finds them with the chapter's tools and passes
a fixed class, usually ``class FixedArena(MysteryArena)`` overriding the two broken
methods. The checker plays seeded random episodes with the learner's class and
with the course's own arena side by side, on the default board and on a smaller
one, and at the first step where they differ names what is still wrong.
"""

from __future__ import annotations

import numpy as np

from handson_rl.arena.env import AGENT1, AGENTS, MultiAgentArena
from handson_rl.arena.mystery import MysteryArena
from handson_rl.exercises.common import checker, fail

TASK_ID = "task-ch11-bug-hunt"
#: The boards the fixed env is played on: the default one, and a smaller, wider one
#: (a fix with the default board's size written into it fails there).
CONFIGS = (None, {"width": 6, "height": 4, "timestep_limit": 40})
#: Seeded random episodes per board (together a fraction of a second).
EPISODES = 10
_HOW = (
    "Write `class FixedArena(MysteryArena):` and override only the two methods with a bug in them."
)


def _board(config) -> str:
    cfg = config or {}
    return f"{cfg.get('height', 10)} x {cfg.get('width', 10)}"


def _check_class(fixed) -> None:
    if not isinstance(fixed, type):
        fail(
            f"Pass your class itself, check_bug_hunt(FixedArena), not "
            f"{'an instance of it' if isinstance(fixed, MultiAgentArena) else type(fixed).__name__}: "
            "the check builds its own envs from it, on two board sizes."
        )
    if not issubclass(fixed, MultiAgentArena):
        fail(f"{fixed.__name__} is not an arena (not a subclass of MultiAgentArena). {_HOW}")
    if fixed is MysteryArena:
        fail(f"That is MysteryArena itself, with both bugs still in it. {_HOW}")
    if fixed.step is MultiAgentArena.step:
        fail(
            f"{fixed.__name__} plays with the course's own MultiAgentArena.step, so it says "
            "nothing about the mystery env: the task is to find and fix the mystery env's "
            f"two bugs. {_HOW}"
        )


def _make(fixed, config):
    try:
        return fixed(config)
    except Exception as err:  # the learner's own error
        fail(
            f"{fixed.__name__}({config!r}) raised {type(err).__name__}: {err}. Your class "
            "must take the arena's config dict, like MultiAgentArena.",
            err,
        )


def _step(env, what: str, call):
    try:
        return call()
    except Exception as err:
        fail(f"{type(env).__name__}.{what} raised {type(err).__name__}: {err}.", err)


def _off_board(env, config, obs, t: int, seed: int) -> None:
    """Fail if an observation leaves the declared space (bug 1: a move off the board)."""
    for agent in AGENTS:
        space = env.get_observation_space(agent)
        if not space.contains(np.asarray(obs[agent], dtype=np.int64)):
            rows = (config or {}).get("height", 10)
            hint = (
                (
                    "It is right on the 10 x 10 board, which is square: your fix has the "
                    "board's size written in (use self.height and self.width), or clips the "
                    "row with the width (rows go to self.height - 1, columns to "
                    "self.width - 1). "
                )
                if config
                else ""
            )
            fail(
                f"On the {_board(config)} board (episode seed {seed}, step {t}), "
                f"{agent}'s observation is {[int(v) for v in np.asarray(obs[agent])]}, outside its "
                f"observation space {space}: an agent walked off the board (moving down "
                f"from the bottom row, row {rows - 1}). {hint}A move into a wall must "
                "leave the agent where it is: rows are 0 to height - 1 and columns 0 to "
                "width - 1. Look at how _move clips the row."
            )


def _compare(env, ref, config, seed: int, t: int, got, want) -> None:
    """Name the first difference between the learner's step and the arena's."""
    (obs, rew, term, trunc, info), (obs0, rew0, term0, trunc0, info0) = got, want
    _off_board(env, config, obs, t, seed)
    where = f"On the {_board(config)} board (episode seed {seed}, step {t})"
    new, new0 = bool(info.get(AGENT1, {}).get("new_field")), info0[AGENT1]["new_field"]
    cell = ref.cell_index(*ref.agent1_pos)
    if new0 and not new:
        fail(
            f"{where}, agent1 entered cell {cell} for the first time in the episode, but "
            f"your env says new_field=False and rewards it {rew[AGENT1]:+} instead of "
            f"{rew0[AGENT1]:+}: agent1 never gets a new field, so it cannot learn to "
            "explore. Look at the order of the two lines in _is_new_field: ask whether the "
            "cell was visited before you remember it."
        )
    if new and not new0:
        fail(
            f"{where}, agent1 came back to cell {cell}, which it had visited already, and "
            f"your env says new_field=True ({rew[AGENT1]:+} instead of {rew0[AGENT1]:+}). "
            "A new field is a cell agent1 has not visited in this episode: check that "
            "before adding the cell to self._visited, and do add it."
        )
    same_obs = all(np.array_equal(np.asarray(obs[a]), obs0[a]) for a in AGENTS)
    if not same_obs:
        fail(
            f"{where}, your env puts the agents at {[list(np.asarray(obs[a])) for a in AGENTS]} "
            f"(observations of agent1, agent2) where the game's rules put them at "
            f"{[list(obs0[a]) for a in AGENTS]}. Change only the two buggy lines; a move "
            "into a wall leaves the agent where it is, and a move onto the other agent is "
            "a collision (docs/game.md)."
        )
    if dict(rew) != rew0 or dict(term) != term0 or dict(trunc) != trunc0:
        fail(
            f"{where}, your env returns rewards {dict(rew)}, terminateds {dict(term)} and "
            f"truncateds {dict(trunc)}; the game's rules give {rew0}, {term0} and {trunc0}. "
            "Change only the two buggy lines of MysteryArena."
        )


def _play(fixed, config, seed: int) -> None:
    env, ref = _make(fixed, config), MultiAgentArena(config)
    obs, _ = _step(env, f"reset(seed={seed})", lambda: env.reset(seed=seed))
    ref.reset(seed=seed)
    _off_board(env, config, obs, 0, seed)
    rng = np.random.default_rng(seed)
    for t in range(1, ref.timestep_limit + 1):
        actions = {a: int(rng.integers(4)) for a in AGENTS}
        got = _step(env, f"step({actions})", lambda actions=actions: env.step(dict(actions)))
        want = ref.step(dict(actions))
        _compare(env, ref, config, seed, t, got, want)


@checker
def check_bug_hunt(fixed) -> None:
    """Check chapter 11's task: ``fixed`` is MysteryArena with its two bugs fixed, so
    it plays exactly like MultiAgentArena (same seeds, same random actions)."""
    _check_class(fixed)
    for config in CONFIGS:
        for seed in range(EPISODES):
            _play(fixed, config, seed)
    print(
        f"Task solved: {fixed.__name__} plays {len(CONFIGS) * EPISODES} random episodes, on "
        f"a 10 x 10 and a 4 x 6 board, exactly like the course's arena: no agent leaves "
        f"the board, and agent1 gets +1.0 for each new field."
    )
    from handson_rl.exercises.tasks import task
    from handson_rl.progress import record

    record(task(TASK_ID))
