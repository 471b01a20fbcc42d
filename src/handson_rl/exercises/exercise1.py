"""Exercise 1 (chapter 2): the environment loop, checked against a recording arena.

The learner's ``run_episode(env, policies, seed=None)`` runs on a recording copy of
the arena with recording random policies. The fakes look out for known mistakes
while the learner's code runs (a 2021-style ``env.reset()``, a policy called
instead of ``.act``, ``terminateds["all"]``, a loop that never stops) and raise
:class:`~handson_rl.exercises.common.Mistake`, which the checker turns into a
message that points at the learner's line. Every call is bounded: more steps,
resets, renders or policy calls than a right answer makes stop the loop with a
message saying why, so no answer can hang or fill the memory with frames.
"""

from __future__ import annotations

import inspect
import linecache
import math
import re
from collections.abc import Callable, Mapping

import numpy as np

from handson_rl.arena.env import (
    AGENT1,
    AGENT2,
    AGENTS,
    ArenaActionError,
    ArenaStateError,
    MultiAgentArena,
)
from handson_rl.exercises.common import Mistake, checker, fail, learner_traceback, time_limit

# Discount factors a learner might have used by habit (RLlib's default is 0.99).
_USUAL_GAMMAS = (0.99, 0.95, 0.9, 0.98, 0.999, 0.5)
#: Seconds one call of run_episode may take (a right answer takes well under one).
TIME_LIMIT = 60.0
#: Resets in one call of run_episode beyond which the loop is stopped (a right answer makes 1).
MAX_RESETS = 3
#: Each episode of ``limit`` steps allows this many times as many steps, renders and
#: policy calls in one call of run_episode (a right answer makes ``limit`` steps).
BOUND_FACTOR = 2

_ONE_EPISODE = (
    "run_episode plays ONE episode: reset once, step until "
    "`terminateds['__all__'] or truncateds['__all__']` is True, then return."
)


class _ReadTracker(dict):
    """A ``terminateds``/``truncateds`` dict that remembers whether anyone read it,
    and names a missing key (``terminateds["all"]``) instead of a bare KeyError."""

    read = False
    name = "terminateds"

    def __init__(self, values, name: str):
        super().__init__(values)
        self.name = name

    def _mark(self):
        self.read = True

    def __getitem__(self, key):
        self._mark()
        if not super().__contains__(key):
            keys = ", ".join(repr(k) for k in self.keys())
            raise Mistake(
                f"`{self.name}[{key!r}]`: {self.name} has no key {key!r}; its keys are {keys}. "
                "The episode is over for everyone when "
                f"`{self.name}['__all__']` is True (two underscores on each side)."
            )
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

    def keys(self):
        self._mark()
        return super().keys()

    def values(self):
        self._mark()
        return super().values()

    def items(self):
        self._mark()
        return super().items()


class _ResetResult(tuple):
    """What ``reset()`` returns, ``(obs, infos)``; the checker recognises it when a
    learner keeps the whole pair as ``obs`` (2021's gym returned obs only)."""


