"""Ray Tune helpers for the course: metric names, progress, result tables, plots.

The notebooks build the ``tune.Tuner`` themselves (that is what they teach); this
module only reads and shows what Tune produced, plus a small sweep script that
chapter 7 and the tests interrupt and resume like a crashed laptop would:

    python -m handson_rl.tools.tuning --storage outputs/tune --name interrupted --iterations 6
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from ray.tune import Callback

from handson_rl.training.config import arena_ppo_config
from handson_rl.training.cpus import CPURequest, free_cpus_for_tune, make_room, total_cpus
from handson_rl.training.loop import ProgressLine
from handson_rl.training.quiet import quiet_ray
from handson_rl.training.results import (
    AGENT1_RETURN,
    AGENT2_RETURN,
    COMBINED_RETURN,
    ITERATION,
    fmt,
    get,
    is_missing,
)


def trial_cpus(config) -> float:
    """How many CPUs Tune reserves for one trial of this (PPO) config.

    One for the trial's main process (which also runs the learner when there are no
    remote learners), plus ``num_cpus_per_env_runner`` for each remote env runner.
    """
    from ray.rllib.algorithms.ppo import PPO

    if not isinstance(config, Mapping):
        config = config.to_dict()
    request = PPO.default_resource_request(dict(config))
    return float(request.required_resources.get("CPU", 0.0))


def config_value(config, key: str, default=None):
    """A setting of a trial, read through RLlib's public config attributes.

    ``config`` is a trial's config dict (``result.config``, what Tune stores) or an
    ``AlgorithmConfig``; ``key`` is the attribute name, e.g. ``"lr"`` or
    ``"train_batch_size_per_learner"`` (which falls back to ``train_batch_size``
    when no per-learner value was set, as RLlib itself does).
    """
    from ray.rllib.algorithms.ppo import PPOConfig

    if isinstance(config, Mapping):
        config = PPOConfig.from_dict(dict(config))
    return getattr(config, key, default)


def _lr(config: Mapping):
    return config_value(config, "lr", float("nan"))


def trial_batch(config: Mapping) -> int | None:
    """A trial's train batch size (``train_batch_size_per_learner``), or None if unset."""
    value = config_value(config or {}, "train_batch_size_per_learner")
    return None if value is None else int(value)


class TuneProgress(Callback):
    """A Tune callback that shows one updating line per running experiment.

    Tune's own table reporter prints a new table every few seconds; this shows,
    on one line, each trial's iteration and combined return instead. Use it with
    ``tune.RunConfig(verbose=0, callbacks=[TuneProgress()])``.

    It also checks the CPUs: a trial that asks for more CPUs than this Ray has, or
    than are free, would stay PENDING forever. Before the first trial starts, it
    stops the algorithms this notebook built with the course config (see
    :func:`~handson_rl.training.cpus.make_room`) or ends the run at once
    with a :class:`~handson_rl.training.cpus.NotEnoughCPUsError` saying why.
    """

    def __init__(self, metric: str = COMBINED_RETURN):
        self.metric = metric
        self._checked = False
        # The line is made when the first trial starts, not here: in a notebook,
        # Tune's Jupyter reporter (made inside ``Tuner.fit()``, also with
        # ``verbose=0``) clears the cell's output once as it starts, which would
        # take a line made earlier with it (ray/tune/progress_reporter.py,
        # JupyterNotebookReporter.display).
        self.line: ProgressLine | None = None
        self.rows: dict[str, str] = {}
        self.start = time.perf_counter()

    def _show(self):
        if self.line is None:
            self.line = ProgressLine()
        wall = time.perf_counter() - self.start
        self.line.update(f"{wall:6.1f} s | " + " | ".join(self.rows[k] for k in sorted(self.rows)))

    def on_step_begin(self, iteration, trials, **info):
        if self._checked or not trials:
            return
        self._checked = True
        if any(t.status in ("RUNNING", "TERMINATED") for t in trials):
            return
        check_trial_cpus(trials)

    def on_trial_start(self, iteration, trials, trial, **info):
        self.rows[trial.trial_id] = f"{trial.trial_id}: starting"
        self._show()

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.rows[trial.trial_id] = (
            f"{trial.trial_id}: it {result.get(ITERATION, 0):>3}, "
            f"return {fmt(get(result, self.metric))}"
        )
        self._show()

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.rows[trial.trial_id] = self.rows.get(trial.trial_id, trial.trial_id) + " (done)"
        self._show()

    def on_trial_error(self, iteration, trials, trial, **info):
        self.rows[trial.trial_id] = f"{trial.trial_id}: ERROR"
        self._show()

    def on_experiment_end(self, trials, **info):
        if self.line is not None:
            self.line.close()


