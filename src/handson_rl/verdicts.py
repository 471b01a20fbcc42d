"""One rule for every comparison a chapter prints: beyond or within the noise.

A learner's run differs from ours: remote env runners make training vary from run
to run, and one seed's result is one draw. So a chapter does not say "A beat B";
its cell computes, from the numbers it just printed, whether the difference is
larger than the noise those numbers carry, and prints that verdict. The rule is
the same everywhere:

- Each side is a set of values (one per seed, or one per episode) or a mean with
  its standard error. Its **standard error** is ``sd / sqrt(n)`` for a set of
  values (``sd`` with ``n - 1``), or the one given.
- The difference of the two means is **beyond the noise** when it is larger than
  ``z`` (default 2) times the standard error of the difference,
  ``sqrt(se_a**2 + se_b**2)``; otherwise it is **within the noise**: the data
  cannot tell the two apart, whichever mean is higher.

With 2 standard errors, two sides that really are the same are called different
about 1 time in 20 for normal noise and many values; with few seeds a side the
standard errors are themselves rough and it happens more often:
:func:`chance_called_different` gives how often (about 1 in 11 with 4 seeds a
side, 1 in 9 with 3), so treat a verdict near the line as a tie.

:func:`in_range` places one run's value against a range measured over many seeds
(``bench/``), for prose that quotes such ranges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: How many standard errors of the difference make it "beyond the noise".
Z = 2.0


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a name, a mean, its standard error and how many values."""

    name: str
    mean: float
    sem: float
    n: int

    @classmethod
    def of(cls, name: str, values) -> Side:
        """From a sequence of values (per seed or per episode), or a ``(mean, sem)`` pair
        given as a mapping ``{"mean": ..., "sem": ...}`` (what ``mean_returns`` returns)."""
        if isinstance(values, dict):
            if not {"mean", "sem"} <= set(values):
                raise ValueError(
                    f"{name}: a mapping needs 'mean' and 'sem' keys, got {sorted(values)}."
                )
            return cls(name, float(values["mean"]), float(values["sem"]), int(values.get("n", 0)))
        if isinstance(values, (int, float, np.number)):
            raise TypeError(
                f"{name}: one number ({values}) has no spread to compare against; pass the "
                "values per seed (or per episode), or {'mean': ..., 'sem': ...}."
            )
        array = np.asarray(list(values), dtype=float)
        array = array[~np.isnan(array)]
        if array.size < 2:
            raise ValueError(
                f"{name}: at least 2 values are needed to measure their spread, got {array.size}."
            )
        return cls(
            name,
            float(array.mean()),
            float(array.std(ddof=1) / math.sqrt(array.size)),
            int(array.size),
        )


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`compare`."""

    a: Side
    b: Side
    what: str
    z: float

    @property
    def difference(self) -> float:
        return self.a.mean - self.b.mean

    @property
    def noise(self) -> float:
        """``z`` standard errors of the difference: the smallest gap called real."""
        return self.z * math.hypot(self.a.sem, self.b.sem)

    @property
    def beyond_noise(self) -> bool:
        return abs(self.difference) > self.noise

    @property
    def higher(self) -> str | None:
        """The name of the side that is higher beyond the noise, or None (a tie)."""
        if not self.beyond_noise:
            return None
        return self.a.name if self.difference > 0 else self.b.name

    def __str__(self) -> str:
        verdict = (
            f"beyond the noise: {self.higher} is higher"
            if self.beyond_noise
            else "within the noise: the data cannot tell them apart"
        )
        return (
            f"{self.what}: {self.a.name} {self.a.mean:+.1f} vs {self.b.name} {self.b.mean:+.1f}, "
            f"gap {abs(self.difference):.1f}, noise ±{self.noise:.1f} "
            f"({self.z:g} standard errors) -> {verdict}"
        )


def compare(
    a, b, *, names: Sequence[str] = ("A", "B"), what: str = "mean", z: float = Z
) -> Verdict:
    """Compare two sides (values per seed or episode, or ``{"mean", "sem"}`` mappings).

    >>> print(compare([14.1, 15.9, 13.2], [8.0, 8.9, 7.1], names=("ours", "shared"),
    ...               what="agent1, last 100 episodes"))  # doctest: +NORMALIZE_WHITESPACE
    agent1, last 100 episodes: ours +14.4 vs shared +8.0, gap 6.4, noise ±1.9
    (2 standard errors) -> beyond the noise: ours is higher
    """
    if len(names) != 2:
        raise ValueError(f"names must be two names, got {names!r}.")
    if not z > 0:
        raise ValueError(f"z must be positive, got {z}.")
    return Verdict(Side.of(names[0], a), Side.of(names[1], b), what, float(z))


def chance_called_different(n: int, z: float = Z) -> float:
    """How often :func:`compare` calls two sides of ``n`` values each "beyond the
    noise" when they are draws of the same normal quantity.

    With equal sizes the gap over its standard error follows Student's t with
    ``2 n - 2`` degrees of freedom (the two-sample t statistic), so this is
    ``P(|t| > z)``: about 0.05 for many values, 0.09 for 4 a side, 0.12 for 3.
    """
    if n < 2:
        raise ValueError(f"each side needs at least 2 values, got {n}.")
    if not z > 0:
        raise ValueError(f"z must be positive, got {z}.")
    from scipy.stats import t  # RLlib depends on SciPy

    return float(2 * t.sf(z, 2 * n - 2))


def in_range(
    value: float, low: float, high: float, *, seeds: int, what: str = "your run", fmt: str = "+.1f"
) -> str:
    """Where one run's ``value`` falls against the range ``[low, high]`` of ``seeds`` seeds
    (judged on the numbers as printed with ``fmt``: see :func:`_where`)."""
    return _placed(value, low, high, seeds=seeds, what=what, fmt=fmt)[1]


def _placed(value, low, high, *, seeds: int, what: str, fmt: str) -> tuple[str, str]:
    """``(where, line)``: :func:`in_range`'s verdict and the line that states it."""
    if not low <= high:
        raise ValueError(f"low ({low}) must not be above high ({high}).")
    if seeds < 2:
        raise ValueError(f"a range needs at least 2 seeds, got {seeds}.")
    where = _where(value, low, high, fmt)
    line = (
        f"{what}: {value:{fmt}}, {where} the range of {seeds} seeds ({low:{fmt}} to {high:{fmt}})"
    )
    return where, line