class _RecordingArena(MultiAgentArena):
    """The real arena, plus a log of how it was driven, and bounds per call.

    One step after the end of an episode is answered (with zero rewards and the
    episode still over) instead of raising, so the checker can tell "one step too
    many" apart from a loop that never stops.
    """

    def __init__(self, config=None):
        super().__init__(config)
        self.reset_seeds: list = []
        self.reset_results: list[_ResetResult] = []
        self.start_call()
        self._new_logs(None)

    def start_call(self):
        """Reset the per-call counters; the checker calls this before each run_episode."""
        self.resets_at_call_start = len(self.reset_seeds)
        self.steps_in_call = self.renders_in_call = self.steps_after_end = 0

    def _new_logs(self, obs):
        self.read_terminateds: list[_ReadTracker] = []
        self.read_truncateds: list[_ReadTracker] = []
        self.obs_log = {
            a: [obs[a].copy()] if obs else [] for a in AGENTS
        }  # what each agent should see
        self.action_log: dict[str, list] = {a: [] for a in AGENTS}
        self.reward_log: dict[str, list] = {a: [] for a in AGENTS}

    @property
    def resets_in_call(self) -> int:
        return len(self.reset_seeds) - self.resets_at_call_start

    def reset(self, *, seed=None, options=None):
        if self.resets_in_call >= MAX_RESETS:
            raise Mistake(
                f"Your loop called env.reset() more than {MAX_RESETS} times in one call of "
                f"run_episode (and stepped {self.steps_in_call} times): it starts new "
                f"episodes instead of stopping, so the check stopped it. {_ONE_EPISODE}"
            )
        obs, infos = super().reset(seed=seed, options=options)
        self.reset_seeds.append(seed)
        self.steps_after_end = 0
        self._new_logs(obs)
        result = _ResetResult((obs, infos))
        self.reset_results.append(result)
        return result

    def looked_at(self) -> tuple[bool, bool]:
        """Whether the loop ever read ``terminateds`` / ``truncateds`` this episode."""
        return (
            any(d.read for d in self.read_terminateds),
            any(d.read for d in self.read_truncateds),
        )

    def _count_step(self):
        self.steps_in_call += 1
        if self.steps_in_call > BOUND_FACTOR * self.timestep_limit + 1:
            raise Mistake(
                f"Your loop made {self.steps_in_call - 1} env.step() calls in one call of "
                f"run_episode, with {self.resets_in_call} env.reset() calls, for an episode "
                f"of {self.timestep_limit} steps: it never stops, so the check stopped it. "
                + _ONE_EPISODE
            )

    def step(self, action_dict):
        self._count_step()
        reset_in_this_call = self.resets_in_call > 0
        if self.episode_over and reset_in_this_call:
            self.steps_after_end += 1
            if self.steps_after_end == 1:  # answer one step too many, then refuse
                return self._one_step_too_many()
        obs, rewards, terminateds, truncateds, infos = super().step(action_dict)
        for a in AGENTS:
            self.action_log[a].append(int(np.asarray(action_dict[a])))
            self.reward_log[a].append(rewards[a])
            self.obs_log[a].append(obs[a].copy())
        return obs, rewards, *self._trackers(terminateds, truncateds), infos

    def _trackers(self, terminateds, truncateds):
        terminateds = _ReadTracker(terminateds, "terminateds")
        truncateds = _ReadTracker(truncateds, "truncateds")
        self.read_terminateds.append(terminateds)
        self.read_truncateds.append(truncateds)
        return terminateds, truncateds

    def _one_step_too_many(self):
        obs = {a: self.obs_log[a][-1].copy() for a in AGENTS}
        terminateds, truncateds = self._trackers(
            {a: False for a in (*AGENTS, "__all__")}, {a: True for a in (*AGENTS, "__all__")}
        )
        return obs, {a: 0.0 for a in AGENTS}, terminateds, truncateds, {a: {} for a in AGENTS}

    def render(self):
        self.renders_in_call += 1
        if self.renders_in_call > BOUND_FACTOR * (self.timestep_limit + 1) + 1:
            raise Mistake(
                f"Your loop called env.render() {self.renders_in_call - 1} times in one "
                f"call of run_episode (and env.step() {self.steps_in_call} times), for an "
                f"episode of {self.timestep_limit} steps: it never stops, so the check "
                "stopped it. Render once after reset() and once after each step(); " + _ONE_EPISODE
            )
        return super().render()


# A learner's AttributeError names the class the exercise speaks of, not the fake.
_RecordingArena.__name__ = _RecordingArena.__qualname__ = "MultiAgentArena"


class _RecordingPolicy:
    """A random policy that remembers every observation it was shown."""

    def __init__(self, agent: str, action_space, seed: int, max_calls: int):
        self.agent = agent
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        self.max_calls = max_calls
        self.seen: list[np.ndarray] = []
        self.chosen: list[int] = []

    def act(self, obs):
        if len(self.seen) >= self.max_calls:
            raise Mistake(
                f"Your loop asked {self.agent}'s policy for more than {self.max_calls} "
                f"actions in one call of run_episode ({len(self.chosen)} answered): it "
                f"never stops, so the check stopped it. {_ONE_EPISODE}"
            )
        self.seen.append(dict(obs) if isinstance(obs, Mapping) else np.array(obs, copy=True))
        action = int(self.rng.integers(self.action_space.n))
        self.chosen.append(action)
        return action

    def __call__(self, *args, **kwargs):
        raise Mistake(
            f"Your loop called the policy itself, `policies['{self.agent}'](...)`. A policy "
            f"is an object with an .act() method: `policies['{self.agent}'].act(obs['{self.agent}'])`."
        )


_RecordingPolicy.__name__ = _RecordingPolicy.__qualname__ = "RandomPolicy"


