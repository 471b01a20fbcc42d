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
instead of carrying on with "No samples returned from remote workers". Where a
chapter does ask for restarts (chapter 11's fault-tolerance run), the cell runs
inside :func:`ray_output_to_file`, which sends that line, the crashes' forwarded
tracebacks and RLlib's warnings to a log file, and the cell prints a summary.

Every other warning and every error, above all the ones caused by the learner's
own code (a ``warnings.warn`` or an exception inside an env, in this process or
on a remote env runner), still shows. ``tests/test_quiet.py`` checks both sides.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from handson_rl.training.ray_internals import add_worker_log_skip_regex, worker_output_to

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
#: Other libraries' loggers that Ray drives, filtered where their records are made:
#: they have no handler of their own, so their records reach Python's last-resort
#: handler, which no handler filter covers. tensorboardX's ``x2num`` warns "NaN or
#: Inf found in input tensor" each time Tune's TensorBoard logger writes one of
#: RLlib's NaN placeholders (statistics without data yet), or a diverged trial's
#: NaN loss: neither says which trial or metric, and the results table shows both.
OTHER_LOGGERS = ("tensorboardX.x2num",)


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
    for name in OTHER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
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


# --- long logs to a file -------------------------------------------------------------


@dataclass
class RayLog:
    """What :func:`ray_output_to_file` wrote: the file and its lines."""

    path: Path
    lines: list[str] = field(default_factory=list)

    def count(self, pattern: str) -> int:
        """How many lines match the regular expression ``pattern``."""
        regex = re.compile(pattern)
        return sum(1 for line in self.lines if regex.search(line))

    def matches(self, pattern: str) -> list[str]:
        """The lines that match ``pattern``."""
        regex = re.compile(pattern)
        return [line for line in self.lines if regex.search(line)]

    def __str__(self) -> str:
        return f"{len(self.lines)} lines of Ray's messages in {self.path}"


class _Divert(logging.Filter):
    """Handler filter: nothing reaches the console while output goes to the file."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


class _ToFile(logging.Handler):
    def __init__(self, write):
        super().__init__()
        self.write = write
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s -- %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "_handson_rl_to_file", False):  # already written by another logger
            return
        record._handson_rl_to_file = True
        try:
            self.write(self.format(record))
        except Exception:  # noqa: BLE001 - a log line must never break training
            self.handleError(record)


@contextlib.contextmanager
def _loggers_to(write) -> Iterator[None]:
    """Ray's loggers' records go to ``write`` instead of their handlers while the block runs."""
    divert, to_file = _Divert(), _ToFile(write)
    loggers = [logging.getLogger(n) for n in (*RAY_LOGGERS, *OTHER_LOGGERS, "")]
    for logger in loggers:
        for handler in logger.handlers:
            handler.addFilter(divert)
        # Our handler where a record stops: loggers that do not pass records on
        # to their parents, and the root.
        if not logger.propagate or logger is logging.getLogger():
            logger.addHandler(to_file)
    try:
        yield
    finally:
        for logger in loggers:
            for handler in logger.handlers:
                handler.removeFilter(divert)
            logger.removeHandler(to_file)


@contextlib.contextmanager
def _stderr_to(file, divert: bool = True) -> Iterator[None]:
    """File descriptor 2, where Ray's C++ core writes, goes to ``file`` (if ``divert``)."""
    saved_fd = None
    if divert:
        sys.stderr.flush()
        saved_fd = os.dup(2)
        os.dup2(file.fileno(), 2)
    try:
        yield
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


@contextlib.contextmanager
def ray_output_to_file(
    path: str | os.PathLike, *, settle: float = 1.0, workers: bool = True
) -> Iterator[RayLog]:
    """Send Ray's messages to ``path`` while the block runs, instead of the cell's output.

    For a cell whose point is a table or a count, but during which Ray is expected
    to print a lot: a fault-tolerance run prints every crash's traceback from the
    env runner, Ray's notices about the dead worker and RLlib's warnings about
    missing samples. Three kinds of output go to the file (one line each):

    - log records of Ray's loggers (:data:`RAY_LOGGERS`, their children) and of the
      root logger, in this process (RLlib's and Tune's warnings and errors);
    - the lines Ray forwards from worker processes, ``(MultiAgentEnvRunner
      pid=...) ...`` and ``(raylet) ...``;
    - what Ray's C++ core writes to this process's stderr (file descriptor 2).

    Yields a :class:`RayLog`, whose ``lines`` are filled when the block ends, so
    the cell can print a summary. Exceptions are not touched: an error raised in
    the block still ends the cell with its traceback (and the file holds what Ray
    logged before it). ``settle`` seconds are given at the end for worker lines
    still on their way.

    ``workers=False`` diverts only this process's log records and leaves the
    other two kinds on the page: for a block after which worker lines that matter
    may still arrive (they come asynchronously; an env runner's traceback can
    reach the driver after the driver's own error).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    log = RayLog(path)
    lock = threading.Lock()
    path.write_text("")
    # Append mode: this file object and Ray's C++ core (through descriptor 2) both
    # write to it, and every write must land at the end.
    file = open(path, "a", encoding="utf-8", errors="replace")

    def write(line: str) -> None:
        with lock:
            file.write(line.rstrip("\n") + "\n")
            file.flush()

    workers_to_file = worker_output_to(write) if workers else contextlib.nullcontext()
    try:
        with _loggers_to(write), _stderr_to(file, workers), workers_to_file:
            try:
                yield log
            finally:
                if workers:
                    time.sleep(settle)
    finally:
        with lock:
            file.close()
        log.lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
