"""The course's PPO setup for MultiAgentArena, and helpers to read training results.

One function builds the config every training chapter starts from, so the settings
(and the reasons for them, told in chapter 3) live in one place. The rest of the
module measures what the course claims: :class:`ReturnWindow` tracks an agent's
mean return over its last 100 finished episodes (the figure Stable-Baselines3
reports, and the one the course's "agent1 reaches 18" claims are about), and
:func:`train_until` trains until that figure reaches a target, timing it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.connectors.connector_v2 import ConnectorV2
from ray.rllib.connectors.env_to_module import FlattenObservations
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
from ray.tune.registry import register_env

from handson_rl.env import AGENT1, AGENT2, MultiAgentArena

ENV_NAME = "MultiAgentArena"
#: Module (policy) ids: one per agent.
MODULE_OF_AGENT = {AGENT1: "p1", AGENT2: "p2"}

#: Where :func:`record_episode_returns` puts each finished episode's per-agent
#: return: ``result["env_runners"][EPISODE_RETURNS_KEY][agent_id]`` is the list of
#: the returns of ``agent_id`` in the episodes that finished in that iteration.
EPISODE_RETURNS_KEY = "agent_returns_per_episode"

#: The course's training settings. Chapter 3 explains each against RLlib's default
#: (in brackets); ``bench/time_to_target.py`` measures them against those defaults.
COURSE_SETTINGS: dict[str, Any] = {
    # --- Sampling: on 2 cores, throughput (env steps per second) is what limits us.
    # Two sampling processes keep both cores busy while sampling [2, unchanged] ...
    "num_env_runners": 2,
    # ... and each steps 16 boards at once, so one batched forward pass of the
    # network picks 16 actions per agent instead of one [1].
    "num_envs_per_env_runner": 16,
    # One-hot encode the observation with the course's small connector
    # (:class:`OneHotObservations`) instead of RLlib's general
    # ``FlattenObservations`` ("rllib"): same numbers, much less work per step
    # [RLlib has no default for MultiDiscrete: building fails without one].
    "one_hot": "course",
    # Actions are discrete, so there is nothing to rescale; RLlib would copy every
    # action batch to "normalize" it anyway [True].
    "normalize_actions": False,
    # --- PPO.
    # Env steps per update: smaller batches mean more (cheaper) updates for the
    # same experience; 2,000 steps is still 20 full episodes [4000].
    "train_batch_size": 2000,
    # Big minibatches: few, well-averaged gradient steps per epoch [128].
    "minibatch_size": 2000,
    # Passes over each batch [30].
    "num_epochs": 10,
    # A small network tolerates a much larger step size [5e-5].
    "lr": 3e-3,
    # Value-loss clipping: RLlib clips each squared value error at 10, which is
    # tuned for returns of a few units; agent1's returns run to +-50, so most
    # errors would be clipped and teach the value net nothing [10.0].
    "vf_clip_param": float("inf"),
    # Discount and GAE lambda [0.99, 1.0].
    "gamma": 0.99,
    "lambda_": 0.95,
    # Entropy bonus [0.0].
    "entropy_coeff": 0.0,
    # --- Network: 200 one-hot inputs, 4 actions; [64, 64] is plenty [[256, 256]].
    "fcnet_hiddens": [64, 64],
    # Separate policy and value networks [False, unchanged].
    "vf_share_layers": False,
}


def register_arena() -> str:
    """Register the arena under :data:`ENV_NAME` (needed by Tune and remote runners)."""
    # Tune's registry keys entries by the Ray job id it saw first in this process
    # and caches it forever. After a Ray session ends and another starts with a
    # different job id (e.g. connecting to a cluster that already ran a job), env
    # runners would look the env up under their own job id and not find it.
    # Forget the cached id, so it is read from the current session.
    from ray.tune import registry

    registry._global_registry._prefix = None
    register_env(ENV_NAME, lambda config: MultiAgentArena(config))
    return ENV_NAME


def agent_to_module(agent_id, episode=None, **kwargs) -> str:
    """The mapping function: agent1 -> module ``p1``, agent2 -> module ``p2``."""
    try:
        return MODULE_OF_AGENT[agent_id]
    except KeyError:
        raise ValueError(
            f"No module for agent id {agent_id!r}; the arena's agents are "
            f"{list(MODULE_OF_AGENT)}."
        ) from None


class OneHotObservations(ConnectorV2):
    """Env-to-module connector: one-hot encode each agent's MultiDiscrete observation.

    ``[own_cell, other_cell]`` on a 10 x 10 board becomes 200 floats: a one at
    ``own_cell`` and a one at ``100 + other_cell``, zeros elsewhere. The encoded
    observation is written back into the episode, so the learner trains on exactly
    what the module saw. RLlib's ``FlattenObservations(multi_agent=True)`` produces
    the same vectors for any nested space, but through general code that costs
    about a third of all sampling time here; this one handles only what the arena
    needs (a ``MultiDiscrete`` per agent).
    """

    def recompute_output_observation_space(self, input_observation_space, input_action_space):
        self._offsets = {}
        spaces = {}
        for agent_id, space in input_observation_space.spaces.items():
            if not isinstance(space, gym.spaces.MultiDiscrete):
                raise TypeError(
                    f"OneHotObservations encodes MultiDiscrete observations; agent "
                    f"{agent_id!r} has {space}. Use RLlib's FlattenObservations instead."
                )
            sizes = np.asarray(space.nvec).ravel()
            # Where each component's block starts in the one-hot vector.
            self._offsets[agent_id] = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            spaces[agent_id] = gym.spaces.Box(0.0, 1.0, (int(sizes.sum()),), np.float32)
        return gym.spaces.Dict(spaces)

    def __call__(self, *, rl_module, batch, episodes, explore=None, shared_data=None, **kwargs):
        for sa_episode in self.single_agent_episode_iterator(
            episodes, agents_that_stepped_only=True
        ):
            agent_id = sa_episode.agent_id
            space = self.observation_space[agent_id]
            one_hot = np.zeros(space.shape, np.float32)
            one_hot[self._offsets[agent_id] + sa_episode.get_observations(-1)] = 1.0
            sa_episode.set_observations(at_indices=-1, new_data=one_hot)
            sa_episode.observation_space = space
        return batch


def one_hot_observations(env=None, spaces=None, device=None):
    """The env-to-module connector factory the course config uses."""
    return OneHotObservations()


def rllib_one_hot_observations(env=None, spaces=None, device=None):
    """The same encoding through RLlib's general ``FlattenObservations``."""
    return FlattenObservations(multi_agent=True)


