"""handson_rl.tools.parallel.side_by_side: independent runs as Ray tasks, results in order."""

import os
import time

import pytest

from handson_rl.tools.parallel import side_by_side


def _make_timed_sum():
    """A function defined here, not importable by Ray's workers: it travels by value, as a notebook's does."""

    def timed_sum(a, b, delay):
        start = time.time()
        time.sleep(delay)
        return a + b, os.environ.get("OMP_NUM_THREADS"), os.getpid(), (start, time.time())

    return timed_sum


def test_side_by_side_runs_calls_at_once_and_keeps_their_order(ray_session):
    # The first call ends last: the results still come in the calls' order.
    results = side_by_side(_make_timed_sum(), [(1, 2, 1.5), (3, 4, 1.0)])
    assert [r[0] for r in results] == [3, 7]
    # Two 1-CPU tasks on 2 CPUs run in two processes at the same time...
    (_, _, pid1, (start1, end1)), (_, _, pid2, (start2, end2)) = results
    assert pid1 != pid2
    assert max(start1, start2) < min(end1, end2), "the two calls did not overlap"
    # ... with torch's (OpenMP's) threads set to the task's one CPU.
    assert [r[1] for r in results] == ["1", "1"]


def test_side_by_side_refuses_what_would_hang(ray_session):
    with pytest.raises(ValueError, match="wait forever"):
        side_by_side(_make_timed_sum(), [(1, 2, 0)], cpus=3)
    with pytest.raises(ValueError, match="positive"):
        side_by_side(_make_timed_sum(), [(1, 2, 0)], cpus=0)
