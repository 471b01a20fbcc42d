"""What combined return does Exercise 2's sweep reach, and how fast?

    python bench/exercise2_target.py [--lr 3e-3] [--max-iterations 100] [--seed 0] [--csv PATH]

Runs exactly the sweep Exercise 2 asks for (course PPO settings, the given learning
rate, ``train_batch_size`` 3000 vs 4000 as a grid search, 5 envs per env runner, no
remote env runners so both trials run side by side on 2 CPUs) for
``--max-iterations`` iterations without a return target, and prints, per trial, the
best combined return (agent1 + agent2, RLlib's per-iteration
``episode_return_mean``), its 5-iteration moving average, and the wall time at which
the combined return first reached each of a few candidate targets. It also saves
every trial's per-iteration returns to ``--csv`` (default
``bench/results/exercise2_seed<seed>.csv``); ``bench/exercise2_plot.py`` draws and
tabulates those files for several seeds. The 1-minute load average is printed at the
start and the end: wall times measured on a busy machine are inflated, iterations
are not.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

CANDIDATES = (10, 15, 20, 25, 30, 35, 40)


def run_sweep(seed: int, lr: float, max_iterations: int, storage: str):
    """Run Exercise 2's grid (batch 3000 vs 4000) in Ray Tune; return the results and wall seconds."""
    import ray
    from ray import tune
    from ray.rllib.algorithms.ppo import PPO

    from handson_rl.tools.tuning import TuneProgress
    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.quiet import quiet_ray
    from handson_rl.training.results import ITERATION

    print(f"load average at start: {os.getloadavg()[0]:.2f} (1 min)", flush=True)
    quiet_ray()
    ray.init(num_cpus=2, include_dashboard=False)
    config = arena_ppo_config(
        seed=seed,
        num_env_runners=0,
        num_envs_per_env_runner=5,
        lr=lr,
        train_batch_size=tune.grid_search([3000, 4000]),
    )
    name = f"exercise2_lr{lr:g}_seed{seed}"
    # A new Tuner adds its trials to an existing experiment folder: start afresh.
    shutil.rmtree(Path(storage).absolute() / name, ignore_errors=True)
    start = time.perf_counter()
    tuner = tune.Tuner(
        PPO,
        param_space=config,
        run_config=tune.RunConfig(
            name=name,
            storage_path=str(Path(storage).absolute()),
            stop={ITERATION: max_iterations},
            verbose=0,
            callbacks=[TuneProgress()],
        ),
    )
    grid = tuner.fit()
    total = time.perf_counter() - start
    ray.shutdown()
    return grid, total


def trial_rows(result, seed: int, lr: float):
    """One trial's per-iteration returns, as rows of the CSV."""
    import pandas as pd

    from handson_rl.tools.tuning import config_value
    from handson_rl.training.results import AGENT1_RETURN, AGENT2_RETURN, COMBINED_RETURN, ITERATION

    df = result.metrics_dataframe
    return pd.DataFrame(
        {
            "seed": seed,
            "lr": lr,
            "train_batch_size": config_value(result.config, "train_batch_size_per_learner"),
            "iteration": df[ITERATION],
            "combined_return": df[COMBINED_RETURN],
            "agent1_return": df[AGENT1_RETURN],
            "agent2_return": df[AGENT2_RETURN],
            "time_total_s": df["time_total_s"].round(1),
        }
    )


def print_trial(result) -> None:
    """Best combined return, its 5-iteration average, and when each candidate target was reached."""
    from handson_rl.tools.tuning import config_value
    from handson_rl.training.results import COMBINED_RETURN, ITERATION

    df = result.metrics_dataframe
    combined = df[COMBINED_RETURN]
    smooth = combined.rolling(5, min_periods=1).mean()
    elapsed = df["time_total_s"]
    firsts = []
    for target in CANDIDATES:
        hit = df[combined >= target]
        firsts.append(
            f"{target}: it {int(hit[ITERATION].iloc[0])} / {hit['time_total_s'].iloc[0]:.0f} s"
            if len(hit)
            else f"{target}: no"
        )
    print(
        f"batch {config_value(result.config, 'train_batch_size_per_learner')}: "
        f"{len(df)} iterations in {elapsed.iloc[-1]:.0f} s, best combined {combined.max():.1f}, "
        f"best 5-it avg {smooth.max():.1f}, last 5-it avg {smooth.iloc[-1]:.1f}"
    )
    print("   first reached -> " + "; ".join(firsts))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-iterations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--storage", default="outputs/bench_exercise2")
    parser.add_argument(
        "--csv",
        default=None,
        help="per-iteration returns (default bench/results/exercise2_seed<seed>.csv)",
    )
    args = parser.parse_args(argv)
    csv_path = Path(
        args.csv or Path(__file__).parent / "results" / f"exercise2_seed{args.seed}.csv"
    )

    import pandas as pd

    grid, total = run_sweep(args.seed, args.lr, args.max_iterations, args.storage)
    print(
        f"\nwhole sweep: {total:.0f} s wall; load average at end: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)"
    )
    rows = []
    for result in grid:
        rows.append(trial_rows(result, args.seed, args.lr))
        print_trial(result)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(rows).round(3).to_csv(csv_path, index=False)
    print(f"per-iteration returns saved to {csv_path}")


if __name__ == "__main__":
    main()
