"""Exercise 3 (chapter 8): a metrics callback, run through RLlib's episode hooks."""

from __future__ import annotations

import difflib
import functools
import inspect
import linecache
import logging
import math
import re

import numpy as np

from handson_rl.arena.env import AGENTS
from handson_rl.exercises.common import ExerciseError, checker, fail, learner_traceback
from handson_rl.training.config import agent_to_module, arena_ppo_config
from handson_rl.training.loop import iterate
from handson_rl.training.results import custom_runner_metrics, runner_metrics
from handson_rl.training.session import ray_session

#: The episode hooks a metric callback may override, in the order RLlib calls them.
_EPISODE_HOOKS = ("on_episode_created", "on_episode_start", "on_episode_step", "on_episode_end")
#: Reductions that give a sensible per-episode figure for one training iteration.
_GOOD_REDUCES = ("mean", "min", "max", "percentiles", "item_series")


def _hook_kwargs(hook: str, episode, logger, runner, env_index: int) -> dict:
    """The keyword arguments RLlib's MultiAgentEnvRunner passes to an episode hook
    (``MultiAgentEnvRunner._make_on_episode_callback`` in Ray 2.60), with a real
    env runner: its vector env and its module."""
    kwargs = dict(
        episode=episode,
        env_runner=runner,
        metrics_logger=logger,
        env=runner.env.unwrapped if runner is not None else None,
        rl_module=runner.module if runner is not None else None,
        env_index=env_index,
    )
    if hook == "on_episode_end":
        kwargs["prev_episode_chunks"] = []
    return kwargs


@functools.lru_cache(maxsize=1)
def _env_runner():
    """A real MultiAgentEnvRunner for the arena, built in this process (no Ray
    needed), as PPO's local env runner is: the hooks get it as ``env_runner``, its
    vector of 2 arenas as ``env`` and its MultiRLModule as ``rl_module``. Built once
    per process (a few seconds); the checker steps its envs itself."""
    from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner

    from handson_rl.training.config import arena_ppo_config

    config = arena_ppo_config(seed=0, num_env_runners=0, num_envs_per_env_runner=2)
    rllib_logger = logging.getLogger("ray.rllib")
    level = rllib_logger.level
    rllib_logger.setLevel(logging.ERROR)  # RLlib's own "RLModule(config=...)" notice
    try:
        return MultiAgentEnvRunner(config=config, worker_index=0, num_workers=0)
    finally:
        rllib_logger.setLevel(level)


def _make_recording_logger():
    from ray.rllib.utils.metrics.metrics_logger import MetricsLogger

    class _RecordingLogger(MetricsLogger):
        """A real MetricsLogger that also remembers each log_value call and its hook."""

        def __init__(self):
            super().__init__()
            self.calls: list[dict] = []
            self.hook = None

        def log_value(self, key, value, *, reduce=None, window=None, **kwargs):
            self.calls.append(
                {"key": key, "value": value, "reduce": reduce, "window": window, "hook": self.hook}
            )
            return super().log_value(key, value, reduce=reduce, window=window, **kwargs)

    return _RecordingLogger()


class _Ex3Run:
    """Plays arena episodes through a callback's hooks the way RLlib's env runner does."""

    def __init__(self, callback):
        self.callback = callback
        self.logger = _make_recording_logger()
        self.runner = _env_runner()
        self.vec_env = self.runner.env

    def _call(self, hook, episode, env_index):
        method = getattr(self.callback, hook, None)
        if method is None:
            return
        self.logger.hook = hook
        try:
            method(**_hook_kwargs(hook, episode, self.logger, self.runner, env_index))
        except ExerciseError:
            raise
        except Exception as err:  # the learner's code failed: say where
            fail(  # the hint, when there is one, names the mistake: it comes first
                _hint_for(err, episode, type(self.callback))
                + f"Your {hook}() raised {type(err).__name__}: {str(err)[:300]}\n"
                + "RLlib would stop training with this error.",
                err,
            )
        finally:
            self.logger.hook = None

    def play(self, plan):
        """Play episodes; ``plan`` is a list of (env_index, seed) started together and
        stepped in lockstep (like a vectorised env runner). Returns, per entry, the
        logger calls made while that episode was being processed."""
        from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

        running = []
        for env_index, seed in plan:
            env = self.vec_env.envs[env_index].unwrapped
            episode = MultiAgentEpisode(
                observation_space=env.observation_spaces,
                action_space=env.action_spaces,
                agent_to_module_mapping_fn=agent_to_module,
            )
            calls = []
            start = len(self.logger.calls)
            self._call("on_episode_created", episode, env_index)
            obs, infos = env.reset(seed=seed)
            episode.add_env_reset(observations=obs, infos=infos)
            self._call("on_episode_start", episode, env_index)
            calls.extend(self.logger.calls[start:])
            running.append((env_index, env, episode, np.random.default_rng(seed), calls))
        done = False
        while not done:
            for env_index, env, episode, rng, calls in running:
                actions = {a: int(rng.integers(4)) for a in AGENTS}
                obs, rewards, terms, truncs, infos = env.step(actions)
                episode.add_env_step(
                    observations=obs,
                    actions=actions,
                    rewards=rewards,
                    infos=infos,
                    terminateds=terms,
                    truncateds=truncs,
                )
                start = len(self.logger.calls)
                self._call("on_episode_step", episode, env_index)
                if episode.is_done:
                    self._call("on_episode_end", episode, env_index)
                    done = True
                calls.extend(self.logger.calls[start:])
        return [entry[-1] for entry in running]


