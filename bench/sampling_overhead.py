"""Where a training iteration's time goes, and what RLlib's per-step bookkeeping costs.

    python bench/sampling_overhead.py [--seeds 0,1,2,3,4] [--rounds 6] [--skip-target]
                                      [--profile]

Three measurements, one after the other in this one process:

1. **Iteration breakdown** of the course setup (2 env runners x 16 envs): the median
   over 12 iterations of RLlib's own timers, ``env_runner_sampling_timer`` (the main
   process waits for both env runners to sample 1,000 env steps each) and
   ``learner_update_timer`` (10 epochs over the 2,000 steps, both modules), and of
   the rest of the iteration.
2. **Sampler A/B**: a local ``MultiAgentEnvRunner`` (16 envs, one process, one torch
   thread, like an env runner actor) sampling 1,000 env steps, alternating with
   :class:`BulkCountEnvRunner`, which produces the same metrics but adds up its
   step counters in plain Python and logs each once per ``sample()`` call instead
   of once per env step (RLlib logs ten values per step of each sub-env; there
   is no setting for it on Ray 2.60). Median seconds per 1,000 env steps.
3. **Time to target** (unless ``--skip-target``): agent1's last-100 mean >= 18,
   the course setup with RLlib's env runner vs with ``BulkCountEnvRunner``,
   alternating per seed.

``--profile`` adds a cProfile of RLlib's env runner sampling 10 x 1,000 env steps
in this process (the share of the time in the game itself, in the per-step
counters, in the connector pipelines and in the module's forward pass).

``BulkCountEnvRunner`` overrides a private method of RLlib's env runner, so it is
a measurement here, not part of the course's setup (see bench/README.md).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

from cpu_load import OtherLoad  # bench/ is the script's folder
from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner
from ray.rllib.utils.metrics import (
    NUM_AGENT_STEPS_SAMPLED,
    NUM_AGENT_STEPS_SAMPLED_LIFETIME,
    NUM_ENV_STEPS_SAMPLED,
    NUM_ENV_STEPS_SAMPLED_LIFETIME,
    NUM_EPISODES,
    NUM_EPISODES_LIFETIME,
    NUM_MODULE_STEPS_SAMPLED,
    NUM_MODULE_STEPS_SAMPLED_LIFETIME,
)
from time_to_target import one_torch_thread, train_config  # bench/ as above


class BulkCountEnvRunner(MultiAgentEnvRunner):
    """RLlib's multi-agent env runner with its step counters logged once per sample.

    RLlib's ``_increase_sampled_metrics`` (Ray 2.60) calls ``MetricsLogger.log_value``
    for the env step, each agent and each module at every step of every sub-env.
    This subclass counts the same things in a ``Counter`` and logs each total once
    when ``sample()`` returns, with the same keys and reductions.
    """

    def _increase_sampled_metrics(self, num_steps, next_obs, episode):
        counts = self.__dict__.setdefault("_bulk_counts", Counter())
        counts[(NUM_ENV_STEPS_SAMPLED,)] += num_steps
        if episode.is_done:
            counts[(NUM_EPISODES,)] += 1
        for aid in next_obs:
            counts[(NUM_AGENT_STEPS_SAMPLED, str(aid))] += 1
            counts[(NUM_MODULE_STEPS_SAMPLED, episode.module_for(aid))] += 1
        return num_steps

    def sample(self, **kwargs):
        try:
            return super().sample(**kwargs)
        finally:
            self._flush_bulk_counts()

    def _flush_bulk_counts(self) -> None:
        counts = self.__dict__.pop("_bulk_counts", Counter())
        lifetime_of = {
            NUM_ENV_STEPS_SAMPLED: NUM_ENV_STEPS_SAMPLED_LIFETIME,
            NUM_EPISODES: NUM_EPISODES_LIFETIME,
            NUM_AGENT_STEPS_SAMPLED: NUM_AGENT_STEPS_SAMPLED_LIFETIME,
            NUM_MODULE_STEPS_SAMPLED: NUM_MODULE_STEPS_SAMPLED_LIFETIME,
        }
        for key, value in counts.items():
            name, rest = key[0], key[1:]
            self.metrics.log_value((name, *rest) if rest else name, value, reduce="sum")
            self.metrics.log_value(
                (lifetime_of[name], *rest) if rest else lifetime_of[name],
                value,
                reduce="lifetime_sum",
                with_throughput=name == NUM_ENV_STEPS_SAMPLED,
            )


def iteration_breakdown(iterations: int = 12, seed: int = 0) -> dict:
    """Medians of RLlib's timers over ``iterations`` (the first two skipped)."""
    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.results import LEARN_TIMER, SAMPLE_TIMER, timer

    algo = arena_ppo_config(seed=seed).build_algo()
    rows = []
    try:
        for i in range(iterations + 2):
            start = time.perf_counter()
            result = algo.train()
            wall = time.perf_counter() - start
            if i >= 2:
                sampling, learning = timer(result, SAMPLE_TIMER), timer(result, LEARN_TIMER)
                rows.append(
                    {
                        "wall": wall,
                        "sampling": sampling,
                        "learning": learning,
                        "rest": wall - sampling - learning,
                    }
                )
    finally:
        algo.stop()
    return {key: statistics.median(r[key] for r in rows) for key in rows[0]}


