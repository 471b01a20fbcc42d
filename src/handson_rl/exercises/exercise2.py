"""Exercise 2 (chapter 7): the batch-size sweep with Ray Tune."""

from __future__ import annotations

import math
from pathlib import Path

from handson_rl.exercises.common import checker, fail
from handson_rl.tools.tuning import trial_batch
from handson_rl.training.results import COMBINED_RETURN, ENV_STEPS, ITERATION, OLD_API_KEYS

#: Exercise 2's sweep (chapter 7): the two batch sizes and the envs per runner.

EXERCISE2_BATCH_SIZES = (3000, 4000)
EXERCISE2_ENVS_PER_RUNNER = 5
#: Where chapter 12 looks for Exercise 2's trials (relative to the notebooks' folder).
EXERCISE2_DIR = Path("outputs/tune/exercise2")
#: Old (2021) result keys learners bring along, and what replaced them.
_OLD_RESULT_KEYS = {old: new for old, new in OLD_API_KEYS.items() if new == COMBINED_RETURN}
#: 2021 stop keys that count something else than iterations, and today's name.
_OLD_STEP_KEYS = {old: new for old, new in OLD_API_KEYS.items() if new == ENV_STEPS}


@checker
def check_exercise2(results, stop, *, lr: float, target: float, max_iterations: int) -> dict:
    """Check Exercise 2's sweep: configured as asked, and did it reach the target?

    ``results`` is what ``tuner.fit()`` returned (a ``ResultGrid``); ``stop`` is the
    stop dict you gave ``tune.RunConfig``. The sweep must have two trials,
    ``train_batch_size`` 3000 and 4000 (a grid search), 5 envs per env runner,
    learning rate ``lr``, and stop at ``target`` combined return or after
    ``max_iterations`` iterations. Each trial must end with a checkpoint of its last
    iteration in ``outputs/tune/exercise2`` (chapter 12 plays the best trial's agents
    from there; Tune checkpoints a PPO trial at its end unless told not to). Raises
    :class:`ExerciseError` saying what to change; otherwise prints, per trial,
    whether and when it reached the target, and returns that as a dict
    ``{batch size: iteration reached or None}``.
    """
    _check_stop(stop, target, max_iterations)
    trials = _trials(results)
    for result in trials:
        _check_trial(result, lr)
    reached, lines = _how_trials_ended(trials, target, max_iterations)
    print(
        "Exercise 2: the sweep is configured as asked (2 trials, batch 3000 vs 4000, "
        f"{EXERCISE2_ENVS_PER_RUNNER} envs per runner, lr {lr}, stop at {target} or "
        f"{max_iterations} iterations, a checkpoint at the end of each trial)."
    )
    print("\n".join(lines))
    if all(v is None for v in reached.values()):
        print(
            "Neither trial reached the target yet. Under the course's full budget both "
            "should; if you shortened the run, that is expected."
        )
    from handson_rl.progress import record

    record("exercise2")  # the learner's progress file (python -m handson_rl.progress_report)
    return reached


def _check_stop(stop, target: float, max_iterations: int) -> None:
    if not isinstance(stop, dict):
        fail(
            f"`stop` should be the dict you passed to tune.RunConfig(stop=...), got "
            f"{type(stop).__name__}. Write e.g. stop = {{{COMBINED_RETURN!r}: {target}, "
            f"{ITERATION!r}: {max_iterations}}}."
        )
    for key in stop:
        if key in _OLD_STEP_KEYS:
            fail(
                f"Stop key {key!r} is a 2021 name, and it counts env steps, not "
                f"iterations (today it is {_OLD_STEP_KEYS[key]!r}). The exercise stops "
                f"after {max_iterations} iterations: use {ITERATION!r}: {max_iterations}."
            )
        if key in _OLD_RESULT_KEYS and key != _OLD_RESULT_KEYS[key]:
            fail(
                f"Stop key {key!r} does not exist in today's result dict (it is a 2021 "
                f"name or not nested right), so Tune would never stop on it. Use "
                f"{_OLD_RESULT_KEYS[key]!r}."
            )
    if stop.get(ITERATION) != max_iterations:
        fail(
            f"Stop after {max_iterations} iterations: put {ITERATION!r}: {max_iterations} "
            f"in the stop dict (it has {_plain(stop.get(ITERATION))!r})."
        )
    if COMBINED_RETURN not in stop:
        agentish = [k for k in stop if "agent" in str(k) or "module" in str(k)]
        hint = (
            f" {agentish[0]!r} is one agent's (or module's) return; the exercise stops on "
            "the combined return of both agents."
            if agentish
            else ""
        )
        fail(
            f"The stop dict has no combined-return criterion.{hint} Add "
            f"{COMBINED_RETURN!r}: {target}."
        )
    if float(stop[COMBINED_RETURN]) != float(target):
        fail(
            f"The target is {target}: set stop[{COMBINED_RETURN!r}] = {target} "
            f"(it is {_plain(stop[COMBINED_RETURN])!r})."
        )
    extra = sorted(map(str, set(stop) - {ITERATION, COMBINED_RETURN}))
    if extra:
        fail(
            f"The stop dict has extra criteria {extra}; keep only {ITERATION!r} and {COMBINED_RETURN!r}."
        )


def _plain(value):
    """A NumPy scalar as the Python number it holds (so messages say 4, not np.int64(4))."""
    return value.item() if hasattr(value, "item") and getattr(value, "shape", None) == () else value


_PASS_THE_GRID = (
    "pass what `tuner.fit()` returned, the ResultGrid of all trials: "
    "`exercise_results = tuner.fit()`, then check_exercise2(exercise_results, ...)."
)


