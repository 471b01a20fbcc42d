"""Read the scalars Ray Tune wrote for TensorBoard, without starting TensorBoard.

Ray Tune writes one ``events.out.tfevents.*`` file per trial (through tensorboardX):
every number of every result dict, flattened with ``/`` and prefixed with
``ray/tune/``, e.g. ``ray/tune/env_runners/agent1_new_fields``. TensorBoard shows
them in the browser; :func:`read_scalars` reads them in Python, so a notebook or a
test can check what TensorBoard will show.

It uses TensorBoard's own reader (``EventAccumulator``, which also checks each
record's checksum), so it reads exactly what TensorBoard would show.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

#: The prefix Ray Tune puts in front of every result key.
TUNE_PREFIX = "ray/tune/"


class EventFileError(ValueError):
    """The path holds no TensorBoard event files, or a file is not one."""


def event_files(logdir) -> list[Path]:
    """All ``events.out.tfevents.*`` files under ``logdir`` (recursively), sorted."""
    root = Path(logdir)
    if not root.exists():
        raise EventFileError(f"{str(root)!r} does not exist.")
    if root.is_file():
        return [root]
    return sorted(root.rglob("events.out.tfevents.*"))


def read_scalars(logdir, strip_prefix: bool = True) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the event files under ``logdir``: ``{tag: [(step, value), ...]}``.

    Tags lose Tune's ``ray/tune/`` prefix unless ``strip_prefix=False``, so the
    tags read like the result dict's keys: ``env_runners/agent1_new_fields``.
    Points are sorted by step. Raises :class:`EventFileError` if there are no
    event files under ``logdir``.
    """
    files = event_files(logdir)
    if not files:
        raise EventFileError(
            f"No TensorBoard event files (events.out.tfevents.*) under {str(logdir)!r}. "
            "Only runs under Ray Tune write them: train with tune.Tuner(...).fit() and "
            "point this at its storage path."
        )
    scalars: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for path in files:
        events = EventAccumulator(str(path), size_guidance={"scalars": 0})  # 0: keep all
        try:
            events.Reload()
            events.FirstEventTimestamp()  # ValueError if no event was readable (corrupt file)
        except Exception as error:  # noqa: BLE001 - TensorBoard raises several kinds
            raise EventFileError(f"{path} is not a readable event file: {error}") from error
        for tag in events.Tags()["scalars"]:
            name = tag[len(TUNE_PREFIX) :] if strip_prefix and tag.startswith(TUNE_PREFIX) else tag
            scalars[name].extend((int(e.step), float(e.value)) for e in events.Scalars(tag))
    return {tag: sorted(points) for tag, points in sorted(scalars.items())}
