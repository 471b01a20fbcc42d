"""How many cores a piece of work kept busy: its own processes' CPU time over its wall time.

    with CoreUse() as use:
        run_the_chapter()
    use.wall, use.core_seconds, use.cores, use.machine_busy

A background thread samples, every ``interval`` seconds, this process and all its
descendants (a notebook's kernel, the Ray daemons and workers the kernel starts)
with psutil, and keeps each process's latest user + system CPU time. A process
that ends between two samples loses at most its last interval's CPU (slightly too
low a figure, never too high). ``cores`` is ``core_seconds / wall``: 2.0 means both
cores of a 2-core machine busy throughout, 1.0 one core's worth. ``machine_busy``
is the whole machine's busy share (psutil's ``cpu_percent`` over the run, 0-100),
which includes other processes: on an idle machine it is about ``cores`` / cores
in the machine.
"""

from __future__ import annotations

import threading
import time

import psutil


class CoreUse:
    """Context manager: CPU seconds used by this process tree while the block ran."""

    def __init__(self, interval: float = 0.5):
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        self.interval = interval
        self._cpu: dict[tuple[int, float], float] = {}  # (pid, create_time) -> user + system
        self._stop = threading.Event()

    def _sample(self) -> None:
        me = psutil.Process()
        try:
            procs = [me, *me.children(recursive=True)]
        except psutil.Error:
            return
        for proc in procs:
            try:
                with proc.oneshot():
                    key = (proc.pid, proc.create_time())
                    times = proc.cpu_times()
            except psutil.Error:  # ended meanwhile
                continue
            self._cpu[key] = times.user + times.system

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._sample()
        self._before = dict(self._cpu)
        psutil.cpu_percent()  # starts psutil's machine-wide measurement
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        self.wall = time.perf_counter() - self._start
        self.machine_busy = psutil.cpu_percent()
        self.core_seconds = sum(cpu - self._before.get(key, 0.0) for key, cpu in self._cpu.items())
        self.cores = self.core_seconds / self.wall if self.wall > 0 else float("nan")
        return False
