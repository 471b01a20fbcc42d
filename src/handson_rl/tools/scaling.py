"""Measure training throughput against the number of env runners and envs per runner.

Chapter 10 builds a table of env steps per second and time per iteration for a
grid of ``num_env_runners`` x ``num_envs_per_env_runner`` on the machine it runs
on, and plots it. Each cell builds the course's PPO with those two settings,
runs a few iterations and keeps the figures of the last ones (the first
iteration also pays one-time start-up costs).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

from handson_rl.training.config import arena_ppo_config
from handson_rl.training.loop import iterate
from handson_rl.training.results import LEARN_TIMER, SAMPLE_TIMER, timer


def measure(
    num_env_runners: int,
    num_envs_per_env_runner: int,
    *,
    iterations: int = 2,
    train_batch_size: int = 1000,
    num_epochs: int = 10,
    seed: int = 0,
) -> dict:
    """Build, train ``iterations`` times, and return one row of the table.

    The row has ``env_steps_per_s`` (env steps sampled / wall time of the
    iteration), ``iteration_s`` (wall time of one iteration), ``sample_s`` and
    ``learn_s`` (RLlib's timers for the two halves of it), averaged over the
    iterations after the first (or the only one), and ``build_s``.
    """
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}.")
    start = time.perf_counter()
    algo = arena_ppo_config(
        seed=seed,
        num_env_runners=num_env_runners,
        num_envs_per_env_runner=num_envs_per_env_runner,
        train_batch_size=train_batch_size,
        minibatch_size=train_batch_size,
        num_epochs=num_epochs,
    ).build_algo()
    build_s = time.perf_counter() - start
    rows = []
    try:
        previous = 0
        for step in iterate(algo, iterations):
            result = step.result
            steps = int(step.row["env_steps"] or 0)
            rows.append(
                {
                    "steps": steps - previous,
                    "iteration_s": float(step.row["time_s"]),
                    "sample_s": timer(result, SAMPLE_TIMER),
                    "learn_s": timer(result, LEARN_TIMER),
                }
            )
            previous = steps
    finally:
        algo.stop()
    kept = rows[1:] if len(rows) > 1 else rows
    iteration_s = float(np.mean([r["iteration_s"] for r in kept]))
    return {
        "num_env_runners": num_env_runners,
        "envs_per_runner": num_envs_per_env_runner,
        "env_steps_per_s": float(
            np.sum([r["steps"] for r in kept]) / np.sum([r["iteration_s"] for r in kept])
        ),
        "iteration_s": iteration_s,
        "sample_s": float(np.mean([r["sample_s"] for r in kept])),
        "learn_s": float(np.mean([r["learn_s"] for r in kept])),
        "build_s": build_s,
    }


def measure_grid(
    runners: Iterable[int] = (0, 1, 2),
    envs: Iterable[int] = (1, 5, 10),
    *,
    on_row: Callable[[dict], None] | None = None,
    **kwargs,
):
    """:func:`measure` for every (runners, envs) pair; a pandas DataFrame of the rows."""
    import pandas as pd

    rows = []
    for n_runners in runners:
        for n_envs in envs:
            row = measure(n_runners, n_envs, **kwargs)
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return pd.DataFrame(rows)


def plot_grid(table, path=None):
    """Env steps per second (left) and seconds per iteration (right), one line per runner count."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for n_runners, group in table.groupby("num_env_runners"):
        group = group.sort_values("envs_per_runner")
        label = f"{n_runners} env runner{'s' if n_runners != 1 else ''}"
        ax1.plot(group["envs_per_runner"], group["env_steps_per_s"], "o-", label=label)
        ax2.plot(group["envs_per_runner"], group["iteration_s"], "o-", label=label)
    ax1.set(xlabel="envs per env runner", ylabel="env steps per second", title="Throughput")
    ax2.set(xlabel="envs per env runner", ylabel="seconds", title="Time per iteration")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.set_xticks(sorted(table["envs_per_runner"].unique()))
    ax1.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