def trial_request(trial) -> CPURequest:
    """The CPUs a Tune trial asks for, as a :class:`CPURequest`."""
    bundles = trial.placement_group_factory.bundles
    own = float(bundles[0].get("CPU", 0.0)) if bundles else 0.0
    rest = sum(float(b.get("CPU", 0.0)) for b in bundles[1:])
    parts = [f"{own:g} for the trial's own process"] if own else []
    if rest:
        parts.append(f"{rest:g} for its env runners and learners")
    return CPURequest(own + rest, parts)


def check_trial_cpus(trials) -> None:
    """Fail at once if a trial can never start; make room if none can start now."""
    pending = [t for t in trials if t.status == "PENDING"]
    if not pending:
        return
    requests = [trial_request(t) for t in pending]
    biggest = max(requests, key=lambda r: r.cpus)
    if biggest.cpus > total_cpus():
        make_room(biggest, what="Each trial of this Tune run")  # raises: it never fits
    make_room(
        min(requests, key=lambda r: r.cpus),
        what="A trial of this Tune run",
        free=free_cpus_for_tune,
    )


def results_table(results: Iterable, columns: Mapping[str, str] | None = None):
    """One row per trial: its settings, last iteration and returns, error, checkpoint.

    ``results`` is what ``tuner.fit()`` returned (a ``ResultGrid``), or any list of
    ``ray.tune.Result``. ``columns`` maps extra column names to config keys.
    """
    import pandas as pd

    rows = []
    for result in results:
        config = result.config or {}
        metrics = result.metrics or {}
        row = {
            "trial": metrics.get("trial_id") or (Path(result.path).name if result.path else "?"),
            "lr": _lr(config),
            "train_batch_size": trial_batch(config),
            "iterations": metrics.get(ITERATION, 0),
            "combined return": get(metrics, COMBINED_RETURN),
            "agent1": get(metrics, AGENT1_RETURN),
            "agent2": get(metrics, AGENT2_RETURN),
            "error": type(result.error).__name__ if result.error else "",
            "checkpoint": Path(result.checkpoint.path).name if result.checkpoint else "",
        }
        for name, key in (columns or {}).items():
            row[name] = config.get(key)
        rows.append(row)
    return pd.DataFrame(rows)


def _short(value):
    """A sampled float such as 0.000473829 as 0.000474; anything else unchanged."""
    return f"{value:.3g}" if isinstance(value, float) else value


def asha_rungs(max_t: int, grace_period: int = 1, reduction_factor: float = 4) -> list[float]:
    """The iterations at which an ``ASHAScheduler`` (one bracket) may stop a trial early.

    A trial that reaches a rung is stopped unless its metric is in the top
    ``1 / reduction_factor`` of the values the trials before it had at that rung
    (the first trial to get there has nothing to be compared with and goes on).
    Every trial still running at ``max_t`` is stopped there. Same rungs as Ray's
    ``_Bracket`` in ``ray/tune/schedulers/async_hyperband.py`` (the ones below
    ``max_t``), with the scheduler's defaults.
    """
    if not 0 < grace_period <= max_t or reduction_factor <= 1:
        raise ValueError("ASHA needs 0 < grace_period <= max_t and reduction_factor > 1")
    count = int(math.log(max_t / grace_period) / math.log(reduction_factor) + 1)
    rungs = (grace_period * reduction_factor**k for k in range(count))
    return [rung for rung in rungs if rung < max_t]


