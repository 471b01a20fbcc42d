"""What combined return does Exercise 2's sweep reach, and how fast?

    python bench/exercise2_target.py [--lr 3e-3] [--max-iterations 100] [--seed 0]

Runs exactly the sweep Exercise 2 asks for (course PPO settings, the given learning
rate, ``train_batch_size`` 3000 vs 4000 as a grid search, 5 envs per env runner, no
remote env runners so both trials run side by side on 2 CPUs) for
``--max-iterations`` iterations without a return target, and prints, per trial, the
best combined return (agent1 + agent2, RLlib's per-iteration
``episode_return_mean``), its 5-iteration moving average, and the wall time at which
the combined return first reached each of a few candidate targets. The exercise's
target is the highest candidate that every trial reached within about 10 minutes.
"""

from __future__ import annotations

import argparse
import time

CANDIDATES = (10, 15, 20, 25, 30, 35, 40)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-iterations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--storage", default="outputs/bench_exercise2")
    args = parser.parse_args(argv)

    import ray
    from pathlib import Path

    from ray import tune
    from ray.rllib.algorithms.ppo import PPO

    from handson_rl.training.quiet import quiet_ray
    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.results import COMBINED_RETURN, ITERATION
    from handson_rl.training.tuning import TuneProgress, config_value

    quiet_ray()
    ray.init(num_cpus=2, include_dashboard=False)
    config = arena_ppo_config(
        seed=args.seed,
        num_env_runners=0,
        num_envs_per_env_runner=5,
        lr=args.lr,
        train_batch_size=tune.grid_search([3000, 4000]),
    )
    start = time.perf_counter()
    tuner = tune.Tuner(
        PPO,
        param_space=config,
        run_config=tune.RunConfig(
            name=f"exercise2_lr{args.lr:g}_seed{args.seed}",
            storage_path=str(Path(args.storage).absolute()),
            stop={ITERATION: args.max_iterations},
            verbose=0,
            callbacks=[TuneProgress()],
        ),
    )
    grid = tuner.fit()
    total = time.perf_counter() - start
    ray.shutdown()
    print(f"\nwhole sweep: {total:.0f} s wall")
    for result in grid:
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


if __name__ == "__main__":
    main()
