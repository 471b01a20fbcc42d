"""Chapter 7's Tune helpers, Exercise 2's checker, and resuming a killed sweep."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from ray.tune import Result

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise2 import check_exercise2
from handson_rl.training.config import arena_ppo_config
from handson_rl.training.tuning import (
    COMBINED_RETURN,
    ITERATION,
    best_trial_checkpoint,
    checkpoints_on_disk,
    interrupt_run,
    results_table,
    trial_cpus,
)

LR = 3e-3
TARGET = 30.0
MAX_IT = 100


def fake_result(batch=3000, envs=5, lr=LR, returns=(5.0, 20.0, 31.0), error=None, index=0):
    """A ray.tune.Result like the ones tuner.fit() returns, without training."""
    iterations = list(range(1, len(returns) + 1))
    df = pd.DataFrame(
        {ITERATION: iterations, COMBINED_RETURN: list(returns), "time_total_s": [10.0 * i for i in iterations]}
    )
    # What Tune stores: RLlib keeps the per-learner batch size under a private name.
    config = {"_train_batch_size_per_learner": batch, "train_batch_size": 4000, "num_envs_per_env_runner": envs, "lr": lr}
    metrics = {
        ITERATION: iterations[-1],
        "env_runners": {"episode_return_mean": returns[-1], "agent_episode_returns_mean": {"agent1": 1.0, "agent2": -2.0}},
        "config": config,
    }
    return Result(
        metrics=metrics,
        checkpoint=None,
        error=error,
        path=f"/tmp/exp/PPO_MultiAgentArena_abc{index}_0000{index}_{index}_lr={lr}",
        metrics_dataframe=df,
    )


def good_results():
    return [fake_result(3000, index=0), fake_result(4000, returns=(3.0, 32.0), index=1)]


GOOD_STOP = {COMBINED_RETURN: TARGET, ITERATION: MAX_IT}


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
    ],
)
def test_wrong_answers_fail_with_a_helpful_message(results, stop, message):
    with pytest.raises(ExerciseError) as err:
        check(results, stop)
    assert message in str(err.value)


def test_results_table_has_one_row_per_trial():
    table = results_table(good_results())
    assert list(table["train_batch_size"]) == [3000, 4000]
    assert list(table["combined return"]) == [31.0, 32.0]
    assert list(table["iterations"]) == [3, 2]


def test_trial_cpus_counts_main_process_and_env_runners():
    assert trial_cpus(arena_ppo_config()) == 3  # 1 main + 2 env runners
    assert trial_cpus(arena_ppo_config(num_env_runners=0)) == 1


def _last_iteration(trial_dir: Path) -> int:
    lines = (trial_dir / "result.json").read_text().splitlines()
    return json.loads(lines[-1])[ITERATION]


def test_a_killed_sweep_resumes_without_losing_trials_or_checkpoints(tmp_path):
    """Kill a real Tune run part-way (SIGKILL to its process group), restore, finish."""
    storage, name, iterations = tmp_path / "tune", "crash", 4
    base = [sys.executable, "-m", "handson_rl.training.tuning", "--storage", str(storage), "--name", name,
            "--iterations", str(iterations)]
    env = {**os.environ, "COURSE_BUDGET": "smoke"}
    before = interrupt_run(base, storage / name, min_checkpoints=2, timeout=300, env=env)
    assert sum(len(c) for c in before.values()) >= 2
    unfinished = [t for t in before if _last_iteration(storage / name / t) < iterations]
    assert unfinished, "the run finished before it was killed; the test proves nothing"

    done = subprocess.run(base + ["--resume"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    after = checkpoints_on_disk(storage / name)
    assert set(after) == set(before), "the resumed run should continue the same trials"
    for trial, checkpoints in after.items():
        assert _last_iteration(storage / name / trial) == iterations
        assert set(before[trial]) <= set(checkpoints), f"{trial} lost checkpoints"
        # Resumed from a checkpoint, not restarted: iteration 1 was logged only once.
        lines = (storage / name / trial / "result.json").read_text().splitlines()
        iterations_logged = [json.loads(line)[ITERATION] for line in lines]
        assert iterations_logged.count(1) == 1, iterations_logged
    best = best_trial_checkpoint(storage / name)
    assert best is not None and (best / "rllib_checkpoint.json").exists()
    assert best_trial_checkpoint(tmp_path / "no_such_experiment") is None
