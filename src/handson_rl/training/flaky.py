"""A MultiAgentArena that crashes now and then, to show RLlib's fault tolerance.

Real environments crash: a simulator segfaults, a game server drops the
connection, a cloud machine is preempted. :class:`FlakyArena` plays the normal
game but raises :class:`EnvCrash` in ``step`` with a small probability, drawn
from its own generator seeded per env runner, per sub-environment and per life of
the runner, so a run is repeatable, different runners crash at different times,
and a runner that Ray restarted after a crash does not crash at the same step
again.

:func:`handson_rl.training.config.flaky_ppo_config` is the course's PPO config on
this env with RLlib's fault-tolerance settings on: a crashed env runner is taken out of service and
brought back (its weights re-synced), and training goes on. The result dict
counts it: ``result["fault_tolerance"]["num_remote_worker_restarts"]``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from handson_rl.arena.env import MultiAgentArena
from handson_rl.training.ray_internals import current_actor_restarts

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
    generator is seeded with ``(crash_seed, worker_index, vector_index, instance,
    restarts)``: ``worker_index`` and ``vector_index`` come from RLlib's
    ``EnvContext``. ``instance`` counts the envs made for that slot in this
    process: RLlib 2.60 gives every board of an env runner the same context
    (``vector_index`` 0), so the boards are told apart by the order in which they
    are made (the *board* number in the crash message), and an env re-created in
    the same process (after a crash, with ``restart_failed_sub_environments``)
    gets the next schedule. So each env runner and each of its boards crashes on
    its own schedule, the same in every run.
    ``restarts`` is how many times Ray has restarted the env runner's actor: a
    restarted runner is a new process, where ``instance`` starts again, and RLlib
    2.60's env runners do not tell the env that their runner was restarted
    (``EnvContext.recreated_worker`` is only set by the old API stack's
    ``RolloutWorker``), so the env asks Ray
    (:func:`~handson_rl.training.ray_internals.current_actor_restarts`). Without
    it, a restarted runner would replay its first schedule and crash at the same
    step every time it came back. The crash happens before the step changes
    anything.
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
        self.board = instance
        # A runner Ray restarted after a crash draws a new schedule, too.
        self.runner_restarts = current_actor_restarts() if self.worker_index > 0 else 0
        self._crash_rng = np.random.default_rng(
            [
                int(own["crash_seed"]),
                self.worker_index,
                self.vector_index,
                instance,
                self.runner_restarts,
            ]
        )
        self.crashes = 0

    def step(self, action_dict: Mapping):
        if self.crash_prob and self._crash_rng.random() < self.crash_prob:
            self.crashes += 1
            restarted = f" (restarted {self.runner_restarts}x)" if self.runner_restarts else ""
            raise EnvCrash(
                f"FlakyArena crashed (simulated) in step {self.timestep} on env runner "
                f"{self.worker_index}{restarted}, board {self.board}."
            )
        return super().step(action_dict)


def first_crash(
    crash_prob: float,
    crash_seed: int = 0,
    *,
    worker_index: int = 0,
    board: int = 0,
    restarts: int = 0,
    vector_index: int = 0,
    limit: int = 10_000,
) -> int | None:
    """The number of ``step()`` calls before the first crash of one FlakyArena.

    The arena made as ``board`` (0, 1, ...) on env runner ``worker_index`` after
    ``restarts`` restarts of that runner draws one number per ``step()``;
    this replays those draws. ``None`` if it does not crash within ``limit``
    steps. (RLlib's env checker takes one step on every board before sampling
    starts, so a crash at 1 is the first sampled step.)
    """
    rng = np.random.default_rng([int(crash_seed), worker_index, vector_index, board, restarts])
    draws = rng.random(limit)
    hits = np.flatnonzero(draws < crash_prob)
    return int(hits[0]) if hits.size else None
