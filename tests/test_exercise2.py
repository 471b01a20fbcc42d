"""Exercise 2's checker: a right sweep passes, each typical mistake is explained."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tune_fakes import GOOD_STOP, LR, MAX_IT, TARGET, fake_result, good_results

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise2 import check_exercise2
from handson_rl.tools.tuning import COMBINED_RETURN, ITERATION


@pytest.fixture(autouse=True)
def _in_a_notebooks_folder(tmp_path, monkeypatch):
    """Chapter 12 looks for Exercise 2's trials in outputs/tune/exercise2 under the
    notebooks' folder; the fake trials live there (tune_fakes.fake_result)."""
    monkeypatch.chdir(tmp_path)


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
    slow = [
        fake_result(3000, returns=[1.0] * MAX_IT),
        fake_result(4000, returns=[2.0] * MAX_IT, index=1),
    ]
    assert check(slow) == {3000: None, 4000: None}
    assert "Neither trial reached" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("results", "stop", "message"),
    [
        (None, {"episode_reward_mean": TARGET, ITERATION: MAX_IT}, "2021 name"),
        (None, {COMBINED_RETURN: TARGET}, "Stop after 100 iterations"),
        (
            None,
            {"env_runners/agent_episode_returns_mean/agent1": TARGET, ITERATION: MAX_IT},
            "one agent",
        ),
        (None, {COMBINED_RETURN: 40.0, ITERATION: MAX_IT}, "The target is 30.0"),
        (None, {COMBINED_RETURN: TARGET, ITERATION: MAX_IT, "time_total_s": 600}, "extra criteria"),
        (None, [COMBINED_RETURN, ITERATION], "should be the dict"),
        (lambda: [fake_result(3000)], None, "ran 1 trial"),
        (lambda: [fake_result(3000), fake_result(5000, index=1)], None, "[3000, 5000]"),
        (lambda: [fake_result(3000), fake_result(4000, envs=1, index=1)], None, "stepped 1 envs"),
        (lambda: [fake_result(3000, lr=0.5), fake_result(4000, index=1)], None, "lr=0.5"),
        (
            lambda: [fake_result(3000), fake_result(4000, error=RuntimeError("boom"), index=1)],
            None,
            "failed with RuntimeError",
        ),
        (
            lambda: [fake_result(3000), fake_result(4000, returns=(1.0, 2.0), index=1)],
            None,
            "stopped after 2 iterations",
        ),
        (
            lambda: [fake_result(3000), fake_result(4000, checkpoint=False, index=1)],
            None,
            "checkpoint_at_end=True",
        ),
    ],
)
def test_wrong_answers_fail_with_a_helpful_message(results, stop, message):
    with pytest.raises(ExerciseError) as err:
        check(results() if callable(results) else results, stop)
    assert message in str(err.value)


def first_line(results) -> str:
    with pytest.raises(ExerciseError) as caught:
        check(results)
    return str(caught.value).splitlines()[0]


def test_the_tuner_instead_of_its_results_is_named():
    from ray import tune

    tuner = tune.Tuner(lambda config: None)  # no Ray needed to make one
    assert first_line(tuner).startswith(
        "You passed the Tuner itself; pass what `tuner.fit()` returned"
    )
    assert first_line(tuner.fit).startswith("You passed Tuner.fit without calling it;")


@pytest.mark.parametrize(
    ("results", "first"),
    [
        (
            lambda: good_results()[0],
            "You passed one trial's Result (what results.get_best_result() returns)",
        ),
        (
            lambda: pd.DataFrame({"a": range(459)}),
            "You passed a DataFrame (from results.get_dataframe())",
        ),
        (lambda: 42, "`results` is int 42; pass what `tuner.fit()` returned"),
        (
            lambda: [
                fake_result(3000, experiment_dir="/tmp/ray_results/PPO_2026"),
                fake_result(4000, index=1),
            ],
            "The trial with batch 3000 was saved in /tmp/ray_results/PPO_2026, but chapter 12 looks",
        ),
        (
            lambda: [fake_result(3000), fake_result(4000, checkpoint=False, index=1)],
            "The trial with batch 4000 ended without a checkpoint",
        ),
        (
            lambda: [fake_result(3000, checkpoint_iteration=2), fake_result(4000, index=1)],
            "The latest checkpoint of the trial with batch 3000 is from iteration 2, but the trial trained 3",
        ),
    ],
    ids=["Result", "DataFrame", "int", "other folder", "no checkpoint", "old checkpoint"],
)
def test_what_was_passed_and_where_it_was_saved_are_named(results, first):
    assert first_line(results()).startswith(first)


def test_numpy_numbers_show_as_plain_numbers():
    with pytest.raises(ExerciseError) as caught:
        check(stop={COMBINED_RETURN: np.float64(40.0), ITERATION: MAX_IT})
    assert "(it is 40.0)" in str(caught.value) and "np." not in str(caught.value)


def test_a_tuple_of_results_passes(capsys):
    assert check(tuple(good_results())) == {3000: 3, 4000: 2}


@pytest.mark.ray
def test_tune_checkpoints_a_class_trainable_at_the_end_unless_told_not_to(ray_session, tmp_path):
    """The checkpoint check can fail for real: Tune's default (checkpoint_at_end
    unset) leaves a checkpoint of the last iteration, checkpoint_at_end=False none,
    and checkpoint_frequency without it an older one."""
    from ray import tune

    from handson_rl.exercises.exercise2 import EXERCISE2_DIR, _check_checkpoint

    class Counter(tune.Trainable):
        def step(self):
            return {"score": self.iteration}

        def save_checkpoint(self, checkpoint_dir):
            return None

        def load_checkpoint(self, checkpoint):
            pass

    def sweep(**checkpointing):
        tuner = tune.Tuner(
            Counter,
            run_config=tune.RunConfig(
                name="exercise2",
                storage_path=str(EXERCISE2_DIR.parent.absolute()),
                stop={ITERATION: 3},
                verbose=0,
                checkpoint_config=tune.CheckpointConfig(**checkpointing),
            ),
        )
        return tuner.fit()[0]

    _check_checkpoint(sweep(), 3000)  # Tune's default: a checkpoint at the end
    with pytest.raises(ExerciseError, match="ended without a checkpoint"):
        _check_checkpoint(sweep(checkpoint_at_end=False), 3000)
    with pytest.raises(ExerciseError, match="is from iteration 2, but the trial trained 3"):
        _check_checkpoint(sweep(checkpoint_at_end=False, checkpoint_frequency=2), 3000)