def plot_trials(
    results: Iterable,
    metric: str = COMBINED_RETURN,
    ax=None,
    label_keys=("lr",),
    title=None,
    baseline: bool = True,
):
    """Every trial's ``metric`` against its iteration, in one plot.

    With ``baseline`` a dashed line shows what random play scores for ``metric``
    (:func:`handson_rl.tools.plotting.add_random_baseline`).
    """
    import matplotlib.pyplot as plt

    from handson_rl.tools.plotting import add_random_baseline

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    for result in results:
        df = result.metrics_dataframe
        config = result.config or {}
        label = ", ".join(f"{key}={_short(config_value(config, key))}" for key in label_keys)
        if result.error:
            label += " (error)"
        if df is None or metric not in df or df.empty:
            ax.plot([], [], label=label + " (no results)")
            continue
        ax.plot(df[ITERATION], df[metric], marker=".", label=label)
    if baseline:
        add_random_baseline(ax, metric, colour="black")
    ax.set_xlabel("training iteration")
    ax.set_ylabel(metric.split("/", 1)[-1].replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


# ------------------------------------------------------- a sweep to interrupt
def demo_sweep_config(seed: int = 0):
    """Two small trials that fit side by side on 2 CPUs (1 CPU each: 0 env runners)."""
    from ray import tune

    return arena_ppo_config(
        seed=seed,
        num_env_runners=0,
        num_envs_per_env_runner=8,
        train_batch_size=800,
        minibatch_size=800,
        num_epochs=4,
        lr=tune.grid_search([1e-3, 3e-3]),
    )


def run_demo_sweep(storage: str, name: str, iterations: int, resume: bool = False):
    """Run (or, with ``resume``, finish) the demo sweep; returns the ResultGrid."""
    from ray import tune
    from ray.rllib.algorithms.ppo import PPO

    # Tune saves the experiment's state (which trials exist, their latest
    # checkpoints) every 10 s or more by default; a crash loses what happened since.
    # Saving it on every step makes this small demo resume from its latest
    # checkpoints. (Big experiments keep the default: saving costs time.)
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "0")
    storage = str(Path(storage).absolute())
    path = os.path.join(storage, name)
    if resume:
        tuner = tune.Tuner.restore(path, trainable=PPO, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            PPO,
            param_space=demo_sweep_config(),
            run_config=tune.RunConfig(
                name=name,
                storage_path=storage,
                stop={ITERATION: iterations},
                checkpoint_config=tune.CheckpointConfig(
                    checkpoint_frequency=1, checkpoint_at_end=True
                ),
                verbose=0,
                callbacks=[TuneProgress()],
            ),
        )
    return tuner.fit()


def checkpoints_on_disk(experiment_dir) -> dict[str, list[str]]:
    """``{trial directory: [checkpoint directories]}`` found under an experiment."""
    out: dict[str, list[str]] = {}
    root = Path(experiment_dir)
    if not root.is_dir():
        return out
    for trial in sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("PPO_")):
        out[trial.name] = sorted(c.name for c in trial.glob("checkpoint_*") if c.is_dir())
    return out


def best_trial_checkpoint(experiment_dir, metric: str = COMBINED_RETURN) -> Path | None:
    """The latest checkpoint of the trial whose last ``metric`` is highest.

    Reads only what Tune wrote to disk (each trial's ``result.json``, one JSON line
    per iteration, and its ``checkpoint_*`` folders), so it needs no running Ray;
    None when no trial has both results and a checkpoint.
    """
    best, best_value = None, -math.inf
    for trial, checkpoints in checkpoints_on_disk(experiment_dir).items():
        results = Path(experiment_dir) / trial / "result.json"
        if not checkpoints or not results.exists():
            continue
        lines = [line for line in results.read_text().splitlines() if line.strip()]
        if not lines:
            continue
        value = get(json.loads(lines[-1]), metric)
        if is_missing(value):
            continue
        if float(value) > best_value:
            best, best_value = Path(experiment_dir) / trial / checkpoints[-1], float(value)
    return best


