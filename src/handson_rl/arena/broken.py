"""Three broken versions of MultiAgentArena, for chapter 11 (debugging).

Each one makes a mistake that is easy to make when writing a multi-agent env, and
each looks fine until RLlib runs it:

- :class:`WrongObsSpaceArena` declares an observation space that does not match
  what it returns (one cell index, while it returns two);
- :class:`MissingAllArena` forgets the ``"__all__"`` key in ``terminateds`` and
  ``truncateds``, so RLlib cannot tell when the episode is over;
- :class:`UnknownAgentArena` returns data for an agent id that is not one of its
  agents (a typo: ``"agent_1"`` instead of ``"agent1"``).

The chapter shows the error each one produces in training and how to read it.
Two checks find them before training: RLlib's own env checker
(:func:`rllib_check`, which catches only the unknown agent id) and
:func:`episode_problems`, which plays one episode and catches all three.
:data:`BROKEN_ENVS` maps a short name to each class.
"""

from __future__ import annotations

import gymnasium as gym

from handson_rl.arena.env import AGENT1, AGENTS, MultiAgentArena


class WrongObsSpaceArena(MultiAgentArena):
    """Bug: declares ``Discrete(width*height)`` (one cell) but returns ``[own, other]``."""

    def __init__(self, config=None):
        super().__init__(config)
        n_cells = self.width * self.height
        # BUG: the observation is two cell indices, not one.
        self.observation_spaces = {a: gym.spaces.Discrete(n_cells) for a in AGENTS}


class MissingAllArena(MultiAgentArena):
    """Bug: ``terminateds`` and ``truncateds`` lack the ``"__all__"`` key."""

    def step(self, action_dict):
        obs, rewards, terminateds, truncateds, infos = super().step(action_dict)
        # BUG: RLlib needs "__all__" to know whether the whole episode is over.
        terminateds.pop("__all__")
        truncateds.pop("__all__")
        return obs, rewards, terminateds, truncateds, infos


class UnknownAgentArena(MultiAgentArena):
    """Bug: a typo renames agent1 to ``"agent_1"`` in the dicts ``step`` returns."""

    TYPO = "agent_1"

    def step(self, action_dict):
        results = super().step(action_dict)
        # BUG: "agent_1" is not one of self.agents ("agent1", "agent2").
        return tuple(
            {(self.TYPO if key == AGENT1 else key): value for key, value in d.items()}
            for d in results
        )


BROKEN_ENVS = {
    "wrong_obs_space": WrongObsSpaceArena,
    "missing_all": MissingAllArena,
    "unknown_agent": UnknownAgentArena,
}


def rllib_check(env) -> str | None:
    """Run RLlib's multi-agent env checker on ``env``.

    Returns None if the env passes, else the checker's error message, so a notebook
    can show it without a traceback. RLlib's checker resets the env, takes one
    random step and checks the *shape* of the returned dicts (multi-agent dicts,
    known agent ids); it does not check observations against the spaces, nor the
    ``"__all__"`` key.
    """
    from ray.rllib.utils.pre_checks.env import check_multiagent_environments

    try:
        check_multiagent_environments(env)
    except Exception as error:  # noqa: BLE001 - the checker raises ValueError and others
        return f"{type(error).__name__}: {error}"
    return None


def _check_obs(env, where: str, obs, note) -> None:
    """``note`` each observation of an unknown agent id or outside its space."""
    for agent_id, value in obs.items():
        if agent_id not in env.possible_agents:
            note(
                "agent id",
                f"{where}: agent id {agent_id!r} is not one of "
                f"env.possible_agents {list(env.possible_agents)}.",
            )
            continue
        space = env.get_observation_space(agent_id)
        if not space.contains(value):
            note(
                "obs space",
                f"{where}: {agent_id}'s observation {value!r} is not "
                f"inside its observation space {space}.",
            )


def _check_step_dicts(env, where: str, rewards, terminateds, truncateds, infos, note) -> None:
    """``note`` unknown agent ids in a step's dicts and a missing ``"__all__"`` key."""
    for name, d in (
        ("rewards", rewards),
        ("terminateds", terminateds),
        ("truncateds", truncateds),
        ("infos", infos),
    ):
        for agent_id in d:
            if agent_id != "__all__" and agent_id not in env.possible_agents:
                note(
                    "agent id",
                    f"{where}: {name} has agent id {agent_id!r}, not one "
                    f"of env.possible_agents {list(env.possible_agents)}.",
                )
    for name, d in (("terminateds", terminateds), ("truncateds", truncateds)):
        if "__all__" not in d:
            note(
                "__all__",
                f"{where}: {name} has no '__all__' key (it has "
                f"{list(d)}), so RLlib cannot tell when the episode is over.",
            )


def episode_problems(env, seed: int = 0, max_steps: int = 1000) -> list[str]:
    """Play one episode with random actions and list what breaks RLlib's contract.

    Checks, at ``reset`` and at every step: each returned agent id is one of
    ``env.possible_agents``; each observation is inside that agent's declared
    observation space; ``terminateds`` and ``truncateds`` have the ``"__all__"``
    key. Each kind of problem is reported once, at its first occurrence. An empty
    list means none was found in this episode.
    """
    problems: dict[str, str] = {}

    def note(kind: str, text: str) -> None:
        problems.setdefault(kind, text)

    obs, _ = env.reset(seed=seed)
    _check_obs(env, "reset()", obs, note)
    rng = __import__("numpy").random.default_rng(seed)
    for t in range(max_steps):
        actions = {a: int(rng.integers(env.get_action_space(a).n)) for a in env.agents}
        obs, rewards, terminateds, truncateds, infos = env.step(actions)
        where = f"step {t + 1}"
        _check_obs(env, where, obs, note)
        _check_step_dicts(env, where, rewards, terminateds, truncateds, infos, note)
        if terminateds.get("__all__") or truncateds.get("__all__"):
            break
        if "__all__" not in terminateds and all(truncateds.values()) and truncateds:
            break  # the broken env ends without saying so; stop stepping it
    return list(problems.values())
