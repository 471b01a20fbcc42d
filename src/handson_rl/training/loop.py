"""The course's one training loop, and the progress line the notebooks show.

Every caller that trains (the notebooks through :func:`train`, the benchmarks
through :func:`train_until`, the command line, the pre-trained agents, the
scaling table, Exercise 3's checker) goes through :func:`iterate`: it calls
``algo.train()``, times it, and turns each result dict into one row of the
figures the course shows, including each agent's mean return over its last 100
finished episodes (:class:`~handson_rl.training.results.ReturnWindow`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from handson_rl.arena.env import AGENT1, AGENTS
from handson_rl.training.ray_internals import restart_local_sampling
from handson_rl.training.results import ReturnWindow, fmt, summarize

#: ``train_until(agent=COMBINED)``: stop on the sum of both agents' window means.
COMBINED = "combined"


def window_key(agent: str, window: int = 100) -> str:
    """The row key of ``agent``'s last-``window``-episode mean (``"agent1_last100"``)."""
    return f"{agent}_last{window}"


@dataclass
class Step:
    """One training iteration: RLlib's ``result`` dict, the course's ``row`` of it,
    and the per-agent return windows after it (``windows[agent].mean``)."""

    result: Mapping
    row: dict
    windows: dict[str, ReturnWindow]


def check_algorithm(algo) -> None:
    """Raise a clear error, naming the cell to run, if ``algo`` cannot train.

    ``None`` or something else (a config, say: a cell run out of order), or an
    algorithm that was stopped (its remote env runners are gone: RLlib's own error
    would be "... doesn't have an env! Can't call `sample()` on it").
    """
    if algo is None or not callable(getattr(algo, "train", None)):
        got = "None" if algo is None else f"a {type(algo).__name__}"
        hint = " (a config: call its .build_algo())" if hasattr(algo, "build_algo") else ""
        raise TypeError(
            f"Expected an RLlib algorithm, got {got}{hint}. Run the cell that builds "
            "it first (algo = config.build_algo()), then this one."
        )
    group = getattr(algo, "env_runner_group", None)
    config = getattr(algo, "config", None)
    runners = getattr(config, "num_env_runners", 0) or 0
    if group is not None and runners > 0 and group.num_remote_env_runners() == 0:
        raise RuntimeError(
            "This algorithm was stopped (by algo.stop(), or by a later build that needed "
            "its CPUs and printed a line saying so), so it cannot train any more. Run the "
            "cell that builds it again (algo = config.build_algo()), or restore it from a "
            "checkpoint."
        )


def iterate(
    algo,
    count: int | None = None,
    *,
    max_seconds: float | None = None,
    window: int = 100,
    strict_windows: bool = False,
) -> Iterator[Step]:
    """Call ``algo.train()`` up to ``count`` times (forever if None), yielding a :class:`Step` each.

    ``row`` is :func:`~handson_rl.training.results.summarize` of the result plus
    ``wall_s`` (seconds since the first ``train()`` of this loop) and
    :func:`window_key` per agent, ``agent1_last100`` / ``agent2_last100`` for the
    default ``window=100`` (each agent's mean return over its last ``window``
    finished episodes, NaN until one finished). Stops after the
    iteration in which ``max_seconds`` have passed. Stop early yourself by leaving
    the ``for`` loop. ``strict_windows`` raises when the config does not record
    per-episode returns (see ``arena_ppo_config``) instead of leaving them NaN.
    """
    check_algorithm(algo)
    windows = {agent: ReturnWindow(agent, window) for agent in AGENTS}
    start = time.perf_counter()
    done = 0
    while count is None or done < count:
        try:
            result = algo.train()
        except KeyboardInterrupt:
            # Interrupted mid-sample, the env runner in this process (num_env_runners=0)
            # would fail at its next sample(): make it start fresh episodes instead.
            restart_local_sampling(algo)
            raise
        done += 1
        row = summarize(result)
        row["wall_s"] = time.perf_counter() - start
        for agent, tracker in windows.items():
            row[window_key(agent, window)] = tracker.update(result, strict=strict_windows)
        yield Step(result, row, windows)
        if max_seconds is not None and row["wall_s"] >= max_seconds:
            return


class ProgressLine:
    """One line that rewrites itself: in a notebook an updating output, else ``\\r``."""

    def __init__(self):
        self._handle = None
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
                from IPython.display import display

                self._handle = display({"text/plain": ""}, raw=True, display_id=True)
        except ImportError:  # pragma: no cover - IPython is always installed here
            pass

    def update(self, text: str) -> None:
        if self._handle is not None:
            self._handle.update({"text/plain": text}, raw=True)
        else:
            sys.stdout.write("\r" + text)
            sys.stdout.flush()

    def close(self) -> None:
        if self._handle is None:
            sys.stdout.write("\n")


