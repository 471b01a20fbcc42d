"""Exercise 1's checker confirms a right loop and explains typical wrong ones."""

import pytest

from handson_rl.arena.rollout import play_episode
from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise1 import check_exercise1


def right(env, policies, seed=None):
    # The package's loop is the reference answer (chapter 6 reuses it).
    return play_episode(env, policies, seed=seed, render=True)


def _counting_loop(n_steps):
    """A loop that counts steps instead of watching "__all__"."""

    def loop(env, policies, seed=None):
        obs, _ = env.reset(seed=seed)
        returns = {a: 0.0 for a in obs}
        frames = [env.render()]
        for _ in range(n_steps(env)):
            obs, rewards, _, _, _ = env.step({a: policies[a].act(obs[a]) for a in obs})
            for a, r in rewards.items():
                returns[a] += r
            frames.append(env.render())
        return returns, frames

    return loop


stops_early = _counting_loop(lambda env: env.timestep_limit - 1)
fixed_100_steps = _counting_loop(lambda env: 100)


def no_reset(env, policies, seed=None):
    obs = {a: env.observation_spaces[a].sample() for a in env.possible_agents}
    returns = {a: 0.0 for a in obs}
    done = False
    while not done:
        obs, rewards, _, truncateds, _ = env.step({a: policies[a].act(obs[a]) for a in obs})
        done = truncateds["__all__"]
    return returns, []


_state = {}


def resets_only_once(env, policies, seed=None):
    # Resets the first env it sees, then assumes the episode is still running.
    if id(env) not in _state:
        _state[id(env)] = env.reset(seed=seed)[0]
    obs = _state[id(env)]
    returns = {a: 0.0 for a in obs}
    frames = [env.render()]
    done = False
    while not done:
        obs, rewards, _, truncateds, _ = env.step({a: policies[a].act(obs[a]) for a in obs})
        for a, r in rewards.items():
            returns[a] += r
        frames.append(env.render())
        done = truncateds["__all__"]
    return returns, frames


def same_observation(env, policies, seed=None):
    obs, _ = env.reset(seed=seed)
    returns = {a: 0.0 for a in obs}
    frames = [env.render()]
    done = False
    while not done:
        actions = {a: policies[a].act(obs["agent1"]) for a in obs}
        obs, rewards, _, truncateds, _ = env.step(actions)
        for a, r in rewards.items():
            returns[a] += r
        frames.append(env.render())
        done = truncateds["__all__"]
    return returns, frames


def _variant(sum_rule):
    def loop(env, policies, seed=None):
        obs, _ = env.reset(seed=seed)
        returns = {a: 0.0 for a in obs}
        frames = [env.render()]
        done, first = False, True
        while not done:
            obs, rewards, _, truncateds, _ = env.step({a: policies[a].act(obs[a]) for a in obs})
            sum_rule(returns, rewards, first)
            first = False
            frames.append(env.render())
            done = truncateds["__all__"]
        return returns, frames

    return loop


def _assign(returns, rewards, first):
    for a, r in rewards.items():
        returns[a] = r


def _both(returns, rewards, first):
    for a in returns:
        returns[a] += sum(rewards.values())


def _swapped(returns, rewards, first):
    returns["agent1"] += rewards["agent2"]
    returns["agent2"] += rewards["agent1"]


def _skip_first(returns, rewards, first):
    if not first:
        for a, r in rewards.items():
            returns[a] += r


def _times_two(returns, rewards, first):
    for a, r in rewards.items():
        returns[a] += 2 * r


def no_first_frame(env, policies, seed=None):
    returns, frames = right(env, policies, seed)
    return returns, frames[1:]


def frames_once(env, policies, seed=None):
    returns, frames = right(env, policies, seed)
    return returns, [frames[0]] * len(frames)


def returns_only(env, policies, seed=None):
    return right(env, policies, seed)[0]


def ignores_seed(env, policies, seed=None):
    return right(env, policies, None)


def random_actions(env, policies, seed=None):
    obs, _ = env.reset(seed=seed)
    for a in obs:
        policies[a].act(obs[a])  # asks, but then ignores the answer
    returns = {a: 0.0 for a in obs}
    frames = [env.render()]
    done = False
    while not done:
        actions = {a: (policies[a].act(obs[a]) + 1) % 4 for a in obs}
        obs, rewards, _, truncateds, _ = env.step(actions)
        for a, r in rewards.items():
            returns[a] += r
        frames.append(env.render())
        done = truncateds["__all__"]
    return returns, frames


def stub(env, policies, seed=None):
    raise NotImplementedError("Exercise 1")


def test_right_answer_passes(capsys):
    check_exercise1(right)
    assert "Exercise 1 solved" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer, message",
    [
        (stub, "still raises NotImplementedError"),
        (stops_early, r"stopped after 99 of the episode's 100 steps"),
        (fixed_100_steps, r"kept stepping after the episode had ended.*timestep_limit is 13"),
        (no_reset, r"called env.step\(\) before env.reset\(\)"),
        (resets_only_once, r"Call `env.reset\(seed=seed\)` at the start"),
        (same_observation, r"agent2's policy was given agent1's observation"),
        (_variant(_assign), r"the reward of the last step only"),
        (_variant(_both), r"sum of both agents' rewards"),
        (_variant(_swapped), r"holds agent2's return"),
        (_variant(_skip_first), r"misses the first step's reward"),
        (_variant(_times_two), r"add up to"),
        (no_first_frame, r"starting board is missing"),
        (frames_once, r"first and last frames are identical"),
        (returns_only, r"should `return returns, frames`"),
        (ignores_seed, r"reset the env with seed=None"),
        (random_actions, r"asked for 101 actions|not the ones its policy returned"),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_typical_mistakes_are_explained(answer, message):
    with pytest.raises(ExerciseError, match=message):
        check_exercise1(answer)