def _trials(results) -> list:
    """The trials of ``results``, after checking it is what tuner.fit() returns."""
    from ray.tune import Result, ResultGrid, Tuner

    if isinstance(results, Tuner):
        fail(f"You passed the Tuner itself; {_PASS_THE_GRID}")
    if isinstance(results, Result):
        fail(
            "You passed one trial's Result (what results.get_best_result() returns); the "
            f"check looks at both trials: {_PASS_THE_GRID}"
        )
    if type(results).__name__ == "DataFrame":
        fail(f"You passed a DataFrame (from results.get_dataframe()); {_PASS_THE_GRID}")
    if callable(results):
        fail(
            f"You passed {getattr(results, '__qualname__', 'a function')} without calling it; {_PASS_THE_GRID}"
        )
    ok = isinstance(results, ResultGrid) or (
        isinstance(results, (list, tuple)) and all(isinstance(r, Result) for r in results)
    )
    if not ok:
        fail(f"`results` is {type(results).__name__} {results!r:.80}; {_PASS_THE_GRID}")
    trials = list(results)
    if len(trials) != 2:
        fail(
            f"The sweep ran {len(trials)} trial(s); it should run 2, one per batch size. "
            "Use `tune.grid_search([3000, 4000])` for the train batch size (and no "
            "num_samples > 1)."
        )
    for result in trials:
        if result.error:
            fail(
                f"A trial failed with {type(result.error).__name__}: {str(result.error)[:300]}. "
                "Read the full traceback in result.error and fix the config."
            )
    batches = sorted(trial_batch(r.config or {}) or 0 for r in trials)
    if tuple(batches) != EXERCISE2_BATCH_SIZES:
        fail(
            f"The trials used train batch sizes {batches}; the exercise asks for "
            f"{list(EXERCISE2_BATCH_SIZES)}: "
            "`.training(train_batch_size_per_learner=tune.grid_search([3000, 4000]))`."
        )
    return trials


def _check_trial(result, lr: float) -> None:
    """One trial's settings, and its checkpoint where chapter 12 looks for it."""
    config = result.config or {}
    batch = trial_batch(config)
    envs = config.get("num_envs_per_env_runner")
    if envs != EXERCISE2_ENVS_PER_RUNNER:
        fail(
            f"The trial with batch {batch} stepped {_plain(envs)} envs per env "
            f"runner; the exercise asks for {EXERCISE2_ENVS_PER_RUNNER}: "
            f"`.env_runners(num_envs_per_env_runner={EXERCISE2_ENVS_PER_RUNNER})`."
        )
    if not math.isclose(float(config.get("lr", math.nan)), lr, rel_tol=1e-9):
        fail(
            f"The trial with batch {batch} used lr={_plain(config.get('lr'))!r}; "
            f"use the best learning rate from the chapter's sweep, {lr}."
        )
    _check_checkpoint(result, batch)


def _check_checkpoint(result, batch: int) -> None:
    """Chapter 12 plays the latest checkpoint of the best trial in EXERCISE2_DIR."""
    wanted = EXERCISE2_DIR.absolute()
    folder = Path(result.path).parent
    if folder.resolve() != wanted.resolve():
        fail(
            f"The trial with batch {batch} was saved in {folder}, but chapter 12 looks "
            f'for Exercise 2\'s checkpoints in {wanted}. Pass `name="exercise2", '
            "storage_path=storage` to tune.RunConfig (storage is the chapter's "
            "outputs/tune folder) and run the sweep again."
        )
    if result.checkpoint is None:
        fail(
            f"The trial with batch {batch} ended without a checkpoint, so chapter 12 "
            "could not play your agents (it would fall back to the course's pre-trained "
            "ones). Tune checkpoints a PPO trial at its end unless the CheckpointConfig "
            "says checkpoint_at_end=False: pass "
            "`checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=True)` and run the "
            "sweep again."
        )
    last = int(result.metrics.get(ITERATION, 0))
    saved = [
        m.get(ITERATION)
        for c, m in (result.best_checkpoints or [])
        if c.path == result.checkpoint.path
    ]
    if saved and saved[0] is not None and int(saved[0]) < last:
        fail(
            f"The latest checkpoint of the trial with batch {batch} is from iteration "
            f"{int(saved[0])}, but the trial trained {last} iterations: chapter 12 would "
            "play agents older than your trained ones. Add checkpoint_at_end=True to "
            "tune.CheckpointConfig."
        )


def _how_trials_ended(trials: list, target: float, max_iterations: int):
    reached: dict[int, int | None] = {}
    lines = []
    for result in sorted(trials, key=lambda r: trial_batch(r.config)):
        batch = trial_batch(result.config)
        df = result.metrics_dataframe
        iterations = int(result.metrics.get(ITERATION, 0))
        hits = df[df[COMBINED_RETURN] >= target] if df is not None and COMBINED_RETURN in df else []
        if len(hits):
            first = int(hits[ITERATION].iloc[0])
            reached[batch] = first
            lines.append(
                f"  batch {batch}: reached {target} at iteration {first} "
                f"({hits['time_total_s'].iloc[0]:.0f} s of training)"
            )
            continue
        reached[batch] = None
        last = df[COMBINED_RETURN].iloc[-1] if df is not None and len(df) else math.nan
        if iterations < max_iterations:
            fail(
                f"The trial with batch {batch} stopped after {iterations} iterations "
                f"without reaching {target} (last combined return {last:.1f}). Did the "
                "run get interrupted? Run the sweep again."
            )
        lines.append(
            f"  batch {batch}: not reached in {iterations} iterations "
            f"(last combined return {last:.1f})"
        )
    return reached, lines
