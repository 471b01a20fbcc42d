"""How busy the rest of the machine was while a benchmark ran (psutil).

Timings on a 2-core machine are only meaningful when nothing else runs: every
benchmark here reports, next to each figure, the CPU seconds that processes other
than itself (and its children, e.g. Ray's workers) used meanwhile. psutil reads
the counters portably (Linux /proc, macOS, Windows).
"""

from __future__ import annotations

import psutil


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all cores; idle and iowait excluded)."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def descendants(pid: int | None = None) -> list[psutil.Process]:
    """The live descendants of ``pid`` (default: this process), e.g. Ray's workers."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def process_cpu_seconds(process: psutil.Process, children: bool = True) -> float:
    """User + system CPU seconds of ``process`` (with ``children``: plus its waited-for children's)."""
    try:
        t = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    total = t.user + t.system
    return total + (t.children_user + t.children_system if children else 0.0)


def tree_cpu_seconds(pid: int | None = None) -> float:
    """Busy CPU seconds of this process (or ``pid``) and its live descendants."""
    root = psutil.Process(pid)
    return process_cpu_seconds(root) + sum(process_cpu_seconds(p) for p in descendants(pid))


class OtherLoad:
    """CPU seconds that processes other than this benchmark used while it ran."""

    def __enter__(self):
        self._start = (machine_cpu_seconds(), tree_cpu_seconds())
        return self

    def __exit__(self, *exc):
        end = (machine_cpu_seconds(), tree_cpu_seconds())
        self.seconds = max(0.0, (end[0] - self._start[0]) - (end[1] - self._start[1]))
        return False
