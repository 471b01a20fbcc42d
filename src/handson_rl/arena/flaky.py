"""A MultiAgentArena that crashes now and then, to show RLlib's fault tolerance.

Real environments crash: a simulator segfaults, a game server drops the
connection, a cloud machine is preempted. :class:`FlakyArena` plays the normal
game but raises :class:`EnvCrash` in ``step`` with a small probability, drawn
from its own generator seeded per env runner and per sub-environment, so a run
is repeatable and different runners crash at different times.

:func:`handson_rl.training.config.flaky_ppo_config` is the course's PPO config on
this env with RLlib's fault-tolerance settings on: a crashed env runner is taken out of service and
brought back (its weights re-synced), and training goes on. The result dict
counts it: ``result["fault_tolerance"]["num_remote_worker_restarts"]``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from handson_rl.arena.env import MultiAgentArena

#: ``env_config`` keys FlakyArena reads itself (the rest go to the arena).
FLAKY_KEYS = {"crash_prob": 0.001, "crash_seed": 0}


# How many FlakyArenas were made in this process per (worker_index, vector_index).
_INSTANCES: dict[tuple[int, int], int] = {}


class EnvCrash(RuntimeError):
    """The (simulated) crash of an environment."""


class FlakyArena(MultiAgentArena):
    """MultiAgentArena whose ``step`` raises :class:`EnvCrash` with probability ``crash_prob``.

    ``env_config`` takes the arena's keys plus ``crash_prob`` (per step, default
    0.001: about one crash per 10 episodes) and ``crash_seed``. The crash
    generator is seeded with ``(crash_seed, worker_index, vector_index)``, which
    RLlib passes in ``env_config`` (an ``EnvContext``): each env runner and each of
    its sub-environments crashes on its own schedule, the same in every run. An
    env re-created within a process (after a crash) gets the next schedule of its
    slot. A restarted env runner is a new process, where that count starts again,
    so it replays its first schedule: RLlib 2.60's env runners do not tell the env
    that their runner was restarted (``EnvContext.recreated_worker`` is only set
    by the old API stack's ``RolloutWorker``). Chapter 11 shows the replay. The
    crash happens before the step changes anything.
    """

    def __init__(self, config: Mapping | None = None):
        config = config if config is not None else {}
        own = {k: config.get(k, default) for k, default in FLAKY_KEYS.items()}
        rest = {k: v for k, v in dict(config).items() if k not in FLAKY_KEYS}
        super().__init__(rest)
        crash_prob = float(own["crash_prob"])
        if not 0.0 <= crash_prob <= 1.0:
            raise ValueError(f"crash_prob must be a probability in [0, 1], got {crash_prob}.")
        self.crash_prob = crash_prob
        self.worker_index = int(getattr(config, "worker_index", 0))
        self.vector_index = int(getattr(config, "vector_index", 0))
        # An env re-created in the same process (RLlib does that after a crash) must
        # not replay the schedule that crashed it: count the envs made for this slot.
        slot = (self.worker_index, self.vector_index)
        _INSTANCES[slot] = instance = _INSTANCES.get(slot, -1) + 1
        self._crash_rng = np.random.default_rng(
            [int(own["crash_seed"]), self.worker_index, self.vector_index, instance]
        )
        self.crashes = 0

    def step(self, action_dict: Mapping):
        if self.crash_prob and self._crash_rng.random() < self.crash_prob:
            self.crashes += 1
            raise EnvCrash(
                f"FlakyArena crashed (simulated) in step {self.timestep} on env runner "
                f"{self.worker_index}, sub-env {self.vector_index}."
            )
        return super().step(action_dict)