def _failing_line(err: BaseException) -> str:
    """The source of the learner's line that raised ``err`` ("" if unknown)."""
    tb = learner_traceback(err.__traceback__)
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else ""


def _hint_for(err: Exception, episode=None, callback_class=None) -> str:
    """A sentence for the mistakes that otherwise give a bare AttributeError or KeyError."""
    text = str(err)
    if isinstance(err, KeyError) and episode is not None and err.args:
        key = err.args[0]
        read_there = re.search(
            r"custom_data\[\s*(['\"])" + re.escape(str(key)) + r"\1\s*\]", _failing_line(err)
        )
        if key not in getattr(episode, "custom_data", {}) and read_there:
            from ray.rllib.callbacks.callbacks import RLlibCallback

            has_start = (
                getattr(callback_class, "on_episode_start", None)
                is not RLlibCallback.on_episode_start
            )
            where = (
                "your on_episode_start() does not set it"
                if has_start
                else f"{getattr(callback_class, '__name__', 'your class')} has no on_episode_start()"
            )
            return (
                f"episode.custom_data has no {key!r}: {where}. Set the episode's state up "
                f"when it starts: `def on_episode_start(self, *, episode, **kwargs): "
                f"episode.custom_data[{key!r}] = ...`.\n"
            )
    if "custom_metrics" in text:
        return (
            "episode.custom_metrics is the 2021 API; today a metric is logged with "
            "metrics_logger.log_value(name, value, reduce='mean') in on_episode_end, and "
            "per-episode state lives in episode.custom_data.\n"
        )
    if "user_data" in text:
        return (
            "episode.user_data is the 2021 API; today per-episode state lives in "
            "episode.custom_data (a dict: set it in on_episode_start).\n"
        )
    if "_pos" in text or "visited" in text or "VectorMultiAgentEnv" in text:
        return (
            "The env your hook gets is the env runner's *vector* of envs, not the arena: "
            "the arena of this episode is env.envs[env_index].unwrapped (or read the "
            "step's events from episode.get_infos(-1)).\n"
        )
    return ""


def _metric_values(calls, metric_name):
    return [c["value"] for c in calls if c["key"] == metric_name]


def _check_ex3_class(callback_class, metric_name):
    from ray.rllib.callbacks.callbacks import RLlibCallback

    if not isinstance(metric_name, str) or not metric_name.strip():
        fail(
            f"metric_name should be the name (a str) your callback logs its metric "
            f"under, e.g. 'agent1_coverage'; got {metric_name!r}."
        )
    if isinstance(callback_class, RLlibCallback):
        fail(
            "Pass the callback class itself, not an instance: check_exercise3(MyCallback, "
            "...), not MyCallback(). RLlib creates one instance per env runner."
        )
    if not (isinstance(callback_class, type) and issubclass(callback_class, RLlibCallback)):
        fail(
            f"callback_class should be a subclass of RLlibCallback "
            f"(`class MyCallback(RLlibCallback): ...`); got {callback_class!r}."
        )
    overridden = [
        h for h in _EPISODE_HOOKS if getattr(callback_class, h) is not getattr(RLlibCallback, h)
    ]
    if not overridden:
        fail(
            f"{callback_class.__name__} overrides none of the episode hooks "
            f"{list(_EPISODE_HOOKS)}: it never sees an episode. Count in "
            "on_episode_step and log in on_episode_end."
        )
    try:
        callback = callback_class()
    except TypeError as err:
        fail(
            f"{callback_class.__name__}() failed: {err}. RLlib creates the callback "
            "itself, without arguments: keep __init__ free of required arguments (and "
            "call super().__init__()).",
            err,
        )
    except Exception as err:
        fail(f"{callback_class.__name__}() raised {type(err).__name__}: {str(err)[:300]}", err)
    for hook in overridden:
        _check_hook_signature(callback_class, hook)
    return callback


