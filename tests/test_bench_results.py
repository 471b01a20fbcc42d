"""handson_rl.tools.bench_results: chapter 3's time-to-target summary, read from a data file.

Synthetic files cover a setup that reached the target on every seed, on none, and
on some; the committed file is checked for structure only (it is re-measured, so no
figure of it is asserted). No Ray.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from bench_fakes import time_to_target_run as _run

from handson_rl.tools.bench_results import (
    COURSE,
    RERUN,
    TIME_TO_TARGET,
    BenchDataError,
    comparison,
    load_time_to_target,
    setup_times,
    show_time_to_target,
    time_to_target_text,
)


def _data(runs, cap=60.0):
    return {
        "command": "python bench/time_to_target.py --seeds 0,1,2",
        "date": "2030-01-01 10:00 UTC",
        "versions": {"ray": "9.9.9"},
        "cpus": 3,
        "load_before": 0.12,
        "load_after": 0.9,
        "target": 18.0,
        "max_seconds": cap,
        "runs": runs,
    }


COURSE_RUNS = [
    _run(COURSE, 0, 10.0, steps=20_000),
    _run(COURSE, 1, 12.0, steps=24_000),
    _run(COURSE, 2, 20.0, steps=40_000),
]
#: every seed reached: a ratio of medians (30 / 12)
ALL = [_run("all", 0, 30.0), _run("all", 1, 24.0), _run("all", 2, 40.0)]
#: no seed reached: only "more than" the cap over the course's median (60 / 12)
NONE = [_run("none", s, 60.4, reached=False, final=9.0) for s in range(3)]
#: one of three reached: its median (inf) is over the cap
SOME = [_run("some", 0, 50.0), *(_run("some", s, 61.0, reached=False) for s in (1, 2))]
#: two of three reached: the median is the slower of those two, exactly
MOST = [_run("most", 0, 30.0), _run("most", 1, 36.0), _run("most", 2, 61.0, reached=False)]


def _one(summaries, setup):
    return next(s for s in summaries if s.setup == setup)


def test_setup_times_per_setup_in_the_files_order():
    summaries = setup_times(_data(COURSE_RUNS + ALL + NONE + SOME + MOST))
    assert [s.setup for s in summaries] == [COURSE, "all", "none", "some", "most"]
    course = _one(summaries, COURSE)
    assert (course.seeds, course.reached, course.median_reached, course.median) == (
        3,
        3,
        12.0,
        12.0,
    )
    assert course.median_env_steps == 24_000 and course.all_reached
    none = _one(summaries, "none")
    assert none.reached == 0 and none.median_reached is None and math.isinf(none.median)
    assert none.median_final_mean == 9.0 and not none.all_reached
    some = _one(summaries, "some")
    assert (some.reached, some.median_reached) == (1, 50.0) and math.isinf(some.median)
    most = _one(summaries, "most")
    assert (most.reached, most.median_reached, most.median) == (2, 33.0, 36.0)


def test_all_reached_gives_the_ratio_of_medians():
    course, other = setup_times(_data(COURSE_RUNS + ALL))
    line = comparison(other, course, 18.0, 60.0)
    assert "reached 18 within 60 s on 3 of 3 seeds (30.0 s, median of those)" in line
    assert "its median time is 2.50 times the course's." in line
    assert "cap)" not in line  # no missed seed to count


def test_none_reached_is_only_a_lower_bound_rounded_down():
    course, other = setup_times(_data(COURSE_RUNS + NONE, cap=59.5))
    line = comparison(other, course, 18.0, 59.5)
    assert "did not reach 18 within 59.5 s on any of 3 seeds" in line
    assert "the course reached 18 within 59.5 s on 3 of 3 seeds (12.0 s, median of those)" in line
    # 59.5 / 12 = 4.96: "more than 4.9", never rounded up to 5.0
    assert "its median time is over 59.5 s, more than 4.9 times the course's 12.0 s." in line
    assert not re.search(r"\d\.\d\d times", line)  # no exact ratio


def test_some_reached_says_how_many_and_counts_the_missed_as_beyond_the_cap():
    summaries = setup_times(_data(COURSE_RUNS + SOME + MOST))
    course = summaries[0]
    some = comparison(_one(summaries, "some"), course, 18.0, 60.0)
    assert "on 1 of 3 seeds (50.0 s, the one that did)" in some
    assert "over 60 s (a missed seed counted as slower than the cap), more than 5.0 times" in some
    most = comparison(_one(summaries, "most"), course, 18.0, 60.0)
    assert "on 2 of 3 seeds (33.0 s, median of those)" in most
    assert "its median time is 3.00 times the course's (a missed seed counted" in most


def test_when_the_course_misses_the_other_way_round_and_when_both_miss():
    slow_course = [_run(COURSE, s, 60.2, reached=False) for s in range(3)]
    course, other = setup_times(_data(slow_course + ALL))
    assert "the course's median time is over 60 s, more than 2.0 times this setup's 30.0 s" in (
        comparison(other, course, 18.0, 60.0)
    )
    course, other = setup_times(_data(slow_course + NONE))
    assert "this run cannot say which is faster" in comparison(other, course, 18.0, 60.0)


def test_the_text_names_the_machine_and_every_setup(tmp_path):
    text = time_to_target_text(_data(COURSE_RUNS + ALL + NONE))
    assert "not on yours" in text
    assert "2030-01-01 10:00 UTC, 3 cores; 1-minute load average 0.12 before, 0.90 after" in text
    assert "Versions: ray 9.9.9." in text
    assert "- all: " in text and "- none: " in text and f"- {COURSE}:" not in text
    assert "nothing to compare with" in time_to_target_text(_data(ALL))


def test_a_missing_file_is_a_clear_message(tmp_path, capsys):
    missing = tmp_path / "time_to_target.json"
    with pytest.raises(
        BenchDataError, match="does not exist: `python bench/time_to_target.py --json .*` writes it"
    ):
        load_time_to_target(missing)
    show_time_to_target(missing)
    text = capsys.readouterr().out
    assert str(missing) in text and RERUN in text


def test_show_reads_a_file_and_says_how_to_measure(tmp_path, capsys):
    path = tmp_path / "ttt.json"
    path.write_text(json.dumps(_data(COURSE_RUNS + NONE)))
    show_time_to_target(path)
    text = capsys.readouterr().out
    assert "not on yours" in text and "- none: did not reach 18" in text and RERUN in text


def test_the_committed_file_has_what_the_summary_reads():
    """bench/results/time_to_target.json (re-measured now and then: structure only)."""
    data = load_time_to_target(TIME_TO_TARGET)
    for key in ("command", "date", "cpus", "load_before", "load_after", "target", "max_seconds"):
        assert key in data, key
    summaries = setup_times(data)
    assert COURSE in {s.setup for s in summaries} and len(summaries) >= 2
    for s in summaries:
        assert 0 <= s.reached <= s.seeds and (s.median_reached is None) == (s.reached == 0)
    text = time_to_target_text(data)
    others = [s for s in summaries if s.setup != COURSE]
    assert text.count("\n- ") == len(others)
    assert all(f"- {s.setup}: " in text for s in others)