_ONE_HOT = {"course": one_hot_observations, "rllib": rllib_one_hot_observations}


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
            totals[str(agent_id)] = totals.get(str(agent_id), 0.0) + float(
                sa_episode.get_return()
            )
    for agent_id, total in totals.items():
        metrics_logger.log_value(
            (EPISODE_RETURNS_KEY, agent_id), total, reduce="item_series"
        )


def arena_ppo_config(
    *,
    env_config: Mapping | None = None,
    seed: int | None = None,
    **overrides: Any,
) -> PPOConfig:
    """PPO for MultiAgentArena with one module per agent and the course's settings.

    ``overrides`` replace entries of :data:`COURSE_SETTINGS` (same names), e.g.
    ``arena_ppo_config(lr=1e-3, num_envs_per_env_runner=8)``. The config also
    records every finished episode's per-agent return (:func:`record_episode_returns`),
    which :class:`ReturnWindow` and :func:`train_until` read.
    """
    unknown = set(overrides) - set(COURSE_SETTINGS)
    if unknown:
        raise TypeError(
            f"Unknown setting(s) {sorted(unknown)}; arena_ppo_config takes "
            f"{sorted(COURSE_SETTINGS)} (for anything else, change the returned config)."
        )
    s = {**COURSE_SETTINGS, **overrides}
    if s["one_hot"] not in _ONE_HOT:
        raise ValueError(f"one_hot must be one of {sorted(_ONE_HOT)}, got {s['one_hot']!r}.")
    config = (
        PPOConfig()
        .environment(
            register_arena(),
            env_config=dict(env_config or {}),
            normalize_actions=s["normalize_actions"],
        )
        .env_runners(
            num_env_runners=s["num_env_runners"],
            num_envs_per_env_runner=s["num_envs_per_env_runner"],
            env_to_module_connector=_ONE_HOT[s["one_hot"]],
        )
        .multi_agent(
            policies={"p1", "p2"},
            policy_mapping_fn=agent_to_module,
        )
        .training(
            train_batch_size_per_learner=s["train_batch_size"],
            minibatch_size=s["minibatch_size"],
            num_epochs=s["num_epochs"],
            lr=s["lr"],
            vf_clip_param=s["vf_clip_param"],
            gamma=s["gamma"],
            lambda_=s["lambda_"],
            entropy_coeff=s["entropy_coeff"],
        )
        .rl_module(
            model_config=DefaultModelConfig(
                fcnet_hiddens=list(s["fcnet_hiddens"]),
                vf_share_layers=s["vf_share_layers"],
            )
        )
        .callbacks(on_episode_end=record_episode_returns)
        # A crashing env is a bug to see, not to paper over: without this RLlib
        # restarts the failed env runner and training goes on with a warning
        # (chapter 10 shows when restarts are what you want).
        .fault_tolerance(restart_failed_env_runners=False)
    )
    if seed is not None:
        config = config.debugging(seed=seed)
    return config