def _check_hook_names(callback_class) -> None:
    """A method named like a hook that RLlib never calls (``on_episode_finish``).
    Asked only once the answer failed a check: a helper method named on_... in a
    right answer is fine."""
    from ray.rllib.callbacks.callbacks import RLlibCallback

    if not (isinstance(callback_class, type) and issubclass(callback_class, RLlibCallback)):
        return

    hooks = [name for name in dir(RLlibCallback) if name.startswith("on_")]
    # Only a hook the class does not define can be the one meant: a helper method
    # named on_... beside the real hook is fine.
    missing = [h for h in hooks if getattr(callback_class, h) is getattr(RLlibCallback, h)]
    for cls in callback_class.__mro__:
        if cls is RLlibCallback or not issubclass(cls, RLlibCallback):
            continue
        for name in vars(cls):
            if not name.startswith("on_") or name in hooks:
                continue
            cutoff = 0.6 if name.startswith("on_episode") else 0.8
            close = difflib.get_close_matches(name, missing, n=1, cutoff=cutoff)
            if close:
                fail(
                    f"{callback_class.__name__} defines {name}(), which RLlib never calls: "
                    f"the episode hooks are {', '.join(_EPISODE_HOOKS)}. Did you mean {close[0]}()?"
                )


def _check_hook_signature(callback_class, hook: str) -> None:
    """Can RLlib call this hook the way it does (``self`` plus keyword arguments)?"""
    raw = inspect.getattr_static(callback_class, hook)
    function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    kwargs = _hook_kwargs(hook, None, None, None, 0)
    fix = f"Write it as `def {hook}(self, *, episode, metrics_logger=None, **kwargs):`."
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return  # nothing to read (a builtin or a C function): let the run tell
    params = list(signature.parameters.values())
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not isinstance(raw, staticmethod) and (
        not params or params[0].kind not in positional or params[0].name in kwargs
    ):
        fail(
            f"Your {hook}() has no `self`: Python passes the callback object as a "
            f"method's first argument, and RLlib passes everything else by keyword. {fix}"
        )
    try:
        if isinstance(raw, staticmethod):
            signature.bind(**kwargs)
        else:
            signature.bind(None, **kwargs)
    except TypeError as err:
        fail(
            f"RLlib could not call your {hook}(): {err}. It passes keyword arguments "
            "only (episode=, env_runner=, metrics_logger=, env=, env_index=, "
            "rl_module=, and prev_episode_chunks= for on_episode_end), and may add "
            f"more in later versions. {fix}"
        )


def _check_ex3_logging(calls, metric_name, class_name):
    """The logged calls of one episode played alone: name, count, reduce, value."""
    if not calls:
        fail(
            f"{class_name} logged nothing in a whole episode. In on_episode_end, call "
            f"`metrics_logger.log_value({metric_name!r}, value, reduce='mean')`."
        )
    values = _metric_values(calls, metric_name)
    if not values:
        keys = sorted({repr(c["key"]) for c in calls})
        fail(
            f"You declared the metric {metric_name!r}, but your callback logged under "
            f"{', '.join(keys)}. Use the same name in log_value() and in "
            "check_exercise3(...) (a constant such as METRIC = '...' avoids typos)."
        )
    per_step = [c for c in calls if c["key"] == metric_name and c["hook"] == "on_episode_step"]
    if len(values) > 1:
        where = " in on_episode_step" if per_step else ""
        fail(
            f"{class_name} logged {metric_name!r} {len(values)} times{where} in one "
            "episode. Log once per episode, in on_episode_end: keep a running count in "
            "episode.custom_data while the episode runs, then log the total. Otherwise "
            "RLlib averages per-step values, and the result is not a per-episode figure."
        )
    call = next(c for c in calls if c["key"] == metric_name)
    value = call["value"]
    try:
        number = float(value)
    except (TypeError, ValueError):
        fail(
            f"{metric_name!r} was logged as {type(value).__name__} {value!r}; log a "
            "number (int or float) per episode."
        )
    if not math.isfinite(number):
        fail(f"{metric_name!r} was logged as {number}; log a finite number per episode.")
    reduce = call["reduce"]
    if reduce is None and call["window"] is not None:
        # Ray 2.60's MetricsLogger.log_value: a window without a reduction is a
        # mean over the last `window` values.
        reduce = "mean"
    if reduce is None or reduce == "ema":
        fail(
            f"{metric_name!r} is logged without a reduction (reduce=None), so RLlib "
            "uses an exponential moving average with coefficient 0.01: each iteration's "
            "figure would mostly be made of old episodes. Say how to combine one "
            "iteration's episodes: `log_value(..., reduce='mean')` (`window=100` alone "
            "also means a mean, of at most the iteration's last 100 episodes)."
        )
    if reduce not in _GOOD_REDUCES:
        fail(
            f"{metric_name!r} is logged with reduce={reduce!r}: that adds the values of "
            "all episodes of an iteration, so it grows with the number of episodes, not "
            "with what the agents do. Use reduce='mean' (or 'min'/'max')."
        )
    return number


