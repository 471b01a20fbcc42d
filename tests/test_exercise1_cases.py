"""Exercise 1's checker on the answers learners actually write: each wrong answer
gets a first line that names its mistake, each right answer written differently
passes, and no answer can hang or fill the memory (no Ray: the fast tier)."""

import itertools
from collections import defaultdict

import numpy as np
import pytest

from handson_rl.arena.env import MultiAgentArena
from handson_rl.exercises import exercise1
from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise1 import check_exercise1


def first_line(answer) -> str:
    with pytest.raises(ExerciseError) as caught:
        check_exercise1(answer)
    return str(caught.value).splitlines()[0]


# --- wrong answers ------------------------------------------------------------------


def reset_2021(env, policies, seed=None):
    obs = env.reset(seed=seed)  # 2021's gym returned the observations only
    returns = {a: 0.0 for a in env.possible_agents}
    frames = [env.render()]
    done = False
    while not done:
        obs, rewards, terminateds, truncateds, infos = env.step(
            {a: policies[a].act(obs[a]) for a in obs}
        )
        done = truncateds["__all__"]
    return returns, frames


def dones_2021(env, policies, seed=None):
    obs, infos = env.reset(seed=seed)
    done = False
    while not done:
        obs, rewards, dones, infos = env.step({a: policies[a].act(obs[a]) for a in obs})
        done = dones["__all__"]
    return {}, []


def calls_the_policy(env, policies, seed=None):
    obs, infos = env.reset(seed=seed)
    env.step({a: policies[a](obs[a]) for a in obs})
    return {}, []


def calls_the_dict(env, policies, seed=None):
    obs, infos = env.reset(seed=seed)
    env.step(policies.act(obs))
    return {}, []


GLOBAL_ARENA = MultiAgentArena({"render_mode": "rgb_array"})


def global_env(environment, policies, seed=None):
    obs, infos = GLOBAL_ARENA.reset(seed=seed)  # the arena of an earlier cell
    returns = {a: 0.0 for a in obs}
    frames = [GLOBAL_ARENA.render()]
    done = False
    while not done:
        obs, rewards, terminateds, truncateds, infos = GLOBAL_ARENA.step(
            {a: policies[a].act(obs[a]) for a in obs}
        )
        for a, r in rewards.items():
            returns[a] += r
        frames.append(GLOBAL_ARENA.render())
        done = terminateds["__all__"] or truncateds["__all__"]
    return returns, frames


def _right(env, policies, seed=None, returns=None, stop=None, frames_every_step=True):
    obs, infos = env.reset(seed=seed)
    returns = {a: 0.0 for a in obs} if returns is None else returns
    frames = [env.render()]
    done = False
    while not done:
        obs, rewards, terminateds, truncateds, infos = env.step(
            {a: policies[a].act(obs[a]) for a in obs}
        )
        for a, r in rewards.items():
            returns[a] += r
        if frames_every_step:
            frames.append(env.render())
        done = (
            stop(terminateds, truncateds)
            if stop
            else terminateds["__all__"] or truncateds["__all__"]
        )
    return returns, frames


def swapped(env, policies, seed=None):
    returns, frames = _right(env, policies, seed)
    return frames, returns


def empty_returns(env, policies, seed=None):
    return _right(env, policies, seed, returns={})


def all_without_underscores(env, policies, seed=None):
    return _right(env, policies, seed, stop=lambda term, trunc: term["all"] or trunc["all"])


def resets_when_truncated(env, policies, seed=None):
    """Never returns: a new episode each time one is truncated, frames growing."""
    obs, infos = env.reset(seed=seed)
    frames = [env.render()]
    while True:
        obs, rewards, terminateds, truncateds, infos = env.step(
            {a: policies[a].act(obs[a]) for a in obs}
        )
        frames.append(env.render())
        if truncateds["__all__"]:
            obs, infos = env.reset()


def renders_forever(env, policies, seed=None):
    obs, infos = env.reset(seed=seed)
    frames = []
    done = False
    while not done:  # forgot to step
        frames.append(env.render())
    return {}, frames


def asks_forever(env, policies, seed=None):
    obs, infos = env.reset(seed=seed)
    done = False
    while not done:  # forgot to step
        actions = {a: policies[a].act(obs[a]) for a in obs}
    return actions, []


def swallows_everything(env, policies, seed=None):
    """An `except Exception` around the loop does not hide the bound."""
    try:
        return resets_when_truncated(env, policies, seed)
    except Exception:
        return {}, []


def keeps_the_pair_then_unpacks(env, policies, seed=None):
    """Right to keep the pair, then unpack it: the own TypeError is not blamed on reset."""
    pair = env.reset(seed=seed)
    obs, infos = pair
    return {a: 0.0 for a in obs}, [env.render()[0, 0, 5]]  # IndexError: a frame is (H, W, 3)


