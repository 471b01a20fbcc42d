"""Keep Ray's start-up noise out of the learner's view, and nothing else.

Ray and RLlib print banners and notices a learner cannot act on: the
token-authentication notice, "running PPO on the new API stack", "Install gputil",
an RLlib-internal ``RLModule(config=...)`` DeprecationWarning (printed once by the
notebook's own process and once more by every env runner process), gymnasium's
re-registration warnings, "Trainable.setup took ...". :func:`quiet_ray` drops
exactly those messages, matched by pattern (:data:`NOISE_PATTERNS`), with Ray's
and Python's own settings, all in this one place:

- in the notebook's process, a :class:`logging.Filter` on the handlers of Ray's
  loggers (``ray``, ``ray.rllib``, ``ray.tune``, ...);
- for lines that env runners and other Ray worker processes print (Ray forwards
  them to the notebook as ``(MultiAgentEnvRunner pid=...) ...``), Ray's log
  deduplicator's skip pattern, the setting behind ``RAY_DEDUP_LOGS_SKIP_REGEX``;
- warning filters for DeprecationWarnings raised inside Ray's own modules and for
  gymnasium's "Overriding environment ... already in registry".

One notice is left alone: Ray's C++ core prints an error-level ``core_worker.cc
... max_restarts > 0`` line to the notebook's stderr whenever RLlib starts an env
runner that Ray may restart (``config.fault_tolerance(restart_failed_env_runners=
True)``, RLlib's default; the course's ``arena_ppo_config`` turns it off, so the
line only shows where a chapter asks for restarts on purpose). No Python setting reaches C++ log lines; the only Ray
setting that does, ``RAY_BACKEND_LOG_LEVEL=fatal``, prints a line of its own
("Set ray log level from environment variable ...") at every ``ray.init()`` and
silences every C++ error, in Ray's log files too. The line goes away with
``restart_failed_env_runners=False``: then RLlib does not restart a crashed env
runner, so after the env's traceback ``algo.train()`` raises ``ActorDiedError``
instead of carrying on with "No samples returned from remote workers".

Every other warning and every error, above all the ones caused by the learner's
own code (a ``warnings.warn`` or an exception inside an env, in this process or
on a remote env runner), still shows. ``tests/test_quiet.py`` checks both sides.
"""

from __future__ import annotations

import logging
import os
import re
import warnings

from handson_rl.training.ray_internals import add_worker_log_skip_regex

#: Messages a learner cannot act on (each matched anywhere in one log line).
NOISE_PATTERNS = (
    r"Token authentication is enabled for this Ray cluster",
    r"Generated new authentication token",
    r"Started a local Ray instance",
    r"You are running \w+ on the new API stack",
    r"Install gputil for GPU system monitoring",
    r"Overriding environment \S+ already in registry",
    r"Trainable\.setup took [\d.]+ seconds",
    # RLlib builds its own modules through this deprecated path (RLModule.__init__
    # creates an RLModuleConfig); nothing in the learner's code can avoid it.
    r"DeprecationWarning: `RLModule\(config=\[RLModuleConfig object\]\)` has been deprecated",
    # Ray Tune's bookkeeping, once per checkpoint and per experiment save.
    r"Checkpoint successfully created at: Checkpoint\(",
    r"Wrote the latest version of all result files and experiment state to",
    # tensorboardX (Tune's TensorBoard writer) meeting RLlib's NaN placeholders
    # for statistics without data yet.
    r"NaN or Inf found in input tensor",
)
NOISE_REGEX = "|".join(f"(?:{p})" for p in NOISE_PATTERNS)
_NOISE = re.compile(NOISE_REGEX)

#: Ray's loggers whose handlers print in the notebook's process.
RAY_LOGGERS = ("ray", "ray.rllib", "ray.tune", "ray.train", "ray.data", "ray.air")


def is_noise(line: str) -> bool:
    """True for a message :func:`quiet_ray` hides."""
    return _NOISE.search(line) is not None


class NoiseFilter(logging.Filter):
    """Drops log records whose message matches :data:`NOISE_PATTERNS`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to hide
            return True
        return not is_noise(message)


_FILTER = NoiseFilter()


def _filter_handlers() -> None:
    for name in (*RAY_LOGGERS, ""):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def _skip_worker_noise() -> None:
    """Make Ray's log deduplicator drop noise lines forwarded from worker processes."""
    # For a Ray imported after this call: Ray reads this documented variable when
    # it is imported.
    if not os.environ.get("RAY_DEDUP_LOGS_SKIP_REGEX"):
        os.environ["RAY_DEDUP_LOGS_SKIP_REGEX"] = NOISE_REGEX
    # For a Ray already imported (notebooks import ray first).
    add_worker_log_skip_regex(NOISE_REGEX)


def quiet_ray() -> None:
    """Hide Ray's noise (idempotent). Call it before ``ray.init()``.

    Learners who want everything back: restart the kernel and skip this call.
    """
    import ray  # noqa: F401  (sets up Ray's own log handlers first)
    import ray.rllib  # noqa: F401  (RLlib adds its own handler when imported)
    import ray.tune  # noqa: F401

    _filter_handlers()
    _skip_worker_noise()
    # RLlib-internal deprecation notices raised from inside Ray's own modules
    # (warnings.warn ones; RLlib's logged ones are matched above).
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ray(\.|$)")
    warnings.filterwarnings("ignore", message=r".*Overriding environment .* already in registry.*")