@one_torch_thread()
def sampler_ab(rounds: int, steps: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """Seconds per ``steps`` env steps, RLlib's env runner vs BulkCountEnvRunner, alternating."""
    from handson_rl.training.config import arena_ppo_config

    algos = {
        "RLlib's env runner": arena_ppo_config(seed=seed, num_env_runners=0).build_algo(),
        "BulkCountEnvRunner": arena_ppo_config(seed=seed, num_env_runners=0)
        .env_runners(env_runner_cls=BulkCountEnvRunner)
        .build_algo(),
    }
    times: dict[str, list[float]] = {name: [] for name in algos}
    try:
        for algo in algos.values():  # warm up
            for _ in range(3):
                algo.env_runner.sample(num_timesteps=steps, explore=True)
                algo.env_runner.get_metrics()
        for _ in range(rounds):
            for name, algo in algos.items():
                start = time.perf_counter()
                for _ in range(5):
                    algo.env_runner.sample(num_timesteps=steps, explore=True)
                    algo.env_runner.get_metrics()
                times[name].append((time.perf_counter() - start) / 5)
    finally:
        for algo in algos.values():
            algo.stop()
    return times


#: What ``--profile`` reports: a label and the function (file suffix, name) it sums.
PROFILED = {
    "the game (MultiAgentArena.step)": ("handson_rl/arena/env.py", "step"),
    "per-step counters (_increase_sampled_metrics)": (
        "multi_agent_env_runner.py",
        "_increase_sampled_metrics",
    ),
    "connector pipelines (env-to-module, module-to-env)": ("connector_pipeline_v2.py", "__call__"),
    "the module's forward pass (forward_exploration)": ("rl_module.py", "forward_exploration"),
    "vector env step (incl. the game)": ("sync_vector_multi_agent_env.py", "step"),
}


@one_torch_thread()
def profile_sampler(steps: int = 1000, repeats: int = 10, seed: int = 0) -> dict[str, float]:
    """Share of a local env runner's ``sample()`` time (under cProfile) per :data:`PROFILED` entry."""
    import cProfile
    import pstats

    from handson_rl.training.config import arena_ppo_config

    algo = arena_ppo_config(seed=seed, num_env_runners=0).build_algo()
    try:
        for _ in range(3):
            algo.env_runner.sample(num_timesteps=steps, explore=True)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeats):
            algo.env_runner.sample(num_timesteps=steps, explore=True)
        profiler.disable()
    finally:
        algo.stop()
    stats = pstats.Stats(
        profiler
    ).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    total = max(cum for (file, _, name), (_, _, _, cum, _) in stats.items() if name == "sample")
    shares = {"total seconds (under cProfile)": total}
    for label, (suffix, function) in PROFILED.items():
        cumulative = sum(
            cum
            for (file, _, name), (_, _, _, cum, _) in stats.items()
            if name == function and file.endswith(suffix)
        )
        shares[label] = cumulative / total
    return shares