def typo_in_own_code(env, policies, seed=None):
    obs, infos = env.reset(seed=seed)
    return {a: 0.0 for a in obs}, [env.rendr()]


def wrong_signature(env, policies):
    return _right(env, policies)


WRONG = {
    reset_2021: "`obs = env.reset(...)` keeps the whole pair (observations, infos) in obs",
    dones_2021: "env.step() returns five values today",
    calls_the_policy: "Your loop called the policy itself, `policies['agent1'](...)`.",
    calls_the_dict: "Your loop called `policies.act(...)`, but `policies` is a dict",
    global_env: "run_episode never used the env it was given",
    swapped: "run_episode returned (frames, returns): the two values are swapped.",
    empty_returns: "Your run_episode raised KeyError: 'agent1': `returns` has no entry for 'agent1' yet.",
    all_without_underscores: "`terminateds['all']`: terminateds has no key 'all'",
    resets_when_truncated: "Your loop made 201 env.step() calls in one call of run_episode, with 3 env.reset()",
    renders_forever: "Your loop called env.render() 203 times in one call of run_episode",
    asks_forever: "Your loop asked agent1's policy for more than 202 actions",
    swallows_everything: "Your loop made 201 env.step() calls",
    keeps_the_pair_then_unpacks: "Your run_episode raised IndexError: index 5 is out of bounds",
    typo_in_own_code: "Your run_episode raised AttributeError: 'MultiAgentArena' object has no attribute 'rendr'.",
    wrong_signature: "run_episode cannot be called as run_episode(env, policies, seed=...)",
}


@pytest.mark.parametrize("answer", list(WRONG), ids=lambda f: f.__name__)
def test_wrong_answer_gets_its_own_first_line(answer):
    assert first_line(answer).startswith(WRONG[answer])


def test_global_env_is_named():
    with pytest.raises(ExerciseError, match="reads the global `GLOBAL_ARENA`"):
        check_exercise1(global_env)


def test_the_learners_line_is_kept_and_the_checkers_hidden():
    with pytest.raises(ExerciseError) as caught:
        check_exercise1(empty_returns)
    frames = caught.value.learner_frames()
    assert [name for _, _, name in frames] == ["empty_returns", "_right"]
    assert all(file == __file__ for file, _, _ in frames)


def test_no_wrong_answer_fills_the_memory():
    # The endless loop appends a frame per step; the bound stops it after about
    # two episodes' worth, and the fakes let go of them.
    with pytest.raises(ExerciseError):
        check_exercise1(resets_when_truncated)
    frame = MultiAgentArena({"render_mode": "rgb_array"})
    frame.reset(seed=0)
    per_frame = frame.render().nbytes
    most = exercise1.BOUND_FACTOR * 101 + 2
    assert most * per_frame < 100e6, (most, per_frame)


def test_a_loop_that_calls_nothing_is_stopped_by_the_time_limit(monkeypatch):
    def spins(env, policies, seed=None):
        obs, infos = env.reset(seed=seed)
        done = False
        while not done:  # nothing in here ever changes done
            pass
        return {}, []

    monkeypatch.setattr(exercise1, "TIME_LIMIT", 0.5)
    with pytest.raises(ExerciseError) as caught:
        check_exercise1(spins)
    assert str(caught.value).startswith("run_episode ran for 0.5 s without returning")
    assert [name for _, _, name in caught.value.learner_frames()] == ["spins"]


# --- right answers, written differently ------------------------------------------------


def with_count(env, policies, seed=None):
    obs, _ = env.reset(seed=seed)
    returns = defaultdict(float)
    frames = [np.asarray(env.render())]
    for _ in itertools.count():
        actions = {agent: int(policies[agent].act(obs[agent])) for agent in env.possible_agents}
        obs, rewards, terminateds, truncateds, _ = env.step(actions)
        for agent in rewards:
            returns[agent] = returns[agent] + rewards[agent]
        frames.append(np.asarray(env.render()))
        if terminateds.get("__all__") or truncateds.get("__all__"):
            break
    return dict(returns), frames


def resets_twice_first(env, policies, seed=None):
    env.reset()
    return _right(env, policies, seed)


def any_and_all(env, policies, seed=None):
    return _right(
        env, policies, seed, stop=lambda term, trunc: any(term.values()) or all(trunc.values())
    )


RIGHT = [with_count, resets_twice_first, any_and_all]


@pytest.mark.parametrize("answer", RIGHT, ids=lambda f: f.__name__)
def test_right_answer_written_differently_passes(answer, capsys):
    check_exercise1(answer)
    assert "Exercise 1 solved" in capsys.readouterr().out