def _check_ex3_state(callback_class, metric_name, alone: float):
    """The same episode must give the same value after others, and run beside another."""
    run = _Ex3Run(callback_class())
    after = run.play([(0, 101)])  # another episode first
    after = run.play([(0, 7)])
    values_after = _metric_values(after[0], metric_name)
    run = _Ex3Run(callback_class())
    side_by_side = run.play([(0, 7), (1, 101)])
    values_side = _metric_values(side_by_side[0], metric_name)
    for label, values in (
        ("after another episode", values_after),
        ("beside another episode", values_side),
    ):
        if len(values) != 1 or not math.isclose(
            float(values[0]), alone, rel_tol=1e-9, abs_tol=1e-9
        ):
            got = values[0] if values else "nothing"
            fail(
                f"The same episode gave {metric_name!r} = {alone:g} when played alone but "
                f"{got} when played {label}. Your callback keeps per-episode state on "
                "the callback object (self...), but RLlib uses one callback object for "
                "all the episodes of an env runner, several at the same time when it "
                "steps several envs. Keep per-episode state in the episode: "
                "episode.custom_data['...'] (set it in on_episode_start)."
            )


def check_exercise3_hooks(callback_class, metric_name: str) -> float:
    """The part of :func:`check_exercise3` before training, without Ray.

    Plays arena episodes through ``callback_class``'s hooks as RLlib calls them (one
    alone, one after another, two side by side) with a logger that records each
    ``log_value`` call, and checks the class, the hook signatures, what is logged
    (name, once per episode, a number, a reduction) and that per-episode state
    lives in the episode. Returns the metric of the episode played alone; raises
    :class:`ExerciseError` saying what to fix (a misspelt hook name first).
    """
    try:
        callback = _check_ex3_class(callback_class, metric_name)
        calls = _Ex3Run(callback).play([(0, 7)])[0]
        alone = _check_ex3_logging(calls, metric_name, callback_class.__name__)
        _check_ex3_state(callback_class, metric_name, alone)
    except ExerciseError:
        _check_hook_names(callback_class)  # a misspelt hook, if any, is the better message
        raise
    return alone


@checker
def check_exercise3(callback_class, metric_name: str, iterations: int = 2) -> dict:
    """Check Exercise 3: a callback that logs a per-episode metric of your choice.

    ``callback_class`` is your ``RLlibCallback`` subclass (the class, not an
    instance) and ``metric_name`` the name it logs the metric under. The check
    first plays a few arena episodes through your hooks, exactly as RLlib calls
    them, then trains a tiny PPO with your callback for ``iterations`` iterations
    and looks for the metric in ``result["env_runners"]``. Returns the metric's
    value per iteration; raises :class:`ExerciseError` saying what to fix.
    """
    check_exercise3_hooks(callback_class, metric_name)
    name = callback_class.__name__
    values = _ex3_train(callback_class, metric_name, iterations)
    shown = ", ".join(f"{v:.3g}" for v in values.values())
    print(
        f"Exercise 3 solved: {name} logs {metric_name!r} once per episode with a "
        f"reduction, keeps its counts per episode, and the metric arrives in "
        f"result['env_runners'][{metric_name!r}] ({len(values)} iterations of a tiny "
        f"PPO: {shown})."
    )
    from handson_rl.progress import record

    record("exercise3")  # the learner's progress file (python -m handson_rl.progress_report)
    return values


def _ex3_train(callback_class, metric_name, iterations):
    """A tiny PPO with the callback: does the metric reach the result dict?"""
    values = {}
    with ray_session(num_cpus=2):
        algo = None
        try:
            config = arena_ppo_config(
                seed=0,
                num_env_runners=0,
                num_envs_per_env_runner=2,
                train_batch_size=200,
                minibatch_size=200,
                num_epochs=1,
            ).callbacks(callback_class)
            algo = config.build_algo()
            for step in iterate(algo, iterations):
                runners = runner_metrics(step.result)
                if metric_name not in runners:
                    custom = custom_runner_metrics(step.result)
                    fail(
                        f"After training iteration {step.row['iteration']} the result "
                        f"has no result['env_runners'][{metric_name!r}] (its other custom "
                        f"keys: {custom}). Log it with metrics_logger.log_value in "
                        "on_episode_end."
                    )
                values[step.row["iteration"]] = float(runners[metric_name])
        except ExerciseError:
            raise
        except Exception as err:  # the learner's code failing inside RLlib
            fail(
                _hint_for(err, None, callback_class)
                + f"Training a tiny PPO with {callback_class.__name__} failed: "
                f"{type(err).__name__}: {str(err)[:500]}",
                err,
            )
        finally:
            if algo is not None:
                algo.stop()
    return values
