"""Custom metrics for MultiAgentArena: what the agents *do*, not only what they earn.

Per-agent returns mix two stories. agent1's return rises when agent1 learns to
explore (more new cells) *and* when agent2 fails to catch it (fewer collisions).
:class:`ArenaMetrics` tells them apart: it counts, in every episode, the new cells
agent1 discovered and the collisions, and logs both per episode with a mean
reduction, so each training result carries

- ``result["env_runners"][NEW_FIELDS]``: mean number of new cells agent1 found per
  episode, over the episodes that finished in that iteration;
- ``result["env_runners"][COLLISIONS]``: mean number of collisions per episode.

How it counts: the arena reports its events in the ``infos`` of every step
(``{"agent1": {"collision": bool, "new_field": bool}, "agent2": {...}}``), and
RLlib stores those infos in the episode. ``on_episode_step`` reads the latest ones
and adds them up in ``episode.custom_data`` (which belongs to that one episode and
travels with it when RLlib hands it over in chunks); ``on_episode_end`` logs the
totals once per episode. Reading infos works the same with 1 or 32 envs per env
runner, where reaching into ``env.unwrapped`` would first have to find the right
sub-env.

Use it with ``config.callbacks(ArenaMetrics)``; :func:`metric_history` pulls the
values out of a list of results for plotting
(:func:`handson_rl.tools.plotting.plot_metrics`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ray.rllib.callbacks.callbacks import RLlibCallback

from handson_rl.arena.env import AGENT1, AGENT2
from handson_rl.training.results import (
    ENV_STEPS,
    ITERATION,
    agent_return_column,
    get,
    runner_column,
    runner_metric,
)

#: Result key: new cells agent1 discovered per episode (mean over the iteration's episodes).
NEW_FIELDS = "agent1_new_fields"
#: Result key: collisions per episode (mean over the iteration's episodes).
COLLISIONS = "collisions"
#: Both keys, in the order the course plots them.
METRIC_KEYS = (NEW_FIELDS, COLLISIONS)


def count_step_events(infos: Mapping) -> tuple[int, int]:
    """``(new_fields, collisions)`` in one step's infos (0 or 1 each).

    A collision is one event shared by both agents, so it is read from agent1's
    info only (counting it for each agent would double it).
    """
    info = infos.get(AGENT1) or {}
    return int(bool(info.get("new_field"))), int(bool(info.get("collision")))


class ArenaMetrics(RLlibCallback):
    """Log agent1's new cells and the collisions of every episode.

    See the module docstring for where the values appear and why they are read
    from the step infos.
    """

    def on_episode_start(self, *, episode, **kwargs) -> None:
        episode.custom_data[NEW_FIELDS] = 0
        episode.custom_data[COLLISIONS] = 0

    def on_episode_step(self, *, episode, **kwargs) -> None:
        new_field, collision = count_step_events(episode.get_infos(-1))
        data = episode.custom_data
        data[NEW_FIELDS] = data.get(NEW_FIELDS, 0) + new_field
        data[COLLISIONS] = data.get(COLLISIONS, 0) + collision

    def on_episode_end(self, *, episode, metrics_logger, **kwargs) -> None:
        # One value per episode; "mean" averages them over the episodes that finished
        # in this iteration (on every env runner) and starts afresh the next one.
        for key in METRIC_KEYS:
            metrics_logger.log_value(key, episode.custom_data.get(key, 0), reduce="mean")


def metric_history(results: Iterable[Mapping], keys: Iterable[str] = METRIC_KEYS) -> list[dict]:
    """One row per result: ``iteration``, ``env_steps`` and each metric in ``keys``.

    A metric is NaN in an iteration in which no episode finished (RLlib then has
    nothing to average and leaves the key out).
    """
    keys = list(keys)
    rows = []
    for result in results:
        row = {
            "iteration": get(result, ITERATION, None),
            "env_steps": get(result, ENV_STEPS, None),
        }
        for key in keys:
            value = runner_metric(result, key)
            row[key] = float("nan") if value is None else float(value)
        rows.append(row)
    return rows


def history_from_dataframe(df, keys: Iterable[str] = METRIC_KEYS) -> list[dict]:
    """The same rows as :func:`metric_history`, from a Tune trial's progress table.

    ``df`` is ``result.metrics_dataframe`` of a Tune ``Result`` (progress.csv, where
    nested keys are joined with ``/``). Rows also carry ``agent1`` and ``agent2``
    (mean episode return per agent), so :func:`handson_rl.tools.plotting.plot_returns`
    can draw them.
    """

    def column(name):
        return list(df[name]) if name in df.columns else [float("nan")] * len(df)

    steps = column(ENV_STEPS)
    columns = {key: column(runner_column(key)) for key in keys}
    returns = {a: column(agent_return_column(a)) for a in (AGENT1, AGENT2)}
    rows = []
    for i, iteration in enumerate(df[ITERATION]):
        row = {"iteration": int(iteration), "env_steps": float(steps[i])}
        for key, values in {**columns, **returns}.items():
            row[key] = float(values[i])
        rows.append(row)
    return rows
