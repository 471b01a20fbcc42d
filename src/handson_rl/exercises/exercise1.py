"""Exercise 1 (chapter 2): the environment loop, checked against a recording arena."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Callable

import numpy as np

from handson_rl.arena.env import AGENT1, AGENT2, AGENTS, ArenaActionError, ArenaStateError, MultiAgentArena
from handson_rl.exercises.common import fail


# Discount factors a learner might have used by habit (RLlib's default is 0.99).
_USUAL_GAMMAS = (0.99, 0.95, 0.9, 0.98, 0.999, 0.5)


class _ReadTracker(dict):
    """A ``terminateds``/``truncateds`` dict that remembers whether anyone read it."""

    read = False

    def _mark(self):
        self.read = True

    def __getitem__(self, key):
        self._mark()
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._mark()
        return super().get(key, default)

    def __contains__(self, key):
        self._mark()
        return super().__contains__(key)

    def __iter__(self):
        self._mark()
        return super().__iter__()

    def values(self):
        self._mark()
        return super().values()

    def items(self):
        self._mark()
        return super().items()


class _RecordingArena(MultiAgentArena):
    """The real arena, plus a log of how it was driven.

    One step after the end of an episode is answered (with zero rewards and the
    episode still over) instead of raising, so the checker can tell "one step too
    many" apart from a loop that never stops.
    """

    def __init__(self, config=None):
        super().__init__(config)
        self.resets_at_call_start = 0
        self.steps_after_end = 0
        self.read_terminateds: list[_ReadTracker] = []
        self.read_truncateds: list[_ReadTracker] = []
        self.reset_seeds: list = []
        self.obs_log: dict[str, list] = {a: [] for a in AGENTS}  # what each agent should see
        self.action_log: dict[str, list] = {a: [] for a in AGENTS}
        self.reward_log: dict[str, list] = {a: [] for a in AGENTS}

    def reset(self, *, seed=None, options=None):
        obs, infos = super().reset(seed=seed, options=options)
        self.reset_seeds.append(seed)
        self.steps_after_end = 0
        self.read_terminateds, self.read_truncateds = [], []
        self.obs_log = {a: [obs[a].copy()] for a in AGENTS}
        self.action_log = {a: [] for a in AGENTS}
        self.reward_log = {a: [] for a in AGENTS}
        return obs, infos

    def looked_at(self) -> tuple[bool, bool]:
        """Whether the loop ever read ``terminateds`` / ``truncateds`` this episode."""
        return (
            any(d.read for d in self.read_terminateds),
            any(d.read for d in self.read_truncateds),
        )

    def step(self, action_dict):
        reset_in_this_call = len(self.reset_seeds) > self.resets_at_call_start
        if self.episode_over and reset_in_this_call:
            self.steps_after_end += 1
            if self.steps_after_end == 1:  # answer one step too many, then refuse
                obs = {a: self.obs_log[a][-1].copy() for a in AGENTS}
                terminateds = _ReadTracker({a: False for a in (*AGENTS, "__all__")})
                truncateds = _ReadTracker({a: True for a in (*AGENTS, "__all__")})
                self.read_terminateds.append(terminateds)
                self.read_truncateds.append(truncateds)
                return obs, {a: 0.0 for a in AGENTS}, terminateds, truncateds, {a: {} for a in AGENTS}
        obs, rewards, terminateds, truncateds, infos = super().step(action_dict)
        for a in AGENTS:
            self.action_log[a].append(int(np.asarray(action_dict[a])))
            self.reward_log[a].append(rewards[a])
            self.obs_log[a].append(obs[a].copy())
        terminateds, truncateds = _ReadTracker(terminateds), _ReadTracker(truncateds)
        self.read_terminateds.append(terminateds)
        self.read_truncateds.append(truncateds)
        return obs, rewards, terminateds, truncateds, infos


class _RecordingPolicy:
    """A random policy that remembers every observation it was shown."""

    def __init__(self, agent: str, action_space, seed: int):
        self.agent = agent
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        self.seen: list[np.ndarray] = []
        self.chosen: list[int] = []

    def act(self, obs):
        self.seen.append(dict(obs) if isinstance(obs, Mapping) else np.array(obs, copy=True))
        action = int(self.rng.integers(self.action_space.n))
        self.chosen.append(action)
        return action


def _run(run_episode: Callable, env: _RecordingArena, policies: dict, seed: int):
    limit = env.timestep_limit
    resets_before = len(env.reset_seeds)
    env.resets_at_call_start = resets_before
    try:
        return run_episode(env, policies, seed=seed)
    except NotImplementedError:
        fail(
            "run_episode still raises NotImplementedError: replace that line with your "
            "loop (reset the env, then step until the episode is over)."
        )
    except ArenaStateError as err:
        if "before reset" in str(err):
            fail(
                "Your loop called env.step() before env.reset(). Every episode starts "
                "with `obs, infos = env.reset(seed=seed)`."
            )
        if len(env.reset_seeds) > resets_before:
            read_terminateds, read_truncateds = env.looked_at()
            if read_terminateds and not read_truncateds:
                fail(
                    "Your loop waits for `terminateds['__all__']` and never looks at "
                    "`truncateds['__all__']`, so it kept stepping after the episode had "
                    f"ended (this env's timestep_limit is {limit}). A time limit ends an "
                    "episode by *truncation*, not termination; in this game `terminateds` "
                    "stays False. Stop when `terminateds['__all__'] or "
                    "truncateds['__all__']` is True."
                )
            fail(
                f"Your loop kept stepping after the episode had ended (this env's "
                f"timestep_limit is {limit}). Don't count to a fixed number of steps: "
                "loop until `terminateds['__all__'] or truncateds['__all__']` is True."
            )
        fail(
            "Your loop stepped an episode that had already ended: called a second "
            "time on the same env, run_episode must start a new episode. Call "
            f"`env.reset(seed=seed)` at the start of run_episode. (The env said: {err})"
        )
    except ArenaActionError as err:
        fail(
            "env.step() rejected your action dict. Build it as "
            "`{agent_id: policies[agent_id].act(obs[agent_id]) for agent_id in obs}`. "
            f"The env said: {err}"
        )
    except TypeError as err:
        fail(
            "Calling run_episode(env, policies, seed=...) failed with a TypeError. Keep "
            "the signature `def run_episode(env, policies, seed=None):`. "
            f"Python said: {err}"
        )


def check_exercise1(run_episode: Callable) -> None:
    """Check Exercise 1: one full episode with a policy per agent.

    ``run_episode(env, policies, seed=None)`` must reset ``env`` with ``seed``, let
    each agent's policy (``policies[agent_id].act(obs[agent_id])``) pick its action
    at every step until the episode is over, render the board after the reset and
    after every step, and return ``(returns, frames)``: each agent's summed reward
    and the list of rendered frames.
    """
    summary = {}
    for limit, seed in ((100, 7), (13, 2024)):
        env = _RecordingArena({"timestep_limit": limit, "render_mode": "rgb_array"})
        policies = {
            a: _RecordingPolicy(a, env.get_action_space(a), seed + i)
            for i, a in enumerate(AGENTS)
        }
        result = _run(run_episode, env, policies, seed)
        _check_one_episode(env, policies, seed, result)
        summary[limit] = {a: float(sum(env.reward_log[a])) for a in AGENTS}

        # The same env again: a correct answer starts a fresh episode.
        policies = {
            a: _RecordingPolicy(a, env.get_action_space(a), seed + 10 + i)
            for i, a in enumerate(AGENTS)
        }
        result = _run(run_episode, env, policies, seed + 1)
        _check_one_episode(env, policies, seed + 1, result)

    r = summary[100]
    print(
        "Exercise 1 solved: your loop resets the env, gives each agent its own "
        "observation, plays all 100 steps, renders every step and sums the rewards "
        f"right (this check's episode: agent1 {r[AGENT1]:+.1f}, agent2 {r[AGENT2]:+.1f})."
    )


def _check_one_episode(env: _RecordingArena, policies: dict, seed: int, result) -> None:
    limit = env.timestep_limit
    steps = env.timestep
    if not env.reset_seeds:
        fail("run_episode never called env.reset(). Start with `obs, infos = env.reset(seed=seed)`.")
    if env.reset_seeds[-1] != seed:
        fail(
            f"run_episode was called with seed={seed} but reset the env with "
            f"seed={env.reset_seeds[-1]!r}. Pass it on: `env.reset(seed=seed)`, so the "
            "same seed replays the same episode."
        )
    if env.steps_after_end:
        fail(
            f"Your loop stepped once more after the episode had ended: all {limit} steps "
            "were played, then env.step() was called again (here that step was answered "
            "so the check could go on; the real env raises an error). Check "
            "`terminateds['__all__'] or truncateds['__all__']` right after each "
            "env.step() and stop there; don't loop `timestep_limit + 1` times."
        )
    if steps < limit:
        fail(
            f"Your loop stopped after {steps} of the episode's {limit} steps. Keep "
            "stepping until `terminateds['__all__'] or truncateds['__all__']` is True "
            "(this env's time limit shows up as truncation)."
        )

    for agent in AGENTS:
        other = AGENT2 if agent == AGENT1 else AGENT1
        seen = policies[agent].seen
        if len(seen) != steps:
            fail(
                f"{agent}'s policy was asked for {len(seen)} actions in a {steps}-step "
                f"episode. Call `policies['{agent}'].act(obs['{agent}'])` exactly once "
                "per step, and send what it returns to env.step()."
            )
        expected = env.obs_log[agent][:steps]
        for t, (got, want) in enumerate(zip(seen, expected)):
            if isinstance(got, dict):
                fail(
                    f"At step {t}, {agent}'s policy was given the whole observation "
                    f"dict (keys {sorted(got)}) instead of {agent}'s own observation. "
                    f"A policy acts for one agent: call "
                    f"`policies['{agent}'].act(obs['{agent}'])`."
                )
            if np.array_equal(got, want):
                continue
            if np.array_equal(got, env.obs_log[other][t]):
                fail(
                    f"At step {t}, {agent}'s policy was given {other}'s observation "
                    f"{got.tolist()} instead of its own {want.tolist()}. Each agent "
                    f"sees the board from its side: pass obs['{agent}'] to "
                    f"policies['{agent}']."
                )
            fail(
                f"At step {t}, {agent}'s policy was given {got.tolist()}, but the env's "
                f"latest observation for {agent} was {want.tolist()}. Use the obs "
                "returned by the most recent reset()/step() call."
            )
        if env.action_log[agent] != policies[agent].chosen:
            fail(
                f"The actions sent to env.step() for {agent} are not the ones its "
                f"policy returned. Use `policies['{agent}'].act(...)`'s answer as "
                f"that agent's action."
            )

    if not (isinstance(result, tuple) and len(result) == 2):
        fail(
            f"run_episode should `return returns, frames`; it returned "
            f"{type(result).__name__} {str(result)[:80]}."
        )
    returns, frames = result
    if not isinstance(returns, dict) or set(returns) != set(AGENTS):
        fail(
            "`returns` should be a dict with one entry per agent, "
            f"{{'agent1': ..., 'agent2': ...}}; got {returns!r:.120}."
        )
    for agent in AGENTS:
        other = AGENT2 if agent == AGENT1 else AGENT1
        rewards = env.reward_log[agent]
        want = float(sum(rewards))
        got = returns[agent]
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"returns['{agent}'] should be a number, got {got!r:.80}.")
        if math.isclose(got, want, abs_tol=1e-6):
            continue
        for gamma in _USUAL_GAMMAS:
            discounted = float(sum(gamma**k * r for k, r in enumerate(rewards)))
            if math.isclose(got, discounted, abs_tol=1e-6) and not math.isclose(got, want, abs_tol=1e-6):
                fail(
                    f"returns['{agent}'] is {got:+.2f}, the return discounted with gamma = "
                    f"{gamma}. The course reports undiscounted returns: the plain sum of "
                    f"all rewards, {want:+.2f} here (RLlib's episode returns are "
                    "undiscounted too; gamma only enters PPO's training targets)."
                )
        if math.isclose(got, rewards[-1], abs_tol=1e-6):
            fail(
                f"returns['{agent}'] is {got:+.1f}, the reward of the last step only. "
                f"A return is the sum of all rewards: add each step's reward "
                f"(`returns[agent] += rewards[agent]`); the right value is {want:+.1f}."
            )
        if math.isclose(got, float(sum(env.reward_log[other])), abs_tol=1e-6):
            fail(
                f"returns['{agent}'] holds {other}'s return ({got:+.1f}). Add "
                f"rewards['{agent}'] to returns['{agent}']."
            )
        if math.isclose(got, want + float(sum(env.reward_log[other])), abs_tol=1e-6):
            fail(
                f"returns['{agent}'] is the sum of both agents' rewards ({got:+.1f}). "
                f"Keep one sum per agent; {agent}'s own is {want:+.1f}."
            )
        if math.isclose(got, want - rewards[0], abs_tol=1e-6):
            fail(
                f"returns['{agent}'] misses the first step's reward ({got:+.1f} "
                f"instead of {want:+.1f}): start from 0.0 and add every step's reward."
            )
        fail(
            f"returns['{agent}'] is {got:+.2f}, but {agent}'s rewards in this episode "
            f"add up to {want:+.2f}. Start each agent at 0.0 and add rewards[agent] "
            "after every env.step()."
        )

    if not isinstance(frames, (list, tuple)):
        fail(f"`frames` should be a list of rendered boards, got {type(frames).__name__}.")
    if len(frames) == steps:
        fail(
            f"`frames` has {len(frames)} boards: one per step, but the starting board "
            "is missing. Render once right after reset() and once after every step()."
        )
    if len(frames) != steps + 1:
        fail(
            f"`frames` has {len(frames)} boards for a {steps}-step episode; it should "
            f"have {steps + 1}: one after reset() and one after each step()."
        )
    first, last = np.asarray(frames[0]), np.asarray(frames[-1])
    if first.ndim != 3 or first.shape[-1] != 3:
        fail(
            "Each frame should be what env.render() returns for an env made with "
            "render_mode='rgb_array': an (H, W, 3) image array. Got "
            f"{type(frames[0]).__name__} with shape {getattr(first, 'shape', None)}."
        )
    if np.array_equal(first, last) and steps > 0:
        fail(
            "The first and last frames are identical: render the board inside the "
            "loop, after each step, not once before it."
        )
