"""How busy the rest of the machine was while a benchmark ran.

Timings on a 2-core machine are only meaningful when nothing else runs: every
benchmark here reports, next to each figure, the CPU seconds that processes other
than itself (and its children, e.g. Ray's workers) used meanwhile. Linux only
(reads /proc); elsewhere the figure is NaN.
"""

from __future__ import annotations

import os


def _cpu_seconds_total() -> float | None:
    """Busy CPU seconds of the whole machine so far (Linux), else None."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:9]]
    except OSError:
        return None
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def process_table() -> tuple[dict[int, list[str]], dict[int, list[int]]]:
    """Every process's /proc/<pid>/stat fields after ``pid (comm)``, and its children.

    Returns ``(stats, children)``: ``stats[pid]`` starts with state and ppid
    (``[11:15]`` are utime, stime, cutime, cstime; ``[19]`` is the start time, in
    clock ticks since boot); ``children[pid]`` lists the pids whose parent is pid.
    Raises OSError where there is no /proc.
    """
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    return stats, children


def _cpu_seconds_of_this_process_tree() -> float | None:
    """Busy CPU seconds of this process and its live descendants (Ray's workers)."""
    try:
        stats, children = process_table()
    except OSError:
        return None
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        if pid in stats:
            # utime, stime, cutime, cstime
            total += sum(int(v) for v in stats[pid][11:15])
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """CPU seconds that processes other than this benchmark used while it ran."""

    def __enter__(self):
        self._start = (_cpu_seconds_total(), _cpu_seconds_of_this_process_tree())
        return self

    def __exit__(self, *exc):
        end = (_cpu_seconds_total(), _cpu_seconds_of_this_process_tree())
        if None in self._start or None in end:
            self.seconds = float("nan")
        else:
            self.seconds = max(0.0, (end[0] - self._start[0]) - (end[1] - self._start[1]))
        return False