# --- Ranges measured over many seeds (bench/results/seeds_*.json) -------------


#: Where the bench scripts store their seed ranges, one JSON file per script.
def results_dir():
    from handson_rl.paths import ROOT

    return ROOT / "bench" / "results"


SEEDS_GLOB = "seeds_*.json"

#: What :func:`your_run` says when a run falls outside the range of the seeds.
OUTSIDE = (
    "one run is one draw: a new run is as likely to rank anywhere among the {seeds} "
    "seeds' runs and itself, so about {chance} runs in 10 fall outside the range of "
    "{seeds} seeds by chance alone (and runs with remote env runners are not "
    "repeatable step for step, and your machine differs from ours); nothing need be "
    "wrong: run the cell again (or with another COURSE_SEED) and see where the next "
    "one falls"
)


def chance_outside(seeds: int) -> float:
    """The chance that one more run falls outside the range (min to max) of ``seeds`` runs.

    For runs that are independent draws of one continuous quantity, the new run is
    equally likely to hold any of the ``seeds + 1`` ranks; it is outside the range
    when it is the lowest or the highest: 2 / (seeds + 1), about 0.18 for 10 seeds.
    """
    if seeds < 2:
        raise ValueError(f"a range needs at least 2 seeds, got {seeds}.")
    return 2 / (seeds + 1)


#: What :func:`your_run` says instead when the run's COURSE_SEED is one of the range's
#: own seeds: then it is not a new draw but that seed run again.
SAME_SEED = (
    "your COURSE_SEED, {seed}, is one of the {seeds} seeds of this range, where the "
    "bench's run gave {value}: runs with remote env runners are not repeatable step "
    "for step, and your machine differs from ours, so a run of the same seed can land "
    "beyond the range; nothing need be wrong: run the cell again (or with another "
    "COURSE_SEED) and see where the next one falls"
)

#: Why a run at the smoke budget falls outside: the ranges come from full-budget runs.
SMOKE = (
    "this run used the smoke budget (COURSE_BUDGET=smoke), far shorter than the "
    "full-budget runs the range comes from"
)


class SeedRangeError(KeyError):
    """A seed range that is missing, duplicated, or stored in a malformed file."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


@dataclass(frozen=True)
class SeedRange:
    """One quantity measured over many seeds by a script in ``bench/``."""

    key: str
    values: tuple[float, ...]
    what: str
    script: str
    file: str
    #: ``{seed: value}`` when the file says which seed gave which value.
    by_seed: dict = field(default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def describe(self, fmt: str = "+.1f") -> str:
        """The text a lesson's ``{{seeds:KEY}}`` placeholder becomes."""
        return (
            f"between {self.low:{fmt}} and {self.high:{fmt}} (over {self.n} seeds, `{self.script}`)"
        )