class _Policies(dict):
    """The policies dict, which names the mistake of treating it as one policy."""

    def __call__(self, *args, **kwargs):
        raise Mistake(
            "Your loop called `policies(...)`, but `policies` is a dict with one policy per "
            "agent: `policies[agent_id].act(obs[agent_id])` for each agent_id."
        )

    def act(self, *args, **kwargs):
        raise Mistake(
            "Your loop called `policies.act(...)`, but `policies` is a dict with one policy "
            "per agent: `policies[agent_id].act(obs[agent_id])` for each agent_id."
        )


def _policies(env: _RecordingArena, seed: int) -> _Policies:
    bound = BOUND_FACTOR * (env.timestep_limit + 1)
    return _Policies(
        {
            a: _RecordingPolicy(a, env.get_action_space(a), seed + i, bound)
            for i, a in enumerate(AGENTS)
        }
    )


def _check_signature(run_episode, env, policies, seed):
    if not callable(run_episode):
        fail(
            f"Pass your function itself: check_exercise1(run_episode); got "
            f"{type(run_episode).__name__} {run_episode!r:.80}."
        )
    try:
        inspect.signature(run_episode).bind(env, policies, seed=seed)
    except TypeError as err:
        fail(
            f"run_episode cannot be called as run_episode(env, policies, seed=...): {err}. "
            "Keep the signature `def run_episode(env, policies, seed=None):`."
        )
    except ValueError:
        pass  # no signature to read (a builtin): just call it


def _run(run_episode: Callable, env: _RecordingArena, policies: dict, seed: int):
    _check_signature(run_episode, env, policies, seed)
    env.start_call()
    too_long = (
        f"run_episode ran for {TIME_LIMIT:g} s without returning (a right answer takes "
        "well under a second here), so the check stopped it: the line below is where it "
        f"was. {_ONE_EPISODE}"
    )
    try:
        with time_limit(TIME_LIMIT, too_long):
            return run_episode(env, policies, seed=seed)
    except Mistake as mistake:
        fail(mistake.message, mistake)
    except NotImplementedError as err:
        fail(
            "run_episode still raises NotImplementedError: replace that line with your "
            "loop (reset the env, then step until the episode is over).",
            err,
        )
    except ArenaStateError as err:
        _explain_state_error(env, err)
    except ArenaActionError as err:
        fail(
            "env.step() rejected your action dict. Build it as "
            "`{agent_id: policies[agent_id].act(obs[agent_id]) for agent_id in obs}`. "
            f"The env said: {err}",
            err,
        )
    except Exception as err:  # the learner's own code failed: name the mistake if known
        _explain_crash(env, err)


def _explain_state_error(env: _RecordingArena, err: ArenaStateError):
    limit = env.timestep_limit
    for said, call in (("before reset", "env.step()"), ("Nothing to render", "env.render()")):
        if said in str(err):
            fail(
                f"Your loop called {call} before env.reset(). Every episode starts with "
                "`obs, infos = env.reset(seed=seed)`.",
                err,
            )
    if env.resets_in_call:
        read_terminateds, read_truncateds = env.looked_at()
        if read_terminateds and not read_truncateds:
            fail(
                "Your loop waits for `terminateds['__all__']` and never looks at "
                "`truncateds['__all__']`, so it kept stepping after the episode had "
                f"ended (this env's timestep_limit is {limit}). A time limit ends an "
                "episode by *truncation*, not termination; in this game `terminateds` "
                "stays False. Stop when `terminateds['__all__'] or "
                "truncateds['__all__']` is True.",
                err,
            )
        fail(
            f"Your loop kept stepping after the episode had ended (this env's "
            f"timestep_limit is {limit}). Don't count to a fixed number of steps: "
            "loop until `terminateds['__all__'] or truncateds['__all__']` is True.",
            err,
        )
    fail(
        "Your loop stepped an episode that had already ended: called a second "
        "time on the same env, run_episode must start a new episode. Call "
        f"`env.reset(seed=seed)` at the start of run_episode. (The env said: {err})",
        err,
    )


def _learner_locals(err: BaseException) -> list[dict]:
    """The local variables of the learner's frames, innermost first."""
    tb, found = learner_traceback(err.__traceback__), []
    while tb is not None:
        found.append(tb.tb_frame.f_locals)
        tb = tb.tb_next
    return found[::-1]


def _failing_line(err: BaseException) -> str:
    """The source of the learner's innermost line in ``err``'s traceback ("" if none)."""
    tb = learner_traceback(err.__traceback__)
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else ""


