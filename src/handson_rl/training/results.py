"""Reading RLlib's result dicts: the keys the course uses, one row per iteration,
the last-100-episode return window, and how the course prints numbers.

``algo.train()`` returns a nested dict; these are the only places in the package
that know where things live in it (Tune flattens the same keys with "/", see the
``*_KEY`` constants below), so a Ray upgrade that moves a key breaks one module.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from handson_rl.arena.env import AGENT1, AGENT2

#: The section of the result dict the env runners fill (sampling, episodes,
#: custom metrics logged in callbacks): ``result[RUNNERS]``.
RUNNERS = "env_runners"
#: Tune's flat names for the nested result keys the course reads.
COMBINED_RETURN = f"{RUNNERS}/episode_return_mean"
AGENT_RETURNS = f"{RUNNERS}/agent_episode_returns_mean"
AGENT1_RETURN = f"{AGENT_RETURNS}/{AGENT1}"
AGENT2_RETURN = f"{AGENT_RETURNS}/{AGENT2}"
ITERATION = "training_iteration"
ENV_STEPS = f"{RUNNERS}/num_env_steps_sampled_lifetime"
EPISODES = f"{RUNNERS}/num_episodes"
ITERATION_TIME = "time_this_iter_s"
#: Top-level copy of the env-step counter (there even when no env runner was healthy).
TOTAL_ENV_STEPS = "num_env_steps_sampled_lifetime"
#: Seconds spent sampling / updating the learner in the iteration.
SAMPLE_TIMER = "timers/env_runner_sampling_timer"
LEARN_TIMER = "timers/learner_update_timer"
RESTARTS = "fault_tolerance/num_remote_worker_restarts"
HEALTHY_RUNNERS = "fault_tolerance/num_healthy_workers"
#: A module's learner statistics: ``result[LEARNERS][module_id]``.
LEARNERS = "learners"
#: The 2021 API's result keys learners bring along, and where the value is now.
OLD_API_KEYS = {
    "episode_reward_mean": COMBINED_RETURN,
    "episode_return_mean": COMBINED_RETURN,
    "sampler_results/episode_reward_mean": COMBINED_RETURN,
    "timesteps_total": ENV_STEPS,
}


def get(result: Mapping, key: str, default: Any = float("nan")) -> Any:
    """``result["a"]["b"]`` for ``key="a/b"`` (also accepts Tune's already-flat dict)."""
    if key in result:
        return result[key]
    node: Any = result
    for part in key.split("/"):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def is_missing(value) -> bool:
    """None or NaN: RLlib reports NaN for a statistic with no data yet."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt(value, spec: str = "+.1f", missing: str = "n/a") -> str:
    """``value`` formatted with ``spec``, or ``missing`` for None/NaN."""
    return missing if is_missing(value) else format(value, spec)


def rounded(value, digits: int = 3):
    """``value`` rounded for JSON, or None for None/NaN."""
    return None if is_missing(value) else round(float(value), digits)


#: Where :func:`record_episode_returns` puts each finished episode's per-agent
#: return: ``result["env_runners"][EPISODE_RETURNS_KEY][agent_id]`` is the list of
#: the returns of ``agent_id`` in the episodes that finished in that iteration.
EPISODE_RETURNS_KEY = "agent_returns_per_episode"


def record_episode_returns(*, episode, prev_episode_chunks=None, metrics_logger=None, **kwargs):
    """``on_episode_end`` callback: log each agent's return in the finished episode.

    RLlib hands an episode over in chunks (one per ``sample()`` call), so the return
    is the sum over the earlier chunks and this last one. The returns arrive in the
    result dict as ``result["env_runners"][EPISODE_RETURNS_KEY][agent_id]``: one
    value per episode that finished in that iteration, in the order they finished
    on each env runner. RLlib's own ``agent_episode_returns_mean`` is only their mean.
    """
    totals: dict[str, float] = {}
    for chunk in [*(prev_episode_chunks or []), episode]:
        for agent_id, sa_episode in chunk.agent_episodes.items():
            totals[str(agent_id)] = totals.get(str(agent_id), 0.0) + float(sa_episode.get_return())
    for agent_id, total in totals.items():
        metrics_logger.log_value((EPISODE_RETURNS_KEY, agent_id), total, reduce="item_series")


def summarize(result: Mapping) -> dict[str, Any]:
    """The figures the course shows from one ``algo.train()`` result dict.

    Returns the iteration, env steps so far, episodes finished in this iteration
    (0 when none did, where RLlib reports NaN), the combined and per-agent mean
    episode returns over those episodes (NaN when no episode finished), and the
    iteration's time.
    """
    nan = float("nan")
    steps = get(result, ENV_STEPS, None)
    seconds = get(result, ITERATION_TIME, None)
    return {
        "iteration": get(result, ITERATION, None),
        "env_steps": None if steps is None else int(steps),
        "episodes": _count(get(result, EPISODES, None)),
        # Plain floats (RLlib reports numpy ones), so they print readably.
        "return": float(get(result, COMBINED_RETURN, nan)),
        "agent1": float(get(result, AGENT1_RETURN, nan)),
        "agent2": float(get(result, AGENT2_RETURN, nan)),
        "time_s": None if seconds is None else round(float(seconds), 2),
    }


def runner_metric(result: Mapping, name: str, default: Any = None) -> Any:
    """``result["env_runners"][name]``: a metric the env runners report, such as a
    custom metric a callback logs with ``metrics_logger.log_value(name, ...)``."""
    return get(result, f"{RUNNERS}/{name}", default)


def runner_metrics(result: Mapping) -> Mapping:
    """The whole ``result["env_runners"]`` section ({} when no env runner reported)."""
    return result.get(RUNNERS) or {}


#: Name prefixes of the metrics RLlib's env runners report themselves.
_BUILTIN_RUNNER_PREFIXES = ("num_", "episode_", "agent_", "module_", "timers", "sample")


def custom_runner_metrics(result: Mapping) -> list[str]:
    """The names in ``result["env_runners"]`` that RLlib does not report itself:
    the metrics callbacks logged (sorted)."""
    return sorted(k for k in runner_metrics(result) if not k.startswith(_BUILTIN_RUNNER_PREFIXES))


def runner_column(name: str) -> str:
    """Tune's flat column name of a runner metric (``env_runners/<name>``)."""
    return f"{RUNNERS}/{name}"


def agent_return_column(agent: str) -> str:
    """Tune's flat column name of an agent's mean episode return."""
    return f"{AGENT_RETURNS}/{agent}"


def learner_stats(result: Mapping, module_id: str) -> Mapping:
    """``result["learners"][module_id]``: the losses and statistics of one module's update."""
    stats = get(result, f"{LEARNERS}/{module_id}", None)
    if stats is None:
        raise KeyError(f"The result has no learner statistics for module {module_id!r}.")
    return stats


def timer(result: Mapping, key: str) -> float:
    """Seconds from one of the result's timers (:data:`SAMPLE_TIMER`, :data:`LEARN_TIMER`); NaN if absent."""
    return float(get(result, key, float("nan")))


def _count(value) -> int:
    """An episode count from a result dict: RLlib reports NaN when there were none."""
    if is_missing(value):
        return 0
    return int(value)


class ReturnWindow:
    """An agent's mean return over its last ``size`` finished episodes.

    Feed it every result dict, in order (``window.update(algo.train())``). It reads
    the per-episode returns that :func:`record_episode_returns` logs (installed by
    :func:`arena_ppo_config`), keeps the latest ``size`` of them and averages those:
    exactly the "mean return over the last 100 episodes" Stable-Baselines3 reports.
    RLlib's own ``agent_episode_returns_mean`` covers only the episodes finished in
    one iteration (a few dozen here), so it is jumpy and crosses a threshold early
    by chance.

    ``mean`` is NaN until the first episode finishes; ``full`` says whether
    ``size`` episodes have finished yet (a claim needs a full window).
    """

    def __init__(self, agent: str = AGENT1, size: int = 100):
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}.")
        self.agent = agent
        self.size = size
        self.returns: deque[float] = deque(maxlen=size)
        self.episodes = 0  # finished episodes seen in total

    def update(self, result: Mapping, strict: bool = True) -> float:
        """Add the episodes that finished in ``result``'s iteration; return ``mean``.

        A config without :func:`record_episode_returns` gives results with
        episodes but no per-episode returns: ``strict`` raises a KeyError that
        says how to add it; otherwise the window just stays empty (NaN).
        """
        per_episode = runner_metric(result, EPISODE_RETURNS_KEY)
        if per_episode is None:
            if strict and _count(get(result, EPISODES, None)):
                raise KeyError(
                    f"The result has episodes but no per-episode returns under "
                    f"result['env_runners'][{EPISODE_RETURNS_KEY!r}]. Build the config "
                    "with arena_ppo_config(), or add the callback yourself: "
                    "config.callbacks(on_episode_end=record_episode_returns)."
                )
            return self.mean
        new = list(per_episode.get(self.agent, []))
        self.returns.extend(float(r) for r in new)
        self.episodes += len(new)
        return self.mean

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns)) if self.returns else float("nan")

    @property
    def full(self) -> bool:
        return len(self.returns) >= self.size

    def reached(self, target: float) -> bool:
        """True once the window is full and its mean is at least ``target``."""
        return self.full and self.mean >= target


def restarts(result: Mapping) -> int:
    """How many times the env runners have been restarted so far (from a result dict)."""
    return int(get(result, RESTARTS, 0) or 0)


def healthy_runners(result: Mapping) -> int:
    """How many remote env runners were healthy at the end of the iteration."""
    return int(get(result, HEALTHY_RUNNERS, 0) or 0)


def env_steps(result: Mapping) -> int:
    """Env steps sampled so far. (An iteration in which no env runner was healthy
    has no ``env_runners`` section; the top-level counter is always there.)"""
    value = get(result, ENV_STEPS, None)
    if value is None:
        value = get(result, TOTAL_ENV_STEPS, 0)
    return int(value or 0)


def env_steps_this_iteration(result: Mapping) -> int:
    """Env steps the env runners sampled in this one iteration."""
    return int(get(result, f"{RUNNERS}/num_env_steps_sampled", 0) or 0)


def rows_trained(result: Mapping, module_id: str) -> int:
    """Rows of ``module_id``'s batch the learner trained on in this iteration, over
    all epochs and minibatches (``minibatch_size`` rows per gradient step)."""
    return int(get(result, f"{LEARNERS}/{module_id}/num_module_steps_trained", 0) or 0)
