"""Exercise checkers: call one in the cell after your answer.

Each checker runs your code against a real MultiAgentArena that records what your
code did, then either confirms the answer or raises :class:`ExerciseError` whose
message says, in plain words, what is wrong and how to fix it.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from handson_rl.env import AGENT1, AGENT2, AGENTS, ArenaActionError, ArenaStateError, MultiAgentArena


class ExerciseError(AssertionError):
    """Your answer does not do what the exercise asks yet; the message says why."""


def _fail(msg: str):
    raise ExerciseError(msg) from None


class _RecordingArena(MultiAgentArena):
    """The real arena, plus a log of how it was driven."""

    def __init__(self, config=None):
        super().__init__(config)
        self.reset_seeds: list = []
        self.obs_log: dict[str, list] = {a: [] for a in AGENTS}  # what each agent should see
        self.action_log: dict[str, list] = {a: [] for a in AGENTS}
        self.reward_log: dict[str, list] = {a: [] for a in AGENTS}

    def reset(self, *, seed=None, options=None):
        obs, infos = super().reset(seed=seed, options=options)
        self.reset_seeds.append(seed)
        self.obs_log = {a: [obs[a].copy()] for a in AGENTS}
        self.action_log = {a: [] for a in AGENTS}
        self.reward_log = {a: [] for a in AGENTS}
        return obs, infos

    def step(self, action_dict):
        obs, rewards, terminateds, truncateds, infos = super().step(action_dict)
        for a in AGENTS:
            self.action_log[a].append(int(np.asarray(action_dict[a])))
            self.reward_log[a].append(rewards[a])
            self.obs_log[a].append(obs[a].copy())
        return obs, rewards, terminateds, truncateds, infos


class _RecordingPolicy:
    """A random policy that remembers every observation it was shown."""

    def __init__(self, agent: str, action_space, seed: int):
        self.agent = agent
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        self.seen: list[np.ndarray] = []
        self.chosen: list[int] = []

    def act(self, obs):
        self.seen.append(np.array(obs, copy=True))
        action = int(self.rng.integers(self.action_space.n))
        self.chosen.append(action)
        return action


def _run(run_episode: Callable, env: _RecordingArena, policies: dict, seed: int):
    limit = env.timestep_limit
    resets_before = len(env.reset_seeds)
    try:
        return run_episode(env, policies, seed=seed)
    except NotImplementedError:
        _fail(
            "run_episode still raises NotImplementedError: replace that line with your "
            "loop (reset the env, then step until the episode is over)."
        )
    except ArenaStateError as err:
        if "before reset" in str(err):
            _fail(
                "Your loop called env.step() before env.reset(). Every episode starts "
                "with `obs, infos = env.reset(seed=seed)`."
            )
        if len(env.reset_seeds) > resets_before:
            _fail(
                f"Your loop kept stepping after the episode had ended (this env's "
                f"timestep_limit is {limit}). Don't count to a fixed number of steps: "
                "loop until `terminateds['__all__'] or truncateds['__all__']` is True."
            )
        _fail(
            "Your loop stepped an episode that had already ended: called a second "
            "time on the same env, run_episode must start a new episode. Call "
            f"`env.reset(seed=seed)` at the start of run_episode. (The env said: {err})"
        )
    except ArenaActionError as err:
        _fail(
            "env.step() rejected your action dict. Build it as "
            "`{agent_id: policies[agent_id].act(obs[agent_id]) for agent_id in obs}`. "
            f"The env said: {err}"
        )
    except TypeError as err:
        _fail(
            "Calling run_episode(env, policies, seed=...) failed with a TypeError. Keep "
            "the signature `def run_episode(env, policies, seed=None):`. "
            f"Python said: {err}"
        )


def check_exercise1(run_episode: Callable) -> None:
    """Check Exercise 1: one full episode with a policy per agent.

    ``run_episode(env, policies, seed=None)`` must reset ``env`` with ``seed``, let
    each agent's policy (``policies[agent_id].act(obs[agent_id])``) pick its action
    at every step until the episode is over, render the board after the reset and
    after every step, and return ``(returns, frames)``: each agent's summed reward
    and the list of rendered frames.
    """
    summary = {}
    for limit, seed in ((100, 7), (13, 2024)):
        env = _RecordingArena({"timestep_limit": limit, "render_mode": "rgb_array"})
        policies = {
            a: _RecordingPolicy(a, env.get_action_space(a), seed + i)
            for i, a in enumerate(AGENTS)
        }
        result = _run(run_episode, env, policies, seed)
        _check_one_episode(env, policies, seed, result)
        summary[limit] = {a: float(sum(env.reward_log[a])) for a in AGENTS}

        # The same env again: a correct answer starts a fresh episode.
        policies = {
            a: _RecordingPolicy(a, env.get_action_space(a), seed + 10 + i)
            for i, a in enumerate(AGENTS)
        }
        result = _run(run_episode, env, policies, seed + 1)
        _check_one_episode(env, policies, seed + 1, result)

    r = summary[100]
    print(
        "Exercise 1 solved: your loop resets the env, gives each agent its own "
        "observation, plays all 100 steps, renders every step and sums the rewards "
        f"right (this check's episode: agent1 {r[AGENT1]:+.1f}, agent2 {r[AGENT2]:+.1f})."
    )


def _check_one_episode(env: _RecordingArena, policies: dict, seed: int, result) -> None:
    limit = env.timestep_limit
    steps = env.timestep
    if not env.reset_seeds:
        _fail("run_episode never called env.reset(). Start with `obs, infos = env.reset(seed=seed)`.")
    if env.reset_seeds[-1] != seed:
        _fail(
            f"run_episode was called with seed={seed} but reset the env with "
            f"seed={env.reset_seeds[-1]!r}. Pass it on: `env.reset(seed=seed)`, so the "
            "same seed replays the same episode."
        )
    if steps < limit:
        _fail(
            f"Your loop stopped after {steps} of the episode's {limit} steps. Keep "
            "stepping until `terminateds['__all__'] or truncateds['__all__']` is True "
            "(this env's time limit shows up as truncation)."
        )

    for agent in AGENTS:
        other = AGENT2 if agent == AGENT1 else AGENT1
        seen = policies[agent].seen
        if len(seen) != steps:
            _fail(
                f"{agent}'s policy was asked for {len(seen)} actions in a {steps}-step "
                f"episode. Call `policies['{agent}'].act(obs['{agent}'])` exactly once "
                "per step, and send what it returns to env.step()."
            )
        expected = env.obs_log[agent][:steps]
        for t, (got, want) in enumerate(zip(seen, expected)):
            if np.array_equal(got, want):
                continue
            if np.array_equal(got, env.obs_log[other][t]):
                _fail(
                    f"At step {t}, {agent}'s policy was given {other}'s observation "
                    f"{got.tolist()} instead of its own {want.tolist()}. Each agent "
                    f"sees the board from its side: pass obs['{agent}'] to "
                    f"policies['{agent}']."
                )
            _fail(
                f"At step {t}, {agent}'s policy was given {got.tolist()}, but the env's "
                f"latest observation for {agent} was {want.tolist()}. Use the obs "
                "returned by the most recent reset()/step() call."
            )
        if env.action_log[agent] != policies[agent].chosen:
            _fail(
                f"The actions sent to env.step() for {agent} are not the ones its "
                f"policy returned. Use `policies['{agent}'].act(...)`'s answer as "
                f"that agent's action."
            )

    if not (isinstance(result, tuple) and len(result) == 2):
        _fail(
            f"run_episode should `return returns, frames`; it returned "
            f"{type(result).__name__} {str(result)[:80]}."
        )
    returns, frames = result
    if not isinstance(returns, dict) or set(returns) != set(AGENTS):
        _fail(
            "`returns` should be a dict with one entry per agent, "
            f"{{'agent1': ..., 'agent2': ...}}; got {returns!r:.120}."
        )
    for agent in AGENTS:
        other = AGENT2 if agent == AGENT1 else AGENT1
        rewards = env.reward_log[agent]
        want = float(sum(rewards))
        got = returns[agent]
        try:
            got = float(got)
        except (TypeError, ValueError):
            _fail(f"returns['{agent}'] should be a number, got {got!r:.80}.")
        if math.isclose(got, want, abs_tol=1e-6):
            continue
        if math.isclose(got, rewards[-1], abs_tol=1e-6):
            _fail(
                f"returns['{agent}'] is {got:+.1f}, the reward of the last step only. "
                f"A return is the sum of all rewards: add each step's reward "
                f"(`returns[agent] += rewards[agent]`); the right value is {want:+.1f}."
            )
        if math.isclose(got, float(sum(env.reward_log[other])), abs_tol=1e-6):
            _fail(
                f"returns['{agent}'] holds {other}'s return ({got:+.1f}). Add "
                f"rewards['{agent}'] to returns['{agent}']."
            )
        if math.isclose(got, want + float(sum(env.reward_log[other])), abs_tol=1e-6):
            _fail(
                f"returns['{agent}'] is the sum of both agents' rewards ({got:+.1f}). "
                f"Keep one sum per agent; {agent}'s own is {want:+.1f}."
            )
        if math.isclose(got, want - rewards[0], abs_tol=1e-6):
            _fail(
                f"returns['{agent}'] misses the first step's reward ({got:+.1f} "
                f"instead of {want:+.1f}): start from 0.0 and add every step's reward."
            )
        _fail(
            f"returns['{agent}'] is {got:+.2f}, but {agent}'s rewards in this episode "
            f"add up to {want:+.2f}. Start each agent at 0.0 and add rewards[agent] "
            "after every env.step()."
        )

    if not isinstance(frames, (list, tuple)):
        _fail(f"`frames` should be a list of rendered boards, got {type(frames).__name__}.")
    if len(frames) == steps:
        _fail(
            f"`frames` has {len(frames)} boards: one per step, but the starting board "
            "is missing. Render once right after reset() and once after every step()."
        )
    if len(frames) != steps + 1:
        _fail(
            f"`frames` has {len(frames)} boards for a {steps}-step episode; it should "
            f"have {steps + 1}: one after reset() and one after each step()."
        )
    first, last = np.asarray(frames[0]), np.asarray(frames[-1])
    if first.ndim != 3 or first.shape[-1] != 3:
        _fail(
            "Each frame should be what env.render() returns for an env made with "
            "render_mode='rgb_array': an (H, W, 3) image array. Got "
            f"{type(frames[0]).__name__} with shape {getattr(first, 'shape', None)}."
        )
    if np.array_equal(first, last) and steps > 0:
        _fail(
            "The first and last frames are identical: render the board inside the "
            "loop, after each step, not once before it."
        )


# ---------------------------------------------------------------- Exercise 2
#: Exercise 2's sweep (chapter 7): the two batch sizes and the envs per runner.
EXERCISE2_BATCH_SIZES = (3000, 4000)
EXERCISE2_ENVS_PER_RUNNER = 5
#: Old (2021) result keys learners bring along, and what replaced them.
_OLD_RESULT_KEYS = {
    "episode_reward_mean": "env_runners/episode_return_mean",
    "episode_return_mean": "env_runners/episode_return_mean",
    "sampler_results/episode_reward_mean": "env_runners/episode_return_mean",
    "timesteps_total": "training_iteration",
}


def _trial_batch(config) -> int | None:
    from handson_rl.tuning import config_value

    value = config_value(config, "train_batch_size_per_learner")
    return None if value is None else int(value)


def check_exercise2(results, stop, *, lr: float, target: float, max_iterations: int) -> dict:
    """Check Exercise 2's sweep: configured as asked, and did it reach the target?

    ``results`` is what ``tuner.fit()`` returned; ``stop`` is the stop dict you gave
    ``tune.RunConfig``. The sweep must have two trials, ``train_batch_size`` 3000 and
    4000 (a grid search), 5 envs per env runner, learning rate ``lr``, and stop at
    ``target`` combined return or after ``max_iterations`` iterations. Raises
    :class:`ExerciseError` saying what to change; otherwise prints, per trial,
    whether and when it reached the target, and returns that as a dict
    ``{batch size: iteration reached or None}``.
    """
    from handson_rl.tuning import COMBINED_RETURN, ITERATION

    # --- the stop criteria
    if not isinstance(stop, dict):
        _fail(
            f"`stop` should be the dict you passed to tune.RunConfig(stop=...), got "
            f"{type(stop).__name__}. Write e.g. stop = {{{COMBINED_RETURN!r}: {target}, "
            f"{ITERATION!r}: {max_iterations}}}."
        )
    for key in stop:
        if key in _OLD_RESULT_KEYS and key != _OLD_RESULT_KEYS[key]:
            _fail(
                f"Stop key {key!r} does not exist in today's result dict (it is a 2021 "
                f"name or not nested right), so Tune would never stop on it. Use "
                f"{_OLD_RESULT_KEYS[key]!r}."
            )
    if stop.get(ITERATION) != max_iterations:
        _fail(
            f"Stop after {max_iterations} iterations: put {ITERATION!r}: {max_iterations} "
            f"in the stop dict (it has {stop.get(ITERATION)!r})."
        )
    if COMBINED_RETURN not in stop:
        agentish = [k for k in stop if "agent" in str(k) or "module" in str(k)]
        hint = (
            f" {agentish[0]!r} is one agent's (or module's) return; the exercise stops on "
            "the combined return of both agents."
            if agentish
            else ""
        )
        _fail(
            f"The stop dict has no combined-return criterion.{hint} Add "
            f"{COMBINED_RETURN!r}: {target}."
        )
    if float(stop[COMBINED_RETURN]) != float(target):
        _fail(f"The target is {target}: set stop[{COMBINED_RETURN!r}] = {target} (it is {stop[COMBINED_RETURN]!r}).")
    extra = sorted(set(stop) - {ITERATION, COMBINED_RETURN})
    if extra:
        _fail(f"The stop dict has extra criteria {extra}; keep only {ITERATION!r} and {COMBINED_RETURN!r}.")

    # --- the trials
    trials = list(results)
    if len(trials) != 2:
        _fail(
            f"The sweep ran {len(trials)} trial(s); it should run 2, one per batch size. "
            "Use `tune.grid_search([3000, 4000])` for the train batch size (and no "
            "num_samples > 1)."
        )
    for result in trials:
        if result.error:
            _fail(
                f"A trial failed with {type(result.error).__name__}: {str(result.error)[:300]}. "
                "Read the full traceback in result.error and fix the config."
            )
    batches = sorted(_trial_batch(r.config or {}) or 0 for r in trials)
    if tuple(batches) != EXERCISE2_BATCH_SIZES:
        _fail(
            f"The trials used train batch sizes {batches}; the exercise asks for "
            f"{list(EXERCISE2_BATCH_SIZES)}: "
            "`.training(train_batch_size_per_learner=tune.grid_search([3000, 4000]))`."
        )
    for result in trials:
        config = result.config or {}
        envs = config.get("num_envs_per_env_runner")
        if envs != EXERCISE2_ENVS_PER_RUNNER:
            _fail(
                f"The trial with batch {_trial_batch(config)} stepped {envs} envs per env "
                f"runner; the exercise asks for {EXERCISE2_ENVS_PER_RUNNER}: "
                f"`.env_runners(num_envs_per_env_runner={EXERCISE2_ENVS_PER_RUNNER})`."
            )
        if not math.isclose(float(config.get("lr", math.nan)), lr, rel_tol=1e-9):
            _fail(
                f"The trial with batch {_trial_batch(config)} used lr={config.get('lr')!r}; "
                f"use the best learning rate from the chapter's sweep, {lr}."
            )

    # --- how each trial ended
    reached: dict[int, int | None] = {}
    lines = []
    for result in sorted(trials, key=lambda r: _trial_batch(r.config)):
        batch = _trial_batch(result.config)
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
        else:
            reached[batch] = None
            last = df[COMBINED_RETURN].iloc[-1] if df is not None and len(df) else math.nan
            if iterations < max_iterations:
                _fail(
                    f"The trial with batch {batch} stopped after {iterations} iterations "
                    f"without reaching {target} (last combined return {last:.1f}). Did the "
                    "run get interrupted? Run the sweep again."
                )
            lines.append(
                f"  batch {batch}: not reached in {iterations} iterations "
                f"(last combined return {last:.1f})"
            )
    print("Exercise 2: the sweep is configured as asked (2 trials, batch 3000 vs 4000, "
          f"{EXERCISE2_ENVS_PER_RUNNER} envs per runner, lr {lr}, stop at {target} or "
          f"{max_iterations} iterations).")
    print("\n".join(lines))
    if all(v is None for v in reached.values()):
        print(
            "Neither trial reached the target yet. Under the course's full budget both "
            "should; if you shortened the run, that is expected."
        )
    return reached


# ----------------------------------------------------------------- Exercise 3
#: The episode hooks a metric callback may override, in the order RLlib calls them.
_EPISODE_HOOKS = ("on_episode_created", "on_episode_start", "on_episode_step", "on_episode_end")
#: Reductions that give a sensible per-episode figure for one training iteration.
_GOOD_REDUCES = ("mean", "min", "max", "percentiles", "item_series")


def _hook_kwargs(hook: str, episode, logger, env, env_index: int) -> dict:
    """The keyword arguments RLlib's MultiAgentEnvRunner passes to an episode hook."""
    kwargs = dict(
        episode=episode,
        env_runner=None,
        metrics_logger=logger,
        env=env,
        rl_module=None,
        env_index=env_index,
    )
    if hook == "on_episode_end":
        kwargs["prev_episode_chunks"] = []
    return kwargs


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

    def __init__(self, callback, num_envs: int = 2):
        from ray.rllib.env.vector.sync_vector_multi_agent_env import SyncVectorMultiAgentEnv

        self.callback = callback
        self.logger = _make_recording_logger()
        self.vec_env = SyncVectorMultiAgentEnv([MultiAgentArena for _ in range(num_envs)])

    def _call(self, hook, episode, env_index):
        method = getattr(self.callback, hook, None)
        if method is None:
            return
        self.logger.hook = hook
        try:
            method(**_hook_kwargs(hook, episode, self.logger, self.vec_env.unwrapped, env_index))
        except ExerciseError:
            raise
        except Exception as err:  # the learner's code failed: say where
            _fail(
                f"Your {hook}() raised {type(err).__name__}: {err}\n"
                "RLlib would stop training with this error. Read the traceback above it "
                "(run the cell again with a print() in the hook if needed)."
            )
        finally:
            self.logger.hook = None

    def play(self, plan):
        """Play episodes; ``plan`` is a list of (env_index, seed) started together and
        stepped in lockstep (like a vectorised env runner). Returns, per entry, the
        logger calls made while that episode was being processed."""
        from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

        from handson_rl.training import agent_to_module

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
                    observations=obs, actions=actions, rewards=rewards, infos=infos,
                    terminateds=terms, truncateds=truncs,
                )
                start = len(self.logger.calls)
                self._call("on_episode_step", episode, env_index)
                if episode.is_done:
                    self._call("on_episode_end", episode, env_index)
                    done = True
                calls.extend(self.logger.calls[start:])
        return [entry[-1] for entry in running]