def _explain_crash(env: _RecordingArena, err: Exception):
    """A message for an exception raised in the learner's own code."""
    said = f"{type(err).__name__}: {str(err)[:300]}"
    frames = _learner_locals(err)
    line = _failing_line(err)
    for names in frames:
        for name, value in names.items():
            # The pair kept whole and used on the failing line, before the first step.
            used = env.timestep == 0 and re.search(rf"\b{re.escape(name)}\b", line)
            if used and any(value is r for r in env.reset_results):
                fail(
                    f"`{name} = env.reset(...)` keeps the whole pair (observations, infos) "
                    f"in {name}: today reset() returns two values (2021's gym returned the "
                    "observations only). Unpack them: `obs, infos = env.reset(seed=seed)`. "
                    f"(Python said: {said})",
                    err,
                )
    if isinstance(err, ValueError) and "too many values to unpack (expected 4)" in str(err):
        fail(
            "env.step() returns five values today: `obs, rewards, terminateds, truncateds, "
            "infos = env.step(actions)` (2021's gym returned four, with one `dones` dict; "
            "it is now split into terminateds and truncateds). And reset() returns two: "
            f"`obs, infos = env.reset(seed=seed)`. (Python said: {said})",
            err,
        )
    if isinstance(err, KeyError) and err.args and err.args[0] in AGENTS:
        _explain_missing_agent(err, frames, said)
    fail(
        f"Your run_episode raised {said}. The line of your code that raised it is shown with this message.",
        err,
    )


def _explain_missing_agent(err: KeyError, frames: list[dict], said: str):
    agent = err.args[0]
    empty = sorted(
        (
            name
            for names in frames[:1]
            for name, value in names.items()
            if isinstance(value, dict)
            and not isinstance(value, (_ReadTracker, _Policies))
            and agent not in value
        ),
        key=lambda name: "return" not in name,  # `returns` first, if it is one of them
    )
    where = (
        f"`{empty[0]}` has no entry for {agent!r} yet"
        if empty
        else f"a dict has no entry for {agent!r} yet"
    )
    fail(
        f"Your run_episode raised {said}: {where}. Start each agent's return at 0.0 "
        "before adding rewards to it: `returns = {agent_id: 0.0 for agent_id in obs}`.",
        err,
    )


def _global_arenas(fn) -> list[str]:
    """Names of module-level arenas the learner's function reads (e.g. a global env)."""
    names, codes = set(), [getattr(fn, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is None:
            continue
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if inspect.iscode(c))
    found = getattr(fn, "__globals__", {})
    return sorted(n for n in names if isinstance(found.get(n), MultiAgentArena))


@checker
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
        policies = _policies(env, seed)
        result = _run(run_episode, env, policies, seed)
        _check_one_episode(run_episode, env, policies, seed, result)
        summary[limit] = {a: float(sum(env.reward_log[a])) for a in AGENTS}

        # The same env again: a correct answer starts a fresh episode.
        policies = _policies(env, seed + 10)
        result = _run(run_episode, env, policies, seed + 1)
        _check_one_episode(run_episode, env, policies, seed + 1, result)

    r = summary[100]
    print(
        "Exercise 1 solved: your loop resets the env, gives each agent its own "
        "observation, plays all 100 steps, renders every step and sums the rewards "
        f"right (this check's episode: agent1 {r[AGENT1]:+.1f}, agent2 {r[AGENT2]:+.1f})."
    )
    from handson_rl.progress import record

    record("exercise1")  # the learner's progress file (python -m handson_rl.progress_report)


def _check_one_episode(
    run_episode, env: _RecordingArena, policies: dict, seed: int, result
) -> None:
    _check_env_use(run_episode, env, seed)
    for agent in AGENTS:
        _check_policy_calls(env, policies, agent)
    returns, frames = _check_result_shape(result)
    _check_returns(env, returns)
    _check_frames(env, frames)


def _check_env_use(run_episode, env: _RecordingArena, seed: int) -> None:
    limit, steps = env.timestep_limit, env.timestep
    if not env.resets_in_call:
        if not (env.steps_in_call or env.renders_in_call):
            arenas = _global_arenas(run_episode)
            named = (
                f" It reads the global {', '.join(f'`{n}`' for n in arenas)} (an arena from "
                "another cell): use the `env` argument instead."
                if arenas
                else ""
            )
            fail(
                "run_episode never used the env it was given: no reset(), step() or "
                f"render() call reached it.{named} Inside run_episode, start with "
                "`obs, infos = env.reset(seed=seed)` on the `env` passed in."
            )
        fail(
            "run_episode never called env.reset(). Start with `obs, infos = env.reset(seed=seed)`."
        )
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


def _check_policy_calls(env: _RecordingArena, policies: dict, agent: str) -> None:
    other = AGENT2 if agent == AGENT1 else AGENT1
    steps, seen = env.timestep, policies[agent].seen
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
                f"dict (keys {sorted(map(str, got))}) instead of {agent}'s own observation. "
                f"A policy acts for one agent: call "
                f"`policies['{agent}'].act(obs['{agent}'])`."
            )
        if np.array_equal(got, want):
            continue
        if np.array_equal(got, env.obs_log[other][t]):
            fail(
                f"At step {t}, {agent}'s policy was given {other}'s observation "
                f"{_short_list(got)} instead of its own {_short_list(want)}. Each agent "
                f"sees the board from its side: pass obs['{agent}'] to "
                f"policies['{agent}']."
            )
        fail(
            f"At step {t}, {agent}'s policy was given {_short_list(got)}, but the env's "
            f"latest observation for {agent} was {_short_list(want)}. Use the obs "
            "returned by the most recent reset()/step() call."
        )
    if env.action_log[agent] != policies[agent].chosen:
        fail(
            f"The actions sent to env.step() for {agent} are not the ones its "
            f"policy returned. Use `policies['{agent}'].act(...)`'s answer as "
            f"that agent's action."
        )


