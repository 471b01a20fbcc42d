"""Keep Ray's start-up noise out of the learner's view, and nothing else.

Ray and RLlib print banners and notices at start-up that a learner cannot act on
(the token-authentication notice, "running PPO on the new API stack", "Install
gputil", ...). :func:`quiet_ray` drops exactly those messages, by pattern, through
logging filters and warning filters. Every other warning and every error, above all
the ones caused by the learner's own code, still shows.
"""

from __future__ import annotations

import logging
import re
import warnings

#: Messages a learner cannot act on (matched against the log message).
NOISE_PATTERNS = (
    r"Token authentication is enabled for this Ray cluster",
    r"Generated new authentication token",
    r"Started a local Ray instance",
    r"You are running \w+ on the new API stack",
    r"Install gputil for GPU system monitoring",
    r"Overriding environment \S+ already in registry",
    r"Trainable.setup took [\d.]+ seconds",
)
_NOISE = re.compile("|".join(NOISE_PATTERNS))


class NoiseFilter(logging.Filter):
    """Drops log records whose message matches :data:`NOISE_PATTERNS`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to hide
            return True
        return _NOISE.search(message) is None


_FILTER = NoiseFilter()


def quiet_ray() -> None:
    """Install the filters (idempotent). Call it before ``ray.init()``."""
    import ray  # noqa: F401  (sets up Ray's own log handlers first)

    for name in ("ray", "ray.rllib", "ray.tune", "ray.train", ""):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    # RLlib-internal deprecation notices raised from inside Ray's own modules.
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ray(\.|$)")
    warnings.filterwarnings("ignore", message=r".*Overriding environment .* already in registry.*")
