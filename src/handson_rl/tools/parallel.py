"""Independent training runs side by side: one Ray task per run, as many at once as there are CPUs.

A run that samples in its own process (``num_env_runners=0``) takes turns between
sampling and learning, so it keeps about one core busy. Runs that do not depend on
each other (the seeds of a comparison) can therefore go two at a time on a 2-core
machine: :func:`side_by_side` runs ``fn(*args)`` for each tuple of arguments as a
Ray task that asks for ``cpus`` CPUs, and returns the results in the order of the
argument tuples. Ray starts a task only when its CPUs are free, so with 2 CPUs and
``cpus=1`` two runs go at once and the third starts when one of them ends.

Inside a task, Ray sets ``OMP_NUM_THREADS`` to the task's CPUs, so torch learns on
one thread: two runs at once use the two cores without fighting over them. A run
that samples in its own process with a seed is repeatable (the same numbers every
time, in a task as in a notebook's process), though not bit-identical between the
two: torch on one thread adds up in a different order than on two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any


def side_by_side(
    fn: Callable[..., Any], calls: Iterable[Sequence[Any]], *, cpus: float = 1
) -> list:
    """``[fn(*args) for args in calls]``, each call a Ray task with ``cpus`` CPUs, results in order.

    ``fn`` and its arguments travel to Ray's worker processes (cloudpickle: a
    function or class defined in a notebook goes by value). Ray must be running
    (``ray.init``); the first failing call's error is raised here, with the task's
    traceback.
    """
    import ray

    calls = [tuple(args) for args in calls]
    if cpus <= 0:
        raise ValueError(f"cpus must be positive, got {cpus}")
    if not ray.is_initialized():
        raise RuntimeError(
            "side_by_side runs each call as a Ray task: start Ray first, e.g. "
            "ray.init(num_cpus=2, include_dashboard=False)."
        )
    available = ray.cluster_resources().get("CPU", 0)
    if cpus > available:
        raise ValueError(
            f"each call asks for {cpus} CPUs, but Ray has {available:g}: it would wait forever."
        )
    task = ray.remote(num_cpus=cpus)(fn)
    return ray.get([task.remote(*args) for args in calls])
