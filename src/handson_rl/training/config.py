"""The course's PPO setup for MultiAgentArena: one function builds the config every
training chapter starts from, so the settings (and the reasons for them, told in
chapter 3) live in one place.

The env is handed to RLlib as a class (``.environment(MultiAgentArena)``), not
registered under a name: the class travels with the config to every env runner,
Tune trial and cluster node, so there is no registry to keep in sync between Ray
sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.connectors.connector_v2 import ConnectorV2
from ray.rllib.connectors.env_to_module import FlattenObservations
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

from handson_rl.arena.env import AGENT1, AGENT2, MultiAgentArena
from handson_rl.training.cpus import make_room, remote_cpus, track
from handson_rl.training.flaky import FlakyArena
from handson_rl.training.results import record_episode_returns
from handson_rl.training.torch_seeding import install as _light_torch_seeding

# Seeding without loading torch's compiler, here and in every env runner (each
# imports this module to unpickle its config): see torch_seeding.
_light_torch_seeding()

#: Module (policy) ids: one per agent.
MODULE_OF_AGENT = {AGENT1: "p1", AGENT2: "p2"}

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


def agent_to_module(agent_id, episode=None, **kwargs) -> str:
    """The mapping function: agent1 -> module ``p1``, agent2 -> module ``p2``."""
    try:
        return MODULE_OF_AGENT[agent_id]
    except KeyError:
        raise ValueError(
            f"No module for agent id {agent_id!r}; the arena's agents are {list(MODULE_OF_AGENT)}."
        ) from None


def one_hot_offsets(sizes) -> tuple[np.ndarray, int]:
    """Where each component's block starts in the one-hot vector, and its length."""
    sizes = np.asarray(sizes, dtype=np.int64).ravel()
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]), int(sizes.sum())


def encode_one_hot(values, offsets: np.ndarray, length: int) -> np.ndarray:
    """The course's one encoder: a one at ``offsets[i] + values[i]`` for each component
    of a MultiDiscrete value, zeros elsewhere (no checks: the connector's inner loop)."""
    vec = np.zeros(length, np.float32)
    vec[offsets + values] = 1.0
    return vec


def one_hot(observation, sizes) -> np.ndarray:
    """One MultiDiscrete value with component sizes ``sizes`` (the space's ``nvec``),
    checked and one-hot encoded exactly as :class:`OneHotObservations` encodes it."""
    obs = np.asarray(observation)
    sizes = np.asarray(sizes).ravel()
    if obs.shape != sizes.shape or obs.dtype.kind not in "iu":
        raise ValueError(
            f"Expected {len(sizes)} integer components (sizes {sizes.tolist()}); got {observation!r}."
        )
    if not ((0 <= obs) & (obs < sizes)).all():
        ranges = ", ".join(f"0..{int(n) - 1}" for n in sizes)
        raise ValueError(f"The components must be in {ranges}; got {obs.tolist()}.")
    return encode_one_hot(obs, *one_hot_offsets(sizes))


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
            self._offsets[agent_id], length = one_hot_offsets(space.nvec)
            spaces[agent_id] = gym.spaces.Box(0.0, 1.0, (length,), np.float32)
        return gym.spaces.Dict(spaces)

    def __call__(self, *, rl_module, batch, episodes, explore=None, shared_data=None, **kwargs):
        for sa_episode in self.single_agent_episode_iterator(
            episodes, agents_that_stepped_only=True
        ):
            agent_id = sa_episode.agent_id
            space = self.observation_space[agent_id]
            encoded = encode_one_hot(
                sa_episode.get_observations(-1), self._offsets[agent_id], space.shape[0]
            )
            sa_episode.set_observations(at_indices=-1, new_data=encoded)
            sa_episode.observation_space = space
        return batch


def one_hot_observations(env=None, spaces=None, device=None):
    """The env-to-module connector factory the course config uses."""
    return OneHotObservations()


def rllib_one_hot_observations(env=None, spaces=None, device=None):
    """The same encoding through RLlib's general ``FlattenObservations``."""
    return FlattenObservations(multi_agent=True)


_ONE_HOT = {"course": one_hot_observations, "rllib": rllib_one_hot_observations}


class CoursePPOConfig(PPOConfig):
    """RLlib's ``PPOConfig``, plus one check before ``build_algo()``.

    An algorithm's env runners hold their CPUs until ``algo.stop()``, and Ray waits
    for busy CPUs forever, without a word. So before building, the course config
    makes sure the CPUs its remote actors need are free: it stops the algorithms
    this process built earlier through this class (oldest first, saying which) or,
    if something else holds the CPUs, raises ``NotEnoughCPUsError`` within seconds
    (see :mod:`handson_rl.training.cpus`). Everything else is ``PPOConfig``.
    """

    def build_algo(self, env=None, use_copy: bool = True):
        make_room(remote_cpus(self), what="This algorithm")
        algo = super().build_algo(env=env, use_copy=use_copy)
        track(algo)
        return algo


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
    which ``ReturnWindow`` and ``train_until`` read.
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
        CoursePPOConfig()  # PPOConfig, plus a check that the CPUs are free before building
        .environment(
            MultiAgentArena,
            env_config=dict(env_config or {}),
            normalize_actions=s["normalize_actions"],
        )
        .env_runners(
            num_env_runners=s["num_env_runners"],
            num_envs_per_env_runner=s["num_envs_per_env_runner"],
            env_to_module_connector=_ONE_HOT[s["one_hot"]],
        )
        .multi_agent(
            # A list, not a set: the modules are built (and draw their starting
            # weights from the seeded generator) in this order. A set's order
            # changes with PYTHONHASHSEED, i.e. from one kernel to the next.
            policies=["p1", "p2"],
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
        .environment(MultiAgentArena, env_config=dict(env_config or {}))
        .env_runners(env_to_module_connector=rllib_one_hot_observations)
        .multi_agent(policies=["p1", "p2"], policy_mapping_fn=agent_to_module)
        .callbacks(on_episode_end=record_episode_returns)
    )
    if seed is not None:
        config = config.debugging(seed=seed)
    return config


def flaky_ppo_config(
    *,
    crash_prob: float = 0.001,
    crash_seed: int = 0,
    seed: int | None = None,
    restart_failed_env_runners: bool = True,
    **overrides: Any,
):
    """The course's PPO config on :class:`FlakyArena`, with fault tolerance on.

    ``overrides`` go to :func:`arena_ppo_config`. With
    ``restart_failed_env_runners=True`` a crash takes that env runner out of
    service for the rest of the iteration; RLlib then checks it is alive, syncs
    the current weights to it and puts it back to work (a "restart"). With False
    the first crash stops training with the crash's error.
    """
    config = arena_ppo_config(seed=seed, **overrides)
    config.environment(
        FlakyArena,
        env_config={"crash_prob": crash_prob, "crash_seed": crash_seed},
    )
    return config.fault_tolerance(
        restart_failed_env_runners=restart_failed_env_runners,
        # Fail instead of looping forever if a runner crashes in every iteration.
        num_consecutive_env_runner_failures_tolerance=100,
        # Bring a crashed runner back at once (the default waits 60 s).
        delay_between_env_runner_restarts_s=0.0,
    )