def _metric_values(calls, metric_name):
    return [c["value"] for c in calls if c["key"] == metric_name]


def _check_ex3_class(callback_class, metric_name):
    import inspect

    from ray.rllib.callbacks.callbacks import RLlibCallback

    if not isinstance(metric_name, str) or not metric_name.strip():
        _fail(
            f"metric_name should be the name (a str) your callback logs its metric "
            f"under, e.g. 'agent1_coverage'; got {metric_name!r}."
        )
    if isinstance(callback_class, RLlibCallback):
        _fail(
            "Pass the callback class itself, not an instance: check_exercise3(MyCallback, "
            "...), not MyCallback(). RLlib creates one instance per env runner."
        )
    if not (isinstance(callback_class, type) and issubclass(callback_class, RLlibCallback)):
        _fail(
            f"callback_class should be a subclass of RLlibCallback "
            f"(`class MyCallback(RLlibCallback): ...`); got {callback_class!r}."
        )
    overridden = [h for h in _EPISODE_HOOKS if getattr(callback_class, h) is not getattr(RLlibCallback, h)]
    if not overridden:
        _fail(
            f"{callback_class.__name__} overrides none of the episode hooks "
            f"{list(_EPISODE_HOOKS)}: it never sees an episode. Count in "
            "on_episode_step and log in on_episode_end."
        )
    try:
        callback = callback_class()
    except TypeError as err:
        _fail(
            f"{callback_class.__name__}() failed: {err}. RLlib creates the callback "
            "itself, without arguments: keep __init__ free of required arguments (and "
            "call super().__init__())."
        )
    for hook in overridden:
        try:
            inspect.signature(getattr(callback, hook)).bind(**_hook_kwargs(hook, None, None, None, 0))
        except TypeError as err:
            _fail(
                f"RLlib could not call your {hook}(): {err}. It passes keyword arguments "
                "only (episode=, env_runner=, metrics_logger=, env=, env_index=, "
                "rl_module=, and prev_episode_chunks= for on_episode_end), and may add "
                f"more in later versions. Write it as `def {hook}(self, *, episode, "
                "metrics_logger=None, **kwargs):`."
            )
    return callback