def rllib_default_ppo_config(
    *, env_config: Mapping | None = None, seed: int | None = None
) -> PPOConfig:
    """RLlib's PPO defaults on the arena, with only what is needed to run at all.

    That is: the env, a one-hot encoding of the MultiDiscrete observations (RLlib's
    own ``FlattenObservations``; building fails without one), and the p1/p2
    modules. Plus :func:`record_episode_returns`, which only measures. Everything
    else is ``PPOConfig()``'s default: 2 env runners x 1 env, batch 4000,
    minibatch 128, 30 epochs, lr 5e-5, [256, 256] networks. Used by
    ``bench/time_to_target.py`` as the baseline the course settings are compared to.
    """
    config = (
        PPOConfig()
        .environment(register_arena(), env_config=dict(env_config or {}))
        .env_runners(env_to_module_connector=rllib_one_hot_observations)
        .multi_agent(policies={"p1", "p2"}, policy_mapping_fn=agent_to_module)
        .callbacks(on_episode_end=record_episode_returns)
    )
    if seed is not None:
        config = config.debugging(seed=seed)
    return config


def summarize(result: Mapping) -> dict[str, Any]:
    """The figures the course shows from one ``algo.train()`` result dict.

    Returns the iteration, env steps so far, episodes finished in this iteration
    (0 when none did, where RLlib reports NaN), the combined and per-agent mean
    episode returns over those episodes (NaN when no episode finished), and the
    iteration's time.
    """
    runners = result.get("env_runners", {})
    per_agent = runners.get("agent_episode_returns_mean", {}) or {}
    nan = float("nan")
    steps = runners.get("num_env_steps_sampled_lifetime")
    seconds = result.get("time_this_iter_s")
    return {
        "iteration": result.get("training_iteration"),
        "env_steps": None if steps is None else int(steps),
        "episodes": _count(runners.get("num_episodes")),
        # Plain floats (RLlib reports numpy ones), so they print readably.
        "return": float(runners.get("episode_return_mean", nan)),
        "agent1": float(per_agent.get(AGENT1, nan)),
        "agent2": float(per_agent.get(AGENT2, nan)),
        "time_s": None if seconds is None else round(float(seconds), 2),
    }


def _count(value) -> int:
    """An episode count from a result dict: RLlib reports NaN when there were none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
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

    def update(self, result: Mapping) -> float:
        """Add the episodes that finished in ``result``'s iteration; return ``mean``."""
        runners = result.get("env_runners", {}) or {}
        per_episode = runners.get(EPISODE_RETURNS_KEY)
        if per_episode is None:
            if _count(runners.get("num_episodes")):
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


@dataclass
class TrainUntilResult:
    """What :func:`train_until` returns.

    ``seconds`` is the wall time from the first ``train()`` call to the end of the
    iteration in which the target was reached (None if it was not); ``env_steps``
    and ``iterations`` are counted at that point (or at the end, if not reached).
    ``history`` holds one :func:`summarize` row per iteration, plus ``wall_s`` and
    ``window_mean`` (the agent's last-``window``-episode mean after that iteration).
    """

    reached: bool
    seconds: float | None
    env_steps: int
    iterations: int
    elapsed: float
    window_mean: float
    history: list[dict] = field(default_factory=list)


def train_until(
    algo,
    target: float = 18.0,
    max_seconds: float = 120.0,
    *,
    agent: str = AGENT1,
    window: int = 100,
    max_iterations: int | None = None,
    on_iteration: Callable[[dict], None] | None = None,
) -> TrainUntilResult:
    """Call ``algo.train()`` until ``agent``'s last-``window``-episode mean >= ``target``.

    The clock starts right before the first ``train()`` call made here and is read
    after each iteration; it stops at the first iteration after which the window is
    full and its mean reaches ``target`` (the time-to-target of COURSE.md section 6),
    or gives up once ``max_seconds`` (or ``max_iterations``) have passed.
    ``on_iteration(row)`` is called with each history row, e.g. to print progress.
    """
    tracker = ReturnWindow(agent=agent, size=window)
    history: list[dict] = []
    start = time.perf_counter()
    while True:
        result = algo.train()
        elapsed = time.perf_counter() - start
        row = summarize(result)
        row["wall_s"] = elapsed
        row["window_mean"] = tracker.update(result)
        history.append(row)
        if on_iteration is not None:
            on_iteration(row)
        steps = int(row["env_steps"] or 0)
        if tracker.reached(target):
            return TrainUntilResult(True, elapsed, steps, len(history), elapsed, tracker.mean, history)
        if elapsed >= max_seconds or (max_iterations and len(history) >= max_iterations):
            return TrainUntilResult(False, None, steps, len(history), elapsed, tracker.mean, history)
