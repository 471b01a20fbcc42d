"""The only place the course touches Ray's private internals (Ray 2.60.0).

Ray 2.60 offers no public way to do these things, and the course needs them.
Each function names what it reaches for; ``tests/test_ray_internals.py`` fails
when a Ray upgrade moves or renames it, so an upgrade breaks loudly here instead
of silently somewhere else.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def refresh_auth_config() -> None:
    """Make this process re-read ``RAY_AUTH_MODE`` after Ray was imported.

    Ray 2.60 caches its configuration (``ray._raylet.Config``) at import time, and
    ``ray.init(address=...)`` to an existing cluster does not turn token
    authentication on by itself. Ray's own ``ray.init()`` for a new local cluster
    refreshes the cache exactly like this
    (``ray/_private/authentication/authentication_token_setup.py``,
    ``_enable_token_auth``).
    """
    from ray._raylet import Config

    Config.initialize("")


def add_worker_log_skip_regex(pattern: str) -> None:
    """Drop lines matching ``pattern`` that Ray forwards from worker processes.

    ``RAY_DEDUP_LOGS_SKIP_REGEX`` (a documented environment variable) does this,
    but Ray 2.60 reads it once, when ``ray`` is imported, into the two log
    deduplicators of ``ray._private.ray_logging``; a notebook has usually imported
    Ray already. This adds ``pattern`` to those deduplicators' ``skip_re``.
    """
    from ray._private import ray_logging

    for name in ("stdout_deduplicator", "stderr_deduplicator"):
        dedup = getattr(ray_logging, name)
        current = dedup.skip_re.pattern if dedup.skip_re is not None else ""
        if pattern in current:
            continue
        dedup.skip_re = re.compile(f"{current}|{pattern}" if current else pattern)


def current_actor_restarts() -> int:
    """How many times Ray has restarted the actor this code runs in (0 outside one).

    Ray 2.60's public ``ray.get_runtime_context().was_current_actor_reconstructed``
    only says whether the count is above 0; it reads the count from the GCS's actor
    table (``ray._private.state.actors``), as this does. ``FlakyArena`` uses it so
    that an env runner restarted after a crash draws a new crash schedule.
    """
    import ray

    if not ray.is_initialized():
        return 0
    actor_id = ray.get_runtime_context().get_actor_id()
    if actor_id is None:
        return 0
    from ray._private.state import actors

    info = actors(actor_id=actor_id)
    return int(info.get("NumRestarts", 0)) if info else 0


@contextlib.contextmanager
def worker_output_to(write: Callable[[str], None]) -> Iterator[None]:
    """While the block runs, hand each line Ray forwards from worker processes to ``write``.

    Ray prints worker processes' output in the driver as ``(ActorName pid=...) line``
    through one handler (``"ray_print_logs"``) of
    ``ray._private.ray_logging.global_worker_stdstream_dispatcher``, and the
    cluster's error notices (``(raylet) A worker died ...``) through
    ``ray._private.worker.print_to_stdstream``, called by name from its error
    listener thread; Ray 2.60 has no public way to send either elsewhere. This
    swaps both for a function that formats each batch with Ray's own
    ``ray._private.worker.print_worker_logs`` (same prefixes, autoscaler chatter
    dropped the same way, no deduplication, no colours) into ``write``, and puts
    Ray's back afterwards, even on an error.
    """
    import ray._private.worker as ray_worker
    from ray._private.ray_logging import global_worker_stdstream_dispatcher as dispatcher
    from ray._private.worker import print_worker_logs

    class Sink:
        def write(self, text: str) -> None:
            for line in _ANSI.sub("", text).splitlines():
                if line.strip():
                    write(line)

        def flush(self) -> None:
            pass

    sink = Sink()

    def handle(data: dict, ignore_prefix: bool = False) -> None:
        print_worker_logs(data, sink, ignore_prefix)

    saved_print = ray_worker.print_to_stdstream
    with dispatcher._lock:
        saved = list(dispatcher.handlers)
        dispatcher.handlers = [
            (name, handle if name == "ray_print_logs" else fn) for name, fn in saved
        ]
    ray_worker.print_to_stdstream = handle
    try:
        yield
    finally:
        ray_worker.print_to_stdstream = saved_print
        with dispatcher._lock:
            dispatcher.handlers = saved


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def restart_local_sampling(algo) -> bool:
    """Make the env runner in this process start fresh episodes at its next ``sample()``.

    Needed after a ``KeyboardInterrupt`` inside ``algo.train()`` (Kernel >
    Interrupt). With ``num_env_runners=0`` the algorithm samples in this process,
    and ``MultiAgentEnvRunner._sample`` takes the env-to-module output it cached
    from the previous step (``_cached_to_module``, set to None as it is taken)
    before it computes the next one: interrupted in between, every later
    ``sample()`` fails with a bare ``AssertionError``. The env runner's own flag
    ``_needs_initial_reset`` (set when it makes its envs, ``make_env``) makes the
    next ``sample()`` reset every env and episode, which computes that output
    again; the episodes under way are dropped. Returns False when there is no
    such env runner (nothing to do).
    """
    group = getattr(algo, "env_runner_group", None)
    runner = getattr(group, "local_env_runner", None) if group is not None else None
    if runner is None or not hasattr(runner, "_needs_initial_reset"):
        return False
    runner._needs_initial_reset = True
    return True


def asha_milestones(scheduler) -> list[int]:
    """The iterations below ``max_t`` at which a Ray ``ASHAScheduler`` compares trials.

    Ray 2.60 offers no public way to read them: the scheduler keeps its brackets in
    ``_brackets`` (one by default), each with ``_rungs``, a list of ``(milestone,
    recorded results)`` pairs, and ``max_t`` in ``_max_t``
    (``ray/tune/schedulers/async_hyperband.py``). Chapter 7's
    :func:`handson_rl.tools.tuning.asha_rungs` computes the same milestones from
    the settings; its tests compare the two through this function.
    """
    brackets = getattr(scheduler, "_brackets", None)
    max_t = getattr(scheduler, "_max_t", None)
    if not brackets or max_t is None or not hasattr(brackets[0], "_rungs"):
        raise TypeError(
            f"{type(scheduler).__name__} has no ASHA brackets (_brackets[0]._rungs, _max_t): "
            "pass a ray.tune.schedulers.ASHAScheduler; if it is one, Ray moved them."
        )
    return sorted(milestone for milestone, _ in brackets[0]._rungs if milestone < max_t)
