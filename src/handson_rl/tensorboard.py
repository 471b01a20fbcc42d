"""Read the scalars Ray Tune wrote for TensorBoard, without starting TensorBoard.

Ray Tune writes one ``events.out.tfevents.*`` file per trial (through tensorboardX):
every number of every result dict, flattened with ``/`` and prefixed with
``ray/tune/``, e.g. ``ray/tune/env_runners/agent1_new_fields``. TensorBoard shows
them in the browser; :func:`read_scalars` reads them in Python, so a notebook or a
test can check what TensorBoard will show.

The files are TFRecord files: a sequence of records, each
``length (uint64) | crc of length (uint32) | data | crc of data (uint32)``, where
``data`` is a serialized ``Event`` protocol buffer. The ``Event`` message class
comes from tensorboardX (installed with ``ray[tune]``), so this works without
TensorBoard or TensorFlow installed.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from pathlib import Path

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


def _records(path: Path):
    data = path.read_bytes()
    pos = 0
    while pos < len(data):
        if pos + 12 > len(data):
            raise EventFileError(f"{path} ends inside a record header: truncated or not an event file.")
        (length,) = struct.unpack_from("<Q", data, pos)
        start = pos + 12  # skip length and its crc
        end = start + length
        if end + 4 > len(data):
            raise EventFileError(f"{path} ends inside a record: truncated or not an event file.")
        yield data[start:end]
        pos = end + 4  # skip the data crc


def read_scalars(logdir, strip_prefix: bool = True) -> dict[str, list[tuple[int, float]]]:
    """Every scalar in the event files under ``logdir``: ``{tag: [(step, value), ...]}``.

    Tags lose Tune's ``ray/tune/`` prefix unless ``strip_prefix=False``, so the
    tags read like the result dict's keys: ``env_runners/agent1_new_fields``.
    Points are sorted by step. Raises :class:`EventFileError` if there are no
    event files under ``logdir``.
    """
    from tensorboardX.proto.event_pb2 import Event

    files = event_files(logdir)
    if not files:
        raise EventFileError(
            f"No TensorBoard event files (events.out.tfevents.*) under {str(logdir)!r}. "
            "Only runs under Ray Tune write them: train with tune.Tuner(...).fit() and "
            "point this at its storage path."
        )
    scalars: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for path in files:
        for record in _records(path):
            event = Event.FromString(record)
            for value in event.summary.value:
                if not value.HasField("simple_value"):
                    continue
                tag = value.tag
                if strip_prefix and tag.startswith(TUNE_PREFIX):
                    tag = tag[len(TUNE_PREFIX):]
                scalars[tag].append((int(event.step), float(value.simple_value)))
    return {tag: sorted(points) for tag, points in sorted(scalars.items())}
