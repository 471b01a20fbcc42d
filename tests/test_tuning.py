"""Chapter 7's Tune helpers and resuming a killed sweep (Exercise 2's checker: test_exercise2.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tune_fakes import fake_result, good_results

from handson_rl.tools.tuning import (
    ITERATION,
    asha_rungs,
    best_trial_checkpoint,
    checkpoints_on_disk,
    interrupt_run,
    plot_trials,
    results_table,
    state_files_complete,
    trial_cpus,
)
from handson_rl.training.config import arena_ppo_config


def test_results_table_has_one_row_per_trial():
    table = results_table(good_results())
    assert list(table["train_batch_size"]) == [3000, 4000]
    assert list(table["lr"]) == [3e-3, 3e-3]
    assert list(table["combined return"]) == [31.0, 32.0]
    assert list(table["iterations"]) == [3, 2]


@pytest.mark.parametrize(
    ("max_t", "grace_period", "reduction_factor", "expected"),
    [
        (16, 2, 2, [2, 4, 8]),
        (12, 3, 2, [3, 6]),
        (100, 1, 4, [1, 4, 16, 64]),
        (2, 1, 2, [1]),
        (4, 4, 2, []),
    ],
)
def test_asha_rungs_match_rays_scheduler(max_t, grace_period, reduction_factor, expected):
    from ray.tune.schedulers import ASHAScheduler

    from handson_rl.training.ray_internals import asha_milestones

    assert asha_rungs(max_t, grace_period, reduction_factor) == expected
    # The same milestones as Ray's own scheduler (read through the course's seam).
    scheduler = ASHAScheduler(
        max_t=max_t, grace_period=grace_period, reduction_factor=reduction_factor
    )
    assert asha_milestones(scheduler) == expected


def test_asha_rungs_rejects_impossible_settings():
    with pytest.raises(ValueError, match="grace_period"):
        asha_rungs(4, grace_period=8)


def test_plot_trials_labels_sampled_learning_rates_briefly():
    import matplotlib

    matplotlib.use("Agg")
    ax = plot_trials(
        [fake_result(3000, lr=0.000473829), fake_result(4000, index=1)], label_keys=("lr",)
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [label for label in labels if not label.startswith("random play")] == [
        "lr=0.000474",
        "lr=0.003",
    ]


def test_trial_cpus_counts_main_process_and_env_runners():
    assert trial_cpus(arena_ppo_config()) == 3  # 1 main + 2 env runners
    assert trial_cpus(arena_ppo_config(num_env_runners=0)) == 1


def _iterations_logged(trial_dir: Path) -> list[int]:
    """The iterations a trial's result.json records, in order.

    A trial killed before its first result has an empty (or no) file, and a line
    the kill cut off is not JSON: both are skipped, not errors.
    """
    path = trial_dir / "result.json"
    logged = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            logged.append(json.loads(line)[ITERATION])
        except json.JSONDecodeError:
            continue
    return logged


def _last_iteration(trial_dir: Path) -> int:
    return (_iterations_logged(trial_dir) or [0])[-1]


@pytest.mark.ray  # Tune and Ray in subprocesses
def test_a_killed_sweep_resumes_without_losing_trials_or_checkpoints(tmp_path):
    """Kill a real Tune run part-way (SIGKILL to its process group), restore, finish."""
    storage, name, iterations = tmp_path / "tune", "crash", 4
    base = [
        sys.executable,
        "-m",
        "handson_rl.tools.tuning",
        "--storage",
        str(storage),
        "--name",
        name,
        "--iterations",
        str(iterations),
    ]
    env = {**os.environ, "COURSE_BUDGET": "smoke"}
    before = interrupt_run(base, storage / name, min_checkpoints=2, timeout=300, env=env)
    assert sum(len(c) for c in before.values()) >= 2
    # The kill landed between two of Tune's copies of its state, not in one.
    assert state_files_complete(storage / name)
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
        iterations_logged = _iterations_logged(storage / name / trial)
        assert iterations_logged.count(1) == 1, iterations_logged
    best = best_trial_checkpoint(storage / name)
    assert best is not None and (best / "rllib_checkpoint.json").exists()
    assert best_trial_checkpoint(tmp_path / "no_such_experiment") is None


def test_state_files_complete_only_when_each_state_file_is_whole(tmp_path):
    """What a crash mid-copy leaves (an empty or cut-short state file) is not whole:
    Tuner.restore would start such an experiment over with a default config."""
    from ray import cloudpickle

    assert not state_files_complete(tmp_path)  # nothing written yet
    (tmp_path / "experiment_state-1.json").write_text(json.dumps({"trial_data": []}))
    search = tmp_path / "basic-variant-state-1.json"  # a pickle, despite its name
    search.write_bytes(cloudpickle.dumps({"_iterators": []}))
    (tmp_path / "tuner.pkl").write_bytes(cloudpickle.dumps({"param_space": {}}))
    assert state_files_complete(tmp_path)
    search.write_bytes(b"")  # Ray 2.60 left exactly this after a kill mid-copy
    assert not state_files_complete(tmp_path)
    search.write_bytes(cloudpickle.dumps({"_iterators": list(range(1000))})[:-10])
    assert not state_files_complete(tmp_path)
    search.write_bytes(cloudpickle.dumps({}))
    (tmp_path / "experiment_state-2.json").write_text('{"trial_data": [')
    assert not state_files_complete(tmp_path)


def test_tune_progress_makes_its_line_when_the_first_trial_starts(capsys):
    from types import SimpleNamespace

    from handson_rl.tools.tuning import TuneProgress

    progress = TuneProgress()
    assert progress.line is None  # nothing shown yet: Tune's reporter may still clear the cell
    progress.on_experiment_end(trials=[])  # an experiment with no trial ends quietly
    trial = SimpleNamespace(trial_id="t_00000")
    progress.on_trial_start(0, [trial], trial)
    progress.on_trial_result(
        0, [trial], trial, {ITERATION: 3, "env_runners": {"episode_return_mean": 12.5}}
    )
    progress.on_trial_complete(0, [trial], trial)
    progress.on_experiment_end(trials=[trial])
    out = capsys.readouterr().out
    assert progress.line is not None
    assert "t_00000: it   3, return" in out and "(done)" in out


def test_iterations_logged_skips_what_a_kill_leaves_behind(tmp_path):
    # The killed-sweep test reads result.json files of trials killed at any moment.
    trial = tmp_path / "trial"
    trial.mkdir()
    assert _last_iteration(trial) == 0  # no file yet
    (trial / "result.json").write_text("")
    assert _last_iteration(trial) == 0  # started, no result yet
    (trial / "result.json").write_text(
        '{"training_iteration": 1}\n{"training_iteration": 2}\n{"training_it'
    )
    assert _iterations_logged(trial) == [1, 2] and _last_iteration(trial) == 2
