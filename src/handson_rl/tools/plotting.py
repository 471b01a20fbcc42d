"""Learning curves from the per-iteration summaries of :func:`handson_rl.training.loop.train`,
and the custom metrics of :mod:`handson_rl.training.metrics` (:func:`plot_metrics`).

Every learning curve the course draws carries a dashed line at what random play
scores (:func:`add_random_baseline`, from :mod:`handson_rl.arena.baseline`): a
curve above it learned something, a curve on it did not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from handson_rl.training.metrics import COLLISIONS, METRIC_KEYS, NEW_FIELDS
from handson_rl.training.results import (
    AGENT1_RETURN,
    AGENT2_RETURN,
    COMBINED_RETURN,
    is_missing,
    runner_column,
)

AGENT_COLOURS = {"agent1": "#1f61b4", "agent2": "#d64d27", "return": "#555555"}


def _series(history: Sequence[Mapping], key: str):
    xs, ys = [], []
    for row in history:
        y = row.get(key)
        if is_missing(y):
            continue  # no episode finished in that iteration
        xs.append(row["env_steps"])
        ys.append(float(y))
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over up to ``window`` points (same length as input)."""
    if window <= 1 or len(values) == 0:
        return values
    return pd.Series(values, dtype=float).rolling(window, min_periods=1).mean().to_numpy()


BASELINE_GID = "random-baseline"

#: Which random-play statistic (:func:`handson_rl.arena.baseline.random_play`) a
#: curve's key is compared with: the per-agent returns, the combined return (the
#: sum of both agents' returns per episode, Tune's ``COMBINED_RETURN`` column) and
#: chapter 8's metrics.
KEY_ALIASES = {
    "agent1": "agent1",
    "agent2": "agent2",
    "return": "combined",
    "combined": "combined",
    COMBINED_RETURN.rsplit("/", 1)[-1]: "combined",
    COMBINED_RETURN: "combined",
    AGENT1_RETURN: "agent1",
    AGENT2_RETURN: "agent2",
    "agent1_last100": "agent1",
    "agent2_last100": "agent2",
    "agent1_new_fields": "agent1_new_fields",
    runner_column("agent1_new_fields"): "agent1_new_fields",
    "collisions": "collisions",
    runner_column("collisions"): "collisions",
}


def baseline_for(key: str, episodes: int | None = None) -> float | None:
    """Random play's mean for a curve of ``key`` (None if random play has no such value)."""
    from handson_rl.arena.baseline import random_play

    stat = KEY_ALIASES.get(key)
    if stat is None:
        return None
    return random_play(episodes)[stat]["mean"]


def add_random_baseline(ax, key: str, colour: str | None = None, episodes: int | None = None):
    """A dashed horizontal line at random play's mean for ``key``; returns the value.

    ``key`` is a curve's key: ``"agent1"``, ``"agent2"``, ``"return"`` (both
    summed), a Tune column such as ``env_runners/episode_return_mean``, or a
    chapter 8 metric (``agent1_new_fields``, ``collisions``). The value is computed
    from the game (both agents random, :func:`handson_rl.arena.baseline.random_play`).
    Drawn once per key and Axes, however often it is asked for; a key random
    play has no value for draws nothing and returns None.
    """
    from handson_rl.arena.baseline import random_play

    stat = KEY_ALIASES.get(key)
    if stat is None:
        return None
    play = random_play(episodes)
    value = play[stat]["mean"]
    gid = f"{BASELINE_GID}:{stat}"
    if not any(line.get_gid() == gid for line in ax.get_lines()):
        who = {
            "combined": "both agents' return",
            "agent1_new_fields": "new cells",
            "collisions": "collisions",
        }.get(stat, stat)
        ax.axhline(
            value,
            color=colour or AGENT_COLOURS.get(stat, "#555555"),
            linestyle="--",
            linewidth=1.2,
            alpha=0.8,
            gid=gid,
            label=f"random play: {who} {value:+.1f} ({play['episodes']} episodes)",
        )
    return value


def plot_returns(
    history: Sequence[Mapping],
    keys: Sequence[str] = ("agent1", "agent2"),
    window: int = 5,
    ax=None,
    title: str | None = None,
    label_prefix: str = "",
    linestyle: str = "-",
    baseline: bool = True,
):
    """Mean episode return per agent against env steps.

    Each iteration's mean covers only the episodes that finished in it, so the raw
    points are noisy: they are drawn faintly, with a trailing moving average over
    ``window`` iterations on top. With ``baseline`` (the default) a dashed line per
    agent shows what random play scores on the course's 10 x 10 board
    (:func:`add_random_baseline`; pass ``baseline=False`` for another board).
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    for key in keys:
        xs, ys = _series(history, key)
        if len(xs) == 0:
            continue
        colour = AGENT_COLOURS.get(key)
        ax.plot(xs, ys, color=colour, alpha=0.25, linewidth=1, linestyle=linestyle)
        label = f"{label_prefix}{key}"
        if window > 1:
            label += f" ({window}-iteration average)"
        ax.plot(xs, smooth(ys, window), color=colour, linewidth=2, linestyle=linestyle, label=label)
        if baseline:
            add_random_baseline(ax, key, colour)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel("env steps sampled")
    ax.set_ylabel("mean episode return")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_metrics(
    history,
    keys=METRIC_KEYS,
    window: int = 5,
    axes=None,
    label: str | None = None,
    baseline: bool = True,
):
    """One panel per metric against env steps (faint raw points, moving average on top).

    ``history`` is what :func:`handson_rl.training.metrics.metric_history` returns. With ``baseline`` each panel
    has a dashed line at random play's value of its metric
    (:func:`add_random_baseline`). Returns the axes.
    """
    import matplotlib.pyplot as plt

    keys = list(keys)
    if axes is None:
        _, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.3), squeeze=False)
        axes = axes[0]
    titles = {
        NEW_FIELDS: "new cells agent1 found per episode",
        COLLISIONS: "collisions per episode",
    }
    for ax, key in zip(axes, keys, strict=False):
        pts = [
            (row["env_steps"], row[key])
            for row in history
            if row.get(key) is not None and not math.isnan(row[key])
        ]
        if pts:
            xs, ys = (np.asarray(v, dtype=float) for v in zip(*pts, strict=True))
            line = ax.plot(xs, ys, alpha=0.25, linewidth=1)[0]
            ax.plot(
                xs,
                smooth(ys, window),
                color=line.get_color(),
                linewidth=2,
                label=label or f"{window}-iteration average",
            )
            if baseline:
                add_random_baseline(ax, key, colour="#555555")
        ax.set_title(titles.get(key, key), fontsize=10)
        ax.set_xlabel("env steps sampled")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    return axes