#: The files Tune's experiment state is made of, in an experiment's folder.
STATE_FILES = ("experiment_state-*.json", "basic-variant-state-*.json", "tuner.pkl")


def state_files_complete(experiment_dir) -> bool:
    """True when each of Tune's state files in ``experiment_dir`` is whole.

    Tune writes its state in a staging folder and then copies each file into the
    experiment's folder; a crash during a copy leaves that file empty or cut short,
    and ``Tuner.restore`` then logs "Failed to restore the run state" and starts the
    experiment over with a default config (seen with Ray 2.60: an empty
    ``basic-variant-state-*.json``).
    """
    from ray import cloudpickle

    root = Path(experiment_dir)
    found = [path for pattern in STATE_FILES for path in root.glob(pattern)]
    if not found:
        return False
    for path in found:
        try:
            data = path.read_bytes()
            if path.name.startswith("experiment_state-"):
                json.loads(data)
            else:  # basic-variant-state-*.json and tuner.pkl are pickles
                cloudpickle.loads(data)
        except Exception:  # empty, cut short, or mid-copy
            return False
    return True


def wait_for_complete_state(experiment_dir, proc, until: float) -> None:
    """Wait (until the monotonic time ``until``) for Tune's state files to be whole,
    so that the kill that follows lands between two copies, not in one."""
    while time.monotonic() < until and proc.poll() is None:
        if state_files_complete(experiment_dir):
            return
        time.sleep(0.05)


def let_tune_record(experiment_dir, found: dict[str, list[str]], proc) -> None:
    """Wait until Tune's experiment state is newer than the checkpoints ``found``
    (so it records them) and whole (so a kill does not cut a copy of it short)."""
    newest = max(
        (Path(experiment_dir) / t / c).stat().st_mtime for t, cs in found.items() for c in cs
    )
    settle = time.monotonic() + 10
    while time.monotonic() < settle and proc.poll() is None:
        states = list(Path(experiment_dir).glob("experiment_state-*.json"))
        if states and max(p.stat().st_mtime for p in states) > newest:
            break
        time.sleep(0.1)
    wait_for_complete_state(experiment_dir, proc, until=time.monotonic() + 10)


def interrupt_run(
    command: list[str],
    experiment_dir,
    min_checkpoints: int = 2,
    timeout: float = 300.0,
    env=None,
    min_trials: int = 2,
):
    """Start ``command``; once ``min_trials`` trials exist, each has a checkpoint
    and at least ``min_checkpoints`` exist in all, kill it.

    The kill is a ``SIGKILL`` to the whole process group (the driver, Tune and the
    Ray processes it started), exactly what a crash or a closed laptop lid does:
    nothing gets the chance to clean up. Returns the checkpoints on disk at that
    moment.
    """
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            found = checkpoints_on_disk(experiment_dir)
            if (
                len(found) >= min_trials
                and all(found.values())
                and sum(len(c) for c in found.values()) >= min_checkpoints
            ):
                break
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-2000:]
                raise RuntimeError(
                    f"The run ended (exit code {proc.returncode}) before {min_checkpoints} "
                    f"checkpoints appeared; its last output:\n{err}"
                )
            time.sleep(0.2)
        else:
            raise TimeoutError(
                f"No {min_checkpoints} checkpoints in {experiment_dir} after {timeout} s."
            )
        let_tune_record(experiment_dir, found, proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    return checkpoints_on_disk(experiment_dir)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run (or resume) the course's small demo sweep.")
    parser.add_argument("--storage", required=True, help="Tune storage directory")
    parser.add_argument("--name", required=True, help="experiment name (a folder in --storage)")
    parser.add_argument(
        "--iterations", type=int, default=6, help="iterations per trial (default 6)"
    )
    parser.add_argument("--resume", action="store_true", help="resume an interrupted run")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")

    import ray

    quiet_ray()
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        grid = run_demo_sweep(args.storage, args.name, args.iterations, resume=args.resume)
        print(results_table(grid).to_string())
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
