"""Exercise 2's checker: a right sweep passes, each typical mistake is explained."""

from __future__ import annotations

import pytest
from tune_fakes import GOOD_STOP, LR, MAX_IT, TARGET, fake_result, good_results

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise2 import check_exercise2
from handson_rl.training.tuning import COMBINED_RETURN, ITERATION


def check(results=None, stop=None):
    return check_exercise2(
        good_results() if results is None else results,
        GOOD_STOP if stop is None else stop,
        lr=LR,
        target=TARGET,
        max_iterations=MAX_IT,
    )


def test_right_answer_passes_and_reports_when_target_was_reached(capsys):
    reached = check()
    assert reached == {3000: 3, 4000: 2}
    out = capsys.readouterr().out
    assert "configured as asked" in out and "iteration 3" in out


def test_target_not_reached_in_all_iterations_is_reported_not_an_error(capsys):
    slow = [fake_result(3000, returns=[1.0] * MAX_IT), fake_result(4000, returns=[2.0] * MAX_IT, index=1)]
    assert check(slow) == {3000: None, 4000: None}
    assert "Neither trial reached" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("results", "stop", "message"),
    [
        (None, {"episode_reward_mean": TARGET, ITERATION: MAX_IT}, "2021 name"),
        (None, {COMBINED_RETURN: TARGET}, "Stop after 100 iterations"),
        (None, {"env_runners/agent_episode_returns_mean/agent1": TARGET, ITERATION: MAX_IT}, "one agent"),
        (None, {COMBINED_RETURN: 40.0, ITERATION: MAX_IT}, "The target is 30.0"),
        (None, {COMBINED_RETURN: TARGET, ITERATION: MAX_IT, "time_total_s": 600}, "extra criteria"),
        (None, [COMBINED_RETURN, ITERATION], "should be the dict"),
        ([fake_result(3000)], None, "ran 1 trial"),
        ([fake_result(3000), fake_result(5000, index=1)], None, "[3000, 5000]"),
        ([fake_result(3000), fake_result(4000, envs=1, index=1)], None, "stepped 1 envs"),
        ([fake_result(3000, lr=0.5), fake_result(4000, index=1)], None, "lr=0.5"),
        ([fake_result(3000), fake_result(4000, error=RuntimeError("boom"), index=1)], None, "failed with RuntimeError"),
        ([fake_result(3000), fake_result(4000, returns=(1.0, 2.0), index=1)], None, "stopped after 2 iterations"),
        ([fake_result(3000), fake_result(4000, checkpoint=False, index=1)], None, "checkpoint_at_end=True"),
    ],
)
def test_wrong_answers_fail_with_a_helpful_message(results, stop, message):
    with pytest.raises(ExerciseError) as err:
        check(results, stop)
    assert message in str(err.value)