def _check_ex3_logging(calls, metric_name, class_name):
    """The logged calls of one episode played alone: name, count, reduce, value."""
    if not calls:
        _fail(
            f"{class_name} logged nothing in a whole episode. In on_episode_end, call "
            f"`metrics_logger.log_value({metric_name!r}, value, reduce='mean')`."
        )
    values = _metric_values(calls, metric_name)
    if not values:
        keys = sorted({repr(c["key"]) for c in calls})
        _fail(
            f"You declared the metric {metric_name!r}, but your callback logged under "
            f"{', '.join(keys)}. Use the same name in log_value() and in "
            "check_exercise3(...) (a constant such as METRIC = '...' avoids typos)."
        )
    per_step = [c for c in calls if c["key"] == metric_name and c["hook"] == "on_episode_step"]
    if len(values) > 1:
        where = " in on_episode_step" if per_step else ""
        _fail(
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
        _fail(
            f"{metric_name!r} was logged as {type(value).__name__} {value!r}; log a "
            "number (int or float) per episode."
        )
    if not math.isfinite(number):
        _fail(f"{metric_name!r} was logged as {number}; log a finite number per episode.")
    reduce = call["reduce"]
    if reduce is None or reduce == "ema":
        _fail(
            f"{metric_name!r} is logged without a reduction (reduce=None), so RLlib "
            "uses an exponential moving average with coefficient 0.01: each iteration's "
            "figure would mostly be made of old episodes. Say how to combine one "
            "iteration's episodes: `log_value(..., reduce='mean')`."
        )
    if reduce not in _GOOD_REDUCES:
        _fail(
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
    for label, values in (("after another episode", values_after), ("beside another episode", values_side)):
        if len(values) != 1 or not math.isclose(float(values[0]), alone, rel_tol=1e-9, abs_tol=1e-9):
            got = values[0] if values else "nothing"
            _fail(
                f"The same episode gave {metric_name!r} = {alone:g} when played alone but "
                f"{got} when played {label}. Your callback keeps per-episode state on "
                "the callback object (self...), but RLlib uses one callback object for "
                "all the episodes of an env runner, several at the same time when it "
                "steps several envs. Keep per-episode state in the episode: "
                "episode.custom_data['...'] (set it in on_episode_start)."
            )


def check_exercise3(callback_class, metric_name: str, iterations: int = 2) -> dict:
    """Check Exercise 3: a callback that logs a per-episode metric of your choice.

    ``callback_class`` is your ``RLlibCallback`` subclass (the class, not an
    instance) and ``metric_name`` the name it logs the metric under. The check
    first plays a few arena episodes through your hooks, exactly as RLlib calls
    them, then trains a tiny PPO with your callback for ``iterations`` iterations
    and looks for the metric in ``result["env_runners"]``. Returns the metric's
    value per iteration; raises :class:`ExerciseError` saying what to fix.
    """
    callback = _check_ex3_class(callback_class, metric_name)
    name = callback_class.__name__
    calls = _Ex3Run(callback).play([(0, 7)])[0]
    alone = _check_ex3_logging(calls, metric_name, name)
    _check_ex3_state(callback_class, metric_name, alone)
    values = _ex3_train(callback_class, metric_name, iterations)
    shown = ", ".join(f"{v:.3g}" for v in values.values())
    print(
        f"Exercise 3 solved: {name} logs {metric_name!r} once per episode with a "
        f"reduction, keeps its counts per episode, and the metric arrives in "
        f"result['env_runners'][{metric_name!r}] ({len(values)} iterations of a tiny "
        f"PPO: {shown})."
    )
    return values


def _ex3_train(callback_class, metric_name, iterations):
    """A tiny PPO with the callback: does the metric reach the result dict?"""
    import ray

    from handson_rl.training import arena_ppo_config

    started_ray = False
    if not ray.is_initialized():
        from handson_rl.quiet import quiet_ray

        quiet_ray()
        ray.init(num_cpus=2, include_dashboard=False)
        started_ray = True
    algo = None
    try:
        config = arena_ppo_config(
            seed=0, num_env_runners=0, num_envs_per_env_runner=2,
            train_batch_size=200, minibatch_size=200, num_epochs=1,
        ).callbacks(callback_class)
        algo = config.build_algo()
        values = {}
        for _ in range(iterations):
            result = algo.train()
            runners = result.get("env_runners", {})
            if metric_name not in runners:
                custom = sorted(
                    k for k in runners
                    if not k.startswith(("num_", "episode_", "agent_", "module_", "timers", "sample"))
                )
                _fail(
                    f"After training iteration {result['training_iteration']} the result "
                    f"has no result['env_runners'][{metric_name!r}] (its other custom "
                    f"keys: {custom}). Log it with metrics_logger.log_value in "
                    "on_episode_end."
                )
            values[result["training_iteration"]] = float(runners[metric_name])
        return values
    except ExerciseError:
        raise
    except Exception as err:
        _fail(
            f"Training a tiny PPO with {callback_class.__name__} failed: "
            f"{type(err).__name__}: {err}"
        )
    finally:
        if algo is not None:
            algo.stop()
        if started_ray:
            ray.shutdown()