def time_to_target(
    seeds: list[int], target: float = 18.0, max_seconds: float = 120.0
) -> dict[str, list[dict]]:
    from handson_rl.training.config import arena_ppo_config

    runs: dict[str, list[dict]] = {"RLlib's env runner": [], "BulkCountEnvRunner": []}
    for seed in seeds:
        for name in runs:
            config = arena_ppo_config(seed=seed)
            if name == "BulkCountEnvRunner":
                config = config.env_runners(env_runner_cls=BulkCountEnvRunner)
            out = train_config(config, target, max_seconds)
            row = {
                "seed": seed,
                "seconds": out["seconds"] if out["reached"] else float("inf"),
                "env_steps": out["env_steps"],
                "other_cpu": out["other_cpu_s"],
            }
            runs[name].append(row)
            print(
                f"  {name:20} seed {seed}: {row['seconds']:5.1f} s, {row['env_steps']:,} env steps, "
                f"other CPU {row['other_cpu']:.1f} s",
                flush=True,
            )
    return runs


def print_breakdown(b: dict, other_cpu: float) -> None:
    print("1. One training iteration of the course setup (median of 12, seconds):")
    print(
        f"   wall {b['wall']:.3f} = sampling {b['sampling']:.3f} + learning {b['learning']:.3f}"
        f" + rest {b['rest']:.3f}   (other CPU {other_cpu:.1f} s)\n"
    )


def print_sampler(sampler: dict[str, list[float]], rounds: int, other_cpu: float) -> None:
    print(
        f"2. Sampling 1,000 env steps in one process (16 envs), median of {rounds} rounds"
        f" x 5 (other CPU {other_cpu:.1f} s):"
    )
    base = statistics.median(sampler["RLlib's env runner"])
    for name, values in sampler.items():
        median = statistics.median(values)
        print(
            f"   {name:20} {median:.3f} s  ({median / base:.2f}x)   runs: "
            + ", ".join(f"{v:.3f}" for v in values)
        )
    print()


def print_profile(profile: dict[str, float]) -> None:
    print(
        f"   cProfile of RLlib's env runner, 10 x 1,000 env steps "
        f"({profile['total seconds (under cProfile)']:.1f} s under the profiler):"
    )
    for label in PROFILED:
        print(f"   {profile[label]:6.1%}  {label}")
    print()


def print_target(target: dict[str, list[dict]]) -> None:
    base = statistics.median(r["seconds"] for r in target["RLlib's env runner"])
    for name, rows in target.items():
        median = statistics.median(r["seconds"] for r in rows)
        steps = statistics.median(r["env_steps"] for r in rows)
        print(f"   {name:20} median {median:5.1f} s, {steps:,.0f} env steps ({median / base:.2f}x)")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--skip-target", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    import ray

    from handson_rl.training.quiet import quiet_ray

    quiet_ray()
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        out = {}
        with OtherLoad() as load:
            out["breakdown"] = iteration_breakdown()
        print_breakdown(out["breakdown"], load.seconds)
        with OtherLoad() as load:
            out["sampler"] = sampler_ab(args.rounds)
        print_sampler(out["sampler"], args.rounds, load.seconds)
        if args.profile:
            out["profile"] = profile_sampler()
            print_profile(out["profile"])
        if not args.skip_target:
            seeds = [int(s) for s in args.seeds.split(",")]
            print(f"3. Time to agent1's last-100 mean >= 18, course setup, seeds {seeds}:")
            out["target"] = time_to_target(seeds)
            print_target(out["target"])
        return out
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
