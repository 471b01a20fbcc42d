"""Learning curves from the per-iteration summaries of :func:`handson_rl.training.loop.train`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from handson_rl.training.results import is_missing

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


def plot_returns(
    history: Sequence[Mapping],
    keys: Sequence[str] = ("agent1", "agent2"),
    window: int = 5,
    ax=None,
    title: str | None = None,
    label_prefix: str = "",
    linestyle: str = "-",
):
    """Mean episode return per agent against env steps.

    Each iteration's mean covers only the episodes that finished in it, so the raw
    points are noisy: they are drawn faintly, with a trailing moving average over
    ``window`` iterations on top. Returns the matplotlib Axes.
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
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel("env steps sampled")
    ax.set_ylabel("mean episode return")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return ax
