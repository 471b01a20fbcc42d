"""Fake Tune results (what ``tuner.fit()`` returns) for the tests, without training."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from ray.rllib.algorithms.ppo import PPOConfig
from ray.tune import Checkpoint, Result

from handson_rl.tools.tuning import COMBINED_RETURN, ITERATION

LR = 3e-3
TARGET = 30.0
MAX_IT = 100
#: Where the fake checkpoints point (never read, so it need not exist).
_CHECKPOINT_DIR = Path("/nonexistent/fake_checkpoint")


def fake_result(
    batch=3000,
    envs=5,
    lr=LR,
    returns=(5.0, 20.0, 31.0),
    error=None,
    index=0,
    checkpoint=True,
    experiment_dir=None,
    checkpoint_iteration=None,
):
    """A ray.tune.Result like the ones tuner.fit() returns, without training.

    With ``checkpoint``, the trial has a checkpoint (a directory that need not
    exist: the checkers look only at whether there is one), taken at iteration
    ``checkpoint_iteration`` (default: the last). The trial lives in
    ``experiment_dir`` (default: where chapter 12 looks for Exercise 2's trials,
    ``outputs/tune/exercise2`` under the current directory).
    """
    iterations = list(range(1, len(returns) + 1))
    df = pd.DataFrame(
        {
            ITERATION: iterations,
            COMBINED_RETURN: list(returns),
            "time_total_s": [10.0 * i for i in iterations],
        }
    )
    # What Tune stores: the trial's config as a dict, made by RLlib itself.
    config = (
        PPOConfig()
        .env_runners(num_envs_per_env_runner=envs)
        .training(train_batch_size_per_learner=batch, lr=lr)
        .to_dict()
    )
    metrics = {
        ITERATION: iterations[-1],
        "env_runners": {
            "episode_return_mean": returns[-1],
            "agent_episode_returns_mean": {"agent1": 1.0, "agent2": -2.0},
        },
        "config": config,
    }
    saved = Checkpoint.from_directory(str(_CHECKPOINT_DIR)) if checkpoint else None
    saved_at = iterations[-1] if checkpoint_iteration is None else checkpoint_iteration
    experiment_dir = (
        Path("outputs/tune/exercise2").absolute()
        if experiment_dir is None
        else Path(experiment_dir)
    )
    return Result(
        metrics=metrics,
        checkpoint=saved,
        error=error,
        path=str(experiment_dir / f"PPO_MultiAgentArena_abc{index}_0000{index}_{index}_lr={lr}"),
        metrics_dataframe=df,
        best_checkpoints=[(saved, {ITERATION: saved_at})] if saved else [],
    )


def good_results():
    return [fake_result(3000, index=0), fake_result(4000, returns=(3.0, 32.0), index=1)]


GOOD_STOP = {COMBINED_RETURN: TARGET, ITERATION: MAX_IT}
