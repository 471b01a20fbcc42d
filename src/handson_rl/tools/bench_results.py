"""The course's recorded time-to-target figures (chapter 3, "How fast?"), read from their data file.

``bench/time_to_target.py --json FILE`` records every run (setup, seed, reached or
not, seconds, env steps, agent1's last-100 mean) with the command, date, machine
and load. This module summarises such a file per setup and compares each setup with
the course's, honest about the cap: a run that missed the target only says its time
is beyond the cap. Chapter 3 prints the summary (:func:`show_time_to_target`) instead
of quoting figures, and ``bench/readme_figures.py`` renders ``bench/README.md``'s
tables from the same :func:`setup_times` and :func:`source_line`.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from handson_rl.paths import ROOT

RESULTS_DIR = ROOT / "bench" / "results"
TIME_TO_TARGET = RESULTS_DIR / "time_to_target.json"
#: The setup label ``bench/time_to_target.py`` gives the course's PPO settings.
COURSE = "course (arena_ppo_config)"
#: How a learner measures it on their own machine.
RERUN = "python bench/time_to_target.py --seeds 0,1,2,3,4 --max-seconds 120"


class BenchDataError(ValueError):
    """A bench data file (or a README block rendered from one) that cannot be used."""


def number_or(value, fmt: str = "{:.1f}", missing: str = "not recorded") -> str:
    """``value`` formatted, or ``missing`` when the file did not record it (None)."""
    return missing if value is None else fmt.format(value)


def source_line(data: dict) -> str:
    """Where a data file's figures come from: command, date, machine and load."""
    for key in ("command", "date"):
        if key not in data:
            raise BenchDataError(f"data file has no {key!r}")
    machine = data.get("machine") or f"{data['cpus']} cores"
    line = (
        f"`{data['command']}`: {data['date']}, {machine}; 1-minute load average "
        f"{number_or(data.get('load_before'), '{:.2f}')} before, "
        f"{number_or(data.get('load_after'), '{:.2f}')} after"
    )
    if data.get("load_during"):
        line += f", {data['load_during']}"
    line += "."
    if data.get("note"):
        line += f" {data['note']}."
    if data.get("source"):
        line += f" (Source: {data['source']}.)"
    return line


@dataclass(frozen=True)
class SetupTimes:
    """One setup's runs of a time-to-target file, summarised over its seeds."""

    setup: str
    seeds: int
    reached: int  # seeds whose run reached the target within the cap
    median_reached: float | None  # median seconds of those that reached; None if none did
    median: float  # median seconds over all seeds, a missed seed counted as never (inf)
    median_env_steps: float  # at the target, or where a missed run stopped
    median_final_mean: float  # agent1's last-100 mean when the run stopped

    @property
    def all_reached(self) -> bool:
        return self.reached == self.seeds


def setup_times(data: dict) -> list[SetupTimes]:
    """Each setup of a time-to-target file (in the file's order), summarised."""
    summaries = []
    for setup in dict.fromkeys(run["setup"] for run in data["runs"]):
        runs = [run for run in data["runs"] if run["setup"] == setup]
        reached = [run["seconds"] for run in runs if run["reached"]]
        summaries.append(
            SetupTimes(
                setup=setup,
                seeds=len(runs),
                reached=len(reached),
                median_reached=statistics.median(reached) if reached else None,
                median=statistics.median(r["seconds"] if r["reached"] else math.inf for r in runs),
                median_env_steps=statistics.median(run["env_steps"] for run in runs),
                median_final_mean=statistics.median(run["final_mean"] for run in runs),
            )
        )
    return summaries


def _floor(ratio: float) -> str:
    """A lower bound, rounded down so that "more than" stays true."""
    return f"{math.floor(ratio * 10) / 10:.1f}"


def reached_text(s: SetupTimes, target: float, cap: float) -> str:
    """How often ``s`` reached the target within the cap, and how fast."""
    if s.reached == 0:
        return f"did not reach {target:g} within {cap:g} s on any of {s.seeds} seeds"
    which = "median of those" if s.reached > 1 else "the one that did"
    return (
        f"reached {target:g} within {cap:g} s on {s.reached} of {s.seeds} seeds "
        f"({s.median_reached:.1f} s, {which})"
    )


