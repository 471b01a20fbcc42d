"""One way to start and stop Ray for the course's own code and tests.

Notebooks call ``ray.init()`` themselves (that is what they teach). Code that
trains on its own (the command line, the pre-trained agents, Exercise 3's checker,
the test suite) uses :func:`ray_session`: it starts Ray only when none is running,
shuts down only what it started, hides Ray's noise, and retries the rare start-up
timeout of a busy machine.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from handson_rl.training.quiet import quiet_ray
from handson_rl.training.ray_internals import refresh_auth_config


def _init_with_retries(attempts: int, **kwargs):
    import ray

    for attempt in range(1, attempts + 1):
        try:
            return ray.init(**kwargs)
        except Exception as error:  # noqa: BLE001 - Ray raises a bare Exception here
            # Ray gives a new node's processes a fixed time to come up; on a busy
            # machine that can be too short ("The current node timed out during startup").
            if "timed out during startup" not in str(error) or attempt == attempts:
                raise
            ray.shutdown()
            time.sleep(2)


def connect(address: str, **kwargs):
    """``ray.init(address=...)`` for a token-authenticated cluster (chapter 10).

    Token authentication must be on in this process before it talks to the
    cluster; the token itself comes from ``RAY_AUTH_TOKEN`` or ``~/.ray/auth_token``.

    Run again while connected to that cluster, it returns the connection there is
    (``ray.init`` would raise "Maybe you called ray.init twice by accident?");
    connected to another Ray, it disconnects from that one first and says so.
    """
    import ray

    if ray.is_initialized():
        current = ray.get_runtime_context().gcs_address
        if _same_address(current, address):
            return ray.init(address=address, ignore_reinit_error=True, **kwargs)
        print(f"Disconnecting from the Ray at {current} (ray.shutdown()) to connect to {address}.")
        ray.shutdown()
    if not ray.is_initialized() and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
        os.environ["RAY_AUTH_MODE"] = "token"
        refresh_auth_config()
    return ray.init(address=address, **kwargs)


def _same_address(a: str | None, b: str | None) -> bool:
    """Whether two ``host:port`` addresses name the same GCS (localhost spelt any way)."""
    if not a or not b:
        return False

    def norm(address: str) -> tuple[str, str]:
        host, _, port = address.removeprefix("ray://").rpartition(":")
        return ("127.0.0.1" if host in ("localhost", "", "0.0.0.0") else host), port

    return norm(a) == norm(b)


@contextlib.contextmanager
def ray_session(
    *,
    num_cpus: int = 2,
    address: str | None = None,
    quiet: bool = True,
    attempts: int = 3,
    **init_kwargs,
) -> Iterator[bool]:
    """Run the block with Ray up; yields True if this call started it.

    If Ray is already running (a notebook's ``ray.init()``, the test suite's
    session), the block uses it and leaves it running. Otherwise it starts a local
    Ray with ``num_cpus`` CPUs and no dashboard (or connects to ``address``), and
    shuts it down when the block ends, even on an error.
    """
    import ray

    if quiet:
        quiet_ray()
    if ray.is_initialized():
        yield False
        return
    if address:
        connect(address, **init_kwargs)
    else:
        init_kwargs.setdefault("include_dashboard", False)
        _init_with_retries(attempts, num_cpus=num_cpus, **init_kwargs)
    try:
        yield True
    finally:
        ray.shutdown()
