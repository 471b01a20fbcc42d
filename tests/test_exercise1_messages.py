"""Exercise 1's checker names the mistake for loops that stop wrongly, discount, or pass the obs dict."""

import pytest

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise1 import check_exercise1


def _loop(stop=None, n_steps=None, policy_input=None, gamma=1.0):
    """An answer that is right except for the part given."""

    def run_episode(env, policies, seed=None):
        obs, _ = env.reset(seed=seed)
        returns = {a: 0.0 for a in obs}
        frames = [env.render()]
        k = 0
        steps = range(n_steps(env)) if n_steps else iter(int, 1)  # iter(int, 1): forever
        for _ in steps:
            actions = {
                a: policies[a].act(policy_input(obs, a) if policy_input else obs[a]) for a in obs
            }
            obs, rewards, terminateds, truncateds, _ = env.step(actions)
            for a, r in rewards.items():
                returns[a] += gamma**k * r
            k += 1
            frames.append(env.render())
            if stop and stop(terminateds, truncateds):
                break
        return returns, frames

    return run_episode


def test_terminated_only_gets_its_own_message():
    answer = _loop(stop=lambda term, trunc: term["__all__"])
    with pytest.raises(
        ExerciseError, match=r"never looks at `truncateds\['__all__'\]`.*truncation"
    ):
        check_exercise1(answer)


def test_terminated_and_truncated_with_and_is_told_about_truncation():
    answer = _loop(stop=lambda term, trunc: term["__all__"] and trunc["__all__"])
    with pytest.raises(ExerciseError, match=r"truncation"):
        check_exercise1(answer)


def test_one_step_after_the_end_is_named():
    answer = _loop(n_steps=lambda env: env.timestep_limit + 1)
    with pytest.raises(ExerciseError, match=r"stepped once more after the episode had ended"):
        check_exercise1(answer)


def test_counting_to_a_fixed_number_keeps_the_counting_message():
    answer = _loop(n_steps=lambda env: 100)
    with pytest.raises(ExerciseError, match=r"Don't count to a fixed number of steps"):
        check_exercise1(answer)


@pytest.mark.parametrize("gamma", [0.99, 0.9])
def test_discounted_return_is_told_returns_are_undiscounted(gamma):
    answer = _loop(stop=lambda term, trunc: term["__all__"] or trunc["__all__"], gamma=gamma)
    with pytest.raises(ExerciseError, match=rf"discounted with gamma = {gamma}.*undiscounted"):
        check_exercise1(answer)


def test_whole_obs_dict_is_told_to_pass_own_observation():
    answer = _loop(
        stop=lambda term, trunc: term["__all__"] or trunc["__all__"],
        policy_input=lambda obs, agent: obs,
    )
    with pytest.raises(ExerciseError, match=r"whole observation dict.*act\(obs\['agent1'\]\)"):
        check_exercise1(answer)


def test_right_loop_with_both_flags_passes(capsys):
    check_exercise1(_loop(stop=lambda term, trunc: term["__all__"] or trunc["__all__"]))
    assert "Exercise 1 solved" in capsys.readouterr().out


def test_right_loop_reading_values_passes(capsys):
    check_exercise1(_loop(stop=lambda term, trunc: any(term.values()) or all(trunc.values())))
    assert "Exercise 1 solved" in capsys.readouterr().out