def comparison(other: SetupTimes, course: SetupTimes, target: float, cap: float) -> str:
    """One line: ``other`` against the course, a missed seed counted as slower than the cap."""
    head = (
        f"{other.setup}: {reached_text(other, target, cap)}; "
        f"the course {reached_text(course, target, cap)}"
    )
    mixed = any(0 < s.reached < s.seeds for s in (other, course))
    counted = " (a missed seed counted as slower than the cap)" if mixed else ""
    if math.isfinite(other.median) and math.isfinite(course.median):
        verdict = (
            f"its median time is {other.median / course.median:.2f} times the course's{counted}"
        )
    elif math.isfinite(course.median):
        verdict = (
            f"its median time is over {cap:g} s{counted}, more than "
            f"{_floor(cap / course.median)} times the course's {course.median:.1f} s"
        )
    elif math.isfinite(other.median):
        verdict = (
            f"the course's median time is over {cap:g} s{counted}, more than "
            f"{_floor(cap / other.median)} times this setup's {other.median:.1f} s"
        )
    else:
        verdict = (
            f"both median times are over the {cap:g} s cap: this run cannot say which is faster"
        )
    return f"{head}: {verdict}."


def _table(summaries: list[SetupTimes]) -> list[str]:
    width = max(len("setup"), *(len(s.setup) for s in summaries))
    lines = [
        f"{'setup':<{width}}  {'seeds':>5}  {'reached':>7}  {'median time of those':>20}  "
        f"{'median env steps':>16}"
    ]
    for s in summaries:
        time = "-" if s.median_reached is None else f"{s.median_reached:.1f} s"
        lines.append(
            f"{s.setup:<{width}}  {s.seeds:>5}  {f'{s.reached}/{s.seeds}':>7}  {time:>20}  "
            f"{s.median_env_steps:>16,.0f}"
        )
    return lines


def time_to_target_text(data: dict) -> str:
    """A time-to-target file as text: where it was measured, a table per setup, the comparisons."""
    target, cap = data["target"], data["max_seconds"]
    summaries = setup_times(data)
    versions = ", ".join(f"{k} {v}" for k, v in data.get("versions", {}).items())
    lines = [
        f"Time to target: wall seconds until agent1's mean return over its last 100 episodes "
        f"reaches {target:g} (a run that had not got there stopped at {cap:g} s).",
        "These are the course's bench figures, measured on the course's machine, not on yours:",
        f"  {source_line(data)}",
        *([f"  Versions: {versions}."] if versions else []),
        "",
        *_table(summaries),
        "(env steps: at the target, or where a run that missed it stopped)",
        "",
    ]
    course = next((s for s in summaries if s.setup == COURSE), None)
    if course is None:
        lines.append(f"No {COURSE!r} runs in this file: nothing to compare with.")
    else:
        lines.append("Against the course:")
        lines += [f"- {comparison(s, course, target, cap)}" for s in summaries if s is not course]
    return "\n".join(lines)


def load_time_to_target(path: Path | str = TIME_TO_TARGET) -> dict:
    """A time-to-target data file, or :class:`BenchDataError` saying how to make it."""
    path = Path(path)
    if not path.is_file():
        raise BenchDataError(
            f"{path} does not exist: `python bench/time_to_target.py --json {path}` writes it "
            "(this checkout has no recorded time-to-target run)."
        )
    return json.loads(path.read_text())


def show_time_to_target(path: Path | str = TIME_TO_TARGET) -> None:
    """Print the recorded time-to-target figures (:func:`time_to_target_text`) and how to measure your own."""
    try:
        text = time_to_target_text(load_time_to_target(path))
    except BenchDataError as err:
        text = str(err)
    text += (
        f"\n\nTo measure on your machine: {RERUN}\n"
        "Each run stops at the target or after --max-seconds, so this takes several minutes "
        'or more; the SB3 setups need `pip install -e ".[bench]"` (or leave them out with '
        "--only course,defaults,appo). It prints its own table; add --json FILE to keep it, "
        "and show_time_to_target(FILE) summarises that file."
    )
    print(text)
