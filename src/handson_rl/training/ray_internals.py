"""The only place the course touches Ray's private internals (Ray 2.60.0).

Ray 2.60 offers no public way to do these two things, and the course needs both.
Each function names what it reaches for; ``tests/test_ray_internals.py`` fails
when a Ray upgrade moves or renames it, so an upgrade breaks loudly here instead
of silently somewhere else.
"""

from __future__ import annotations

import re


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