def _short_list(value) -> str:
    """An observation as a short plain list (no dtype noise), at most 80 characters."""
    try:
        text = str(np.asarray(value).tolist())
    except Exception:  # anything a learner may have passed
        text = repr(value)
    return text[:80]


def _looks_like_frames(value) -> bool:
    return isinstance(value, (list, tuple)) and (not value or np.asarray(value[0]).ndim == 3)


def _check_result_shape(result):
    if not (isinstance(result, tuple) and len(result) == 2):
        fail(
            f"run_episode should `return returns, frames`; it returned "
            f"{type(result).__name__} {str(result)[:80]}."
        )
    returns, frames = result
    if _looks_like_frames(returns) and isinstance(frames, Mapping):
        fail(
            "run_episode returned (frames, returns): the two values are swapped. "
            "Return the returns dict first: `return returns, frames`."
        )
    if not isinstance(returns, dict) or set(returns) != set(AGENTS):
        shown = sorted(map(str, returns)) if isinstance(returns, dict) else type(returns).__name__
        fail(
            "`returns` should be a dict with one entry per agent, "
            f"{{'agent1': ..., 'agent2': ...}}; got {shown!s:.120}."
        )
    return returns, frames


def _check_returns(env: _RecordingArena, returns: dict) -> None:
    for agent in AGENTS:
        rewards = env.reward_log[agent]
        want = float(sum(rewards))
        got = returns[agent]
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"returns['{agent}'] should be a number, got {type(got).__name__} {got!r:.80}.")
        if not math.isclose(got, want, abs_tol=1e-6):
            _explain_wrong_return(env, agent, got, want)


def _explain_wrong_return(env: _RecordingArena, agent: str, got: float, want: float) -> None:
    other = AGENT2 if agent == AGENT1 else AGENT1
    rewards = env.reward_log[agent]
    for gamma in _USUAL_GAMMAS:
        discounted = float(sum(gamma**k * r for k, r in enumerate(rewards)))
        if math.isclose(got, discounted, abs_tol=1e-6):
            fail(
                f"returns['{agent}'] is {got:+.2f}, the return discounted with gamma = "
                f"{gamma}. The course reports undiscounted returns: the plain sum of "
                f"all rewards, {want:+.2f} here (RLlib's episode returns are "
                "undiscounted too; gamma only enters PPO's training targets)."
            )
    if rewards and math.isclose(got, rewards[-1], abs_tol=1e-6):
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
    if rewards and math.isclose(got, want - rewards[0], abs_tol=1e-6):
        fail(
            f"returns['{agent}'] misses the first step's reward ({got:+.1f} "
            f"instead of {want:+.1f}): start from 0.0 and add every step's reward."
        )
    fail(
        f"returns['{agent}'] is {got:+.2f}, but {agent}'s rewards in this episode "
        f"add up to {want:+.2f}. Start each agent at 0.0 and add rewards[agent] "
        "after every env.step()."
    )


def _check_frames(env: _RecordingArena, frames) -> None:
    steps = env.timestep
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