def progress_text(row: Mapping, done: int, total: int | None, label: str = "") -> str:
    """The one-line summary of an iteration the course prints."""
    prefix = f"{label}: " if label else ""
    of = f"/{total}" if total is not None else ""
    return (
        f"{prefix}iteration {row['iteration']:>3} ({done}{of})  "
        f"{row['wall_s']:6.1f} s  env steps {int(row['env_steps'] or 0):>7,}  "
        f"agent1 {fmt(row['agent1'], missing='  n/a')}  agent2 {fmt(row['agent2'], missing='  n/a')}"
    )


def train(algo, iterations: int, label: str = "", history: list | None = None) -> list[dict]:
    """Run ``algo.train()`` ``iterations`` times, showing progress on one line.

    Returns (and appends to ``history``, if given) one row per iteration (see
    :func:`iterate`).

    Interrupted (Ctrl+C, Kernel > Interrupt), it says so on the progress line and
    raises ``KeyboardInterrupt`` again, so that a "Run All" stops there. The
    algorithm stays usable: ``train(algo, ...)`` goes on from where it was (the
    interrupted iteration is simply not counted), ``algo.stop()`` frees its
    CPUs. ``history`` keeps the rows of the iterations that finished.
    """
    history = [] if history is None else history
    line = ProgressLine()
    done, text = 0, ""
    try:
        for done, step in enumerate(iterate(algo, iterations), start=1):
            history.append(step.row)
            text = progress_text(step.row, done, iterations, label)
            line.update(text)
    except KeyboardInterrupt:
        note = (
            f"interrupted after {done} iteration{'' if done == 1 else 's'}: "
            "continue with train(algo, ...) or call algo.stop()"
        )
        line.update(f"{text}  [{note}]" if text else (f"{label}: {note}" if label else note))
        line.close()
        raise KeyboardInterrupt(f"train() {note}") from None
    line.close()
    return history


@dataclass
class TrainUntilResult:
    """What :func:`train_until` returns.

    ``seconds`` is the wall time from the first ``train()`` call to the end of the
    iteration in which the target was reached (None if it was not); ``env_steps``
    and ``iterations`` are counted at that point (or at the end, if not reached).
    ``history`` holds one row per iteration (see :func:`iterate`), plus
    ``window_mean`` (the agent's last-``window``-episode mean after that iteration);
    ``episodes`` counts the episodes finished in all.
    """

    reached: bool
    seconds: float | None
    env_steps: int
    iterations: int
    elapsed: float
    window_mean: float
    history: list[dict] = field(default_factory=list)
    episodes: int = 0


def _window_value(windows: Mapping[str, ReturnWindow], agent: str) -> tuple[float, bool]:
    """The window mean ``train_until`` compares with its target, and whether it is full."""
    if agent == COMBINED:
        return sum(w.mean for w in windows.values()), all(w.full for w in windows.values())
    if agent not in windows:
        raise ValueError(f"agent must be one of {[*windows, COMBINED]}, got {agent!r}.")
    return windows[agent].mean, windows[agent].full


def train_until(
    algo,
    target: float | None = 18.0,
    max_seconds: float | None = 120.0,
    *,
    agent: str = AGENT1,
    window: int = 100,
    max_iterations: int | None = None,
    on_iteration: Callable[[dict], None] | None = None,
) -> TrainUntilResult:
    """Call ``algo.train()`` until ``agent``'s last-``window``-episode mean >= ``target``.

    The clock starts right before the first ``train()`` call made here and is read
    after each iteration; it stops at the first iteration after which the window is
    full and its mean reaches ``target`` (the time-to-target of docs/conventions.md),
    or gives up once ``max_seconds`` (or ``max_iterations``) have passed.
    ``agent=COMBINED`` compares the sum of both agents' window means. With
    ``target=None`` it trains until a limit (at least one limit must be set).
    ``on_iteration(row)`` is called with each history row, e.g. to print progress.
    """
    if target is None and max_seconds is None and max_iterations is None:
        raise ValueError("train_until needs a target, max_seconds or max_iterations to stop.")
    history: list[dict] = []
    step = None
    reached = False
    for step in iterate(
        algo, max_iterations, max_seconds=max_seconds, window=window, strict_windows=True
    ):
        value, full = _window_value(step.windows, agent)
        step.row["window_mean"] = value
        history.append(step.row)
        if on_iteration is not None:
            on_iteration(step.row)
        reached = target is not None and full and value >= target
        if reached:
            break
    if step is None:
        raise ValueError("train_until ran no iteration (max_iterations is 0).")
    elapsed = step.row["wall_s"]
    steps = int(step.row["env_steps"] or 0)
    return TrainUntilResult(
        reached,
        elapsed if reached else None,
        steps,
        len(history),
        elapsed,
        step.row["window_mean"],
        history,
        step.windows[AGENT1].episodes,
    )