def _script_of(command: str) -> str:
    return next((word for word in str(command).split() if word.endswith(".py")), str(command))


def _read_ranges(path) -> dict[str, SeedRange]:
    import json

    try:
        data = json.loads(path.read_text())
        meta, ranges = data["meta"], data["ranges"]
    except (ValueError, KeyError, TypeError) as err:
        raise SeedRangeError(
            f"{path}: not a seed-range file ({type(err).__name__}: {err}); expected "
            '{"meta": {"command": ...}, "ranges": {"<key>": {"values": [...], "what": ...}}}.'
        ) from err
    script = _script_of(meta.get("command", path.name))
    out = {}
    for key, entry in ranges.items():
        raw = entry.get("values", [])
        seeds = entry.get("seeds", meta.get("seeds"))
        by_seed = (
            {int(s): float(v) for s, v in zip(seeds, raw) if v is not None and not math.isnan(v)}
            if isinstance(seeds, list) and len(seeds) == len(raw)
            else {}
        )
        values = [float(v) for v in raw if v is not None]
        values = [v for v in values if not math.isnan(v)]
        if len(values) < 2:  # not a range (yet: a bench run writes its file after each seed)
            continue
        out[key] = SeedRange(
            key, tuple(values), str(entry.get("what", "")), script, path.name, by_seed
        )
    return out


def load_ranges(directory=None) -> dict[str, SeedRange]:
    """Every seed range in ``directory`` (default ``bench/results``), merged.

    Raises :class:`SeedRangeError` when two files store the same key.
    """
    from pathlib import Path

    directory = Path(directory) if directory is not None else results_dir()
    merged: dict[str, SeedRange] = {}
    for path in sorted(directory.glob(SEEDS_GLOB)):
        for key, found in _read_ranges(path).items():
            if key in merged:
                raise SeedRangeError(
                    f"seed range {key!r} is stored twice, in {merged[key].file} and in "
                    f"{found.file} (both in {directory}); one key, one bench script."
                )
            merged[key] = found
    return merged


def seed_range(key: str, directory=None) -> SeedRange:
    """The range of ``key`` over the seeds a bench script measured; a clear error if none did."""
    ranges = load_ranges(directory)
    if key not in ranges:
        scripts = sorted({r.script for r in ranges.values()}) or ["none yet"]
        raise SeedRangeError(
            f"No seed range {key!r} (with at least 2 seeds) in {directory or results_dir()}/{SEEDS_GLOB}. Run the "
            f"bench/ script that measures it (scripts with results so far: {', '.join(scripts)}), "
            "or fix the key."
        )
    return ranges[key]


def _where(value: float, low: float, high: float, fmt: str) -> str:
    """ "inside", "below" or "above", judged on the numbers as printed with ``fmt``:
    a run that prints as +27.4 against a range printed as +17.5 to +27.4 is at its
    edge, not outside it (it is often the very seed that set that edge, run again)."""
    try:
        value, low, high = (float(format(x, fmt)) for x in (value, low, high))
    except ValueError:  # a format float() cannot read back (e.g. a percentage)
        pass
    if low <= value <= high:
        return "inside"
    return "below" if value < low else "above"


def _why_outside(found: SeedRange, fmt: str) -> str:
    from handson_rl.budget import is_smoke, seed

    if is_smoke():
        return SMOKE
    course_seed = seed()
    if course_seed in found.by_seed:
        value = format(found.by_seed[course_seed], fmt)
        return SAME_SEED.format(seed=course_seed, seeds=found.n, value=value)
    return OUTSIDE.format(seeds=found.n, chance=round(10 * chance_outside(found.n)))


def your_run(
    key: str,
    value: float,
    label: str | None = None,
    *,
    fmt: str = "+.1f",
    why: str | None = None,
    directory=None,
) -> str:
    """Where this run's ``value`` of ``key`` falls against the range of the seeds.

    >>> your_run("ch06.sampled.agent1", 21.0)  # doctest: +SKIP
    'your run: +21.0, inside the range of 10 seeds (+18.2 to +27.5)'
    """
    found = seed_range(key, directory)
    name = f"your run, {label}" if label else "your run"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{name}: no value (no episode finished), range of {found.n} seeds {found.low:{fmt}} to {found.high:{fmt}}"
    value = float(value)
    where, line = _placed(value, found.low, found.high, seeds=found.n, what=name, fmt=fmt)
    if where == "inside":
        return line
    if why is None:
        why = _why_outside(found, fmt)
    return f"{line}: {why}"
