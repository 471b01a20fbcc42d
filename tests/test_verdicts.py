"""The one verdict rule (handson_rl.verdicts): beyond or within the noise."""

import doctest
import json
import math

import numpy as np
import pytest

from handson_rl import verdicts
from handson_rl.verdicts import (
    SeedRangeError,
    Z,
    compare,
    in_range,
    load_ranges,
    seed_range,
    your_run,
)


def test_the_docstring_example_holds():
    assert doctest.testmod(verdicts).failed == 0


def test_a_gap_larger_than_two_standard_errors_is_beyond_the_noise():
    v = compare([10.0, 12.0, 11.0], [5.0, 6.0, 7.0], names=("a", "b"))
    se = math.hypot(1.0 / math.sqrt(3), 1.0 / math.sqrt(3))
    assert v.difference == pytest.approx(5.0) and v.noise == pytest.approx(2 * se)
    assert v.beyond_noise and v.higher == "a"
    assert "beyond the noise: a is higher" in str(v)
    assert compare([5.0, 6.0, 7.0], [10.0, 12.0, 11.0], names=("a", "b")).higher == "b"


def test_overlapping_seeds_are_within_the_noise():
    v = compare([10.0, 16.0, 13.0], [12.0, 9.0, 15.0], names=("ours", "relu"))
    assert not v.beyond_noise and v.higher is None
    assert "within the noise" in str(v)


def test_the_threshold_is_exactly_z_standard_errors():
    # Two sides with known standard errors: the gap just above / below 2 * hypot.
    a, b = {"mean": 1.0, "sem": 0.3}, {"mean": 0.0, "sem": 0.4}  # hypot = 0.5, noise = 1.0
    assert not compare(a, b).beyond_noise  # difference 1.0 is not > 1.0
    assert compare({"mean": 1.01, "sem": 0.3}, b).beyond_noise
    assert compare(a, b, z=1.0).beyond_noise


def test_mean_returns_output_is_accepted():
    from handson_rl.arena.rollout import mean_returns, random_policies

    means = mean_returns(random_policies(seed=0), episodes=300)
    v = compare(means["agent1"], means["agent2"], names=("agent1", "agent2"), what="random play")
    assert v.beyond_noise and v.higher == "agent1"  # about -0.7 against about -9


def test_bad_input_says_what_to_pass():
    with pytest.raises(TypeError, match="no spread"):
        compare(3.0, [1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 values"):
        compare([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="'mean' and 'sem'"):
        compare({"mean": 1.0}, [1.0, 2.0])
    with pytest.raises(ValueError, match="two names"):
        compare([1.0, 2.0], [1.0, 2.0], names=("only one",))
    assert compare([1.0, 2.0, np.nan], [1.0, 2.0]).a.n == 2  # NaN (no episode finished) is skipped


def test_in_range():
    assert (
        in_range(21.0, 18.0, 27.5, seeds=10)
        == "your run: +21.0, inside the range of 10 seeds (+18.0 to +27.5)"
    )
    assert "below the range" in in_range(10.0, 18.0, 27.5, seeds=10)
    assert "above the range" in in_range(30.0, 18.0, 27.5, seeds=10)
    with pytest.raises(ValueError):
        in_range(1.0, 2.0, 1.0, seeds=10)


# --- seed ranges (bench/results/seeds_*.json) ---------------------------------


def _write(directory, name, ranges, command="python bench/fake.py --seeds 0-2"):
    data = {"meta": {"command": command, "seeds": [0, 1, 2]}, "ranges": ranges}
    (directory / name).write_text(json.dumps(data))


def test_seed_range_reads_and_merges_the_files(tmp_path):
    _write(tmp_path, "seeds_a.json", {"ch06.x": {"values": [18.2, 27.5, 21.0], "what": "x"}})
    _write(
        tmp_path,
        "seeds_b.json",
        {"ch04.y": {"values": [1.0, 2.0], "what": "y"}},
        "python bench/other.py",
    )
    (tmp_path / "not_a_seed_file.json").write_text("{}")  # other results are ignored
    assert sorted(load_ranges(tmp_path)) == ["ch04.y", "ch06.x"]
    found = seed_range("ch06.x", tmp_path)
    assert (found.low, found.high, found.n, found.script) == (18.2, 27.5, 3, "bench/fake.py")
    assert found.describe() == "between +18.2 and +27.5 (over 3 seeds, `bench/fake.py`)"
    assert found.describe(".2f") == "between 18.20 and 27.50 (over 3 seeds, `bench/fake.py`)"


def test_your_run_places_the_value_and_explains_outside(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "full")
    monkeypatch.setenv("COURSE_SEED", "5")  # not one of the range's seeds (0-2): a new draw
    _write(
        tmp_path,
        "seeds_a.json",
        {"k": {"values": [18.2, 27.5, 21.0]}, "k2": {"values": [0.2601, 0.2705]}},
    )
    assert (
        your_run("k", 21.0, directory=tmp_path)
        == "your run: +21.0, inside the range of 3 seeds (+18.2 to +27.5)"
    )
    below = your_run("k", 12.3, label="agent1", directory=tmp_path)
    assert below.startswith(
        "your run, agent1: +12.3, below the range of 3 seeds (+18.2 to +27.5): "
    )
    assert "not repeatable" in below
    assert "about 5 runs in 10 fall outside the range of 3 seeds by chance alone" in below
    assert "above the range" in your_run("k", 30, why="because", directory=tmp_path)
    assert your_run("k", 30, why="because", directory=tmp_path).endswith(": because")
    assert "no value" in your_run("k", float("nan"), directory=tmp_path)
    # Judged as printed: +27.54 prints as +27.5, the range's top, so it is not "above".
    assert "+27.5, inside the range" in your_run("k", 27.54, directory=tmp_path)
    assert "+27.6, above the range" in your_run("k", 27.56, directory=tmp_path)
    assert "0.27, inside" in your_run("k2", 0.2712, fmt=".2f", directory=tmp_path)
    assert "0.28, above" in your_run("k2", 0.2751, fmt=".2f", directory=tmp_path)


def test_a_run_of_one_of_the_ranges_own_seeds_is_not_called_a_new_draw(tmp_path, monkeypatch):
    """With COURSE_SEED among the seeds the range was measured with, an outside run is
    that seed run again: the message names the bench's value for it, not the odds."""
    monkeypatch.setenv("COURSE_BUDGET", "full")
    _write(tmp_path, "seeds_a.json", {"k": {"values": [18.2, 27.5, 21.0]}})
    _write(
        tmp_path,
        "seeds_b.json",
        {"j": {"values": [1.0, None, 3.0, 2.0], "seeds": [4, 5, 6, 7]}},
        "python bench/other.py",
    )
    monkeypatch.setenv("COURSE_SEED", "1")
    line = your_run("k", 27.9, directory=tmp_path)
    assert "above the range of 3 seeds" in line
    assert (
        "your COURSE_SEED, 1, is one of the 3 seeds of this range, where the bench's run gave +27.5"
        in line
    )
    assert "by chance alone" not in line
    assert your_run("k", 21.0, directory=tmp_path).endswith("(+18.2 to +27.5)")  # inside: no note
    monkeypatch.setenv("COURSE_SEED", "5")  # seed 5's value is missing: a new draw after all
    assert "by chance alone" in your_run("j", 9.0, directory=tmp_path)
    monkeypatch.setenv("COURSE_SEED", "6")
    assert "where the bench's run gave +3.0" in your_run("j", 9.0, directory=tmp_path)


def test_the_chance_of_falling_outside_is_what_draws_give():
    """2 / (n + 1): one more independent draw is the lowest or highest of n + 1."""
    import numpy as np

    rng = np.random.default_rng(0)
    for n in (3, 10):
        draws = rng.normal(size=(40_000, n + 1))
        outside = (draws[:, -1] < draws[:, :-1].min(axis=1)) | (
            draws[:, -1] > draws[:, :-1].max(axis=1)
        )
        assert outside.mean() == pytest.approx(verdicts.chance_outside(n), abs=0.01)
    assert round(10 * verdicts.chance_outside(10)) == 2  # "about 2 runs in 10" for 10 seeds
    with pytest.raises(ValueError, match="at least 2 seeds"):
        verdicts.chance_outside(1)


def test_the_chance_of_a_false_verdict_is_what_draws_give():
    """Two sides drawn from the same normal quantity: compare() calls them different
    as often as chance_called_different says, for few and many values a side."""
    rng = np.random.default_rng(1)
    for n in (3, 4, 10):
        a, b = rng.normal(size=(2, 20_000, n))
        called = [compare(x, y).beyond_noise for x, y in zip(a[:2000], b[:2000], strict=True)]
        se = np.sqrt(a.var(axis=1, ddof=1) / n + b.var(axis=1, ddof=1) / n)
        vectorised = np.abs(a.mean(axis=1) - b.mean(axis=1)) > Z * se
        assert np.mean(called) == pytest.approx(vectorised[:2000].mean())
        assert vectorised.mean() == pytest.approx(verdicts.chance_called_different(n), abs=0.01)
    assert round(1 / verdicts.chance_called_different(4)) == 11  # "about 1 in 11" (docstring)
    assert round(1 / verdicts.chance_called_different(3)) == 9
    assert verdicts.chance_called_different(1000) == pytest.approx(0.0455, abs=0.001)
    with pytest.raises(ValueError, match="at least 2 values"):
        verdicts.chance_called_different(1)


def test_a_missing_key_names_it_and_the_scripts(tmp_path):
    _write(tmp_path, "seeds_a.json", {"k": {"values": [1.0, 2.0]}})
    with pytest.raises(SeedRangeError, match=r"No seed range 'ch99.nope'.*bench/fake.py"):
        seed_range("ch99.nope", tmp_path)


def test_a_duplicate_key_fails_naming_both_files(tmp_path):
    _write(tmp_path, "seeds_a.json", {"k": {"values": [1.0, 2.0]}})
    _write(tmp_path, "seeds_b.json", {"k": {"values": [3.0, 4.0]}})
    with pytest.raises(
        SeedRangeError, match=r"'k' is stored twice, in seeds_a.json and in seeds_b.json"
    ):
        load_ranges(tmp_path)


def test_malformed_files_and_too_few_seeds_are_errors(tmp_path):
    (tmp_path / "seeds_bad.json").write_text('{"ranges": {}}')
    with pytest.raises(SeedRangeError, match="not a seed-range file"):
        load_ranges(tmp_path)
    (tmp_path / "seeds_bad.json").unlink()
    # A key with fewer than 2 seeds (a bench run after its first seed) is not a range yet.
    _write(tmp_path, "seeds_a.json", {"k": {"values": [1.0, None]}, "j": {"values": [1.0, 2.0]}})
    assert sorted(load_ranges(tmp_path)) == ["j"]
    with pytest.raises(SeedRangeError, match="'k' \\(with at least 2 seeds\\)"):
        seed_range("k", tmp_path)


def test_the_committed_seed_files_load():
    for key, found in load_ranges().items():  # fails on a duplicate key across bench scripts
        assert found.n >= 10, f"{key}: only {found.n} seeds in {found.file}"


def test_at_the_smoke_budget_a_run_outside_is_explained_by_the_budget(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    _write(tmp_path, "seeds_a.json", {"k": {"values": [18.2, 27.5, 21.0]}})
    assert your_run("k", 3.2, directory=tmp_path).endswith(": " + verdicts.SMOKE)
    assert your_run("k", 21.0, directory=tmp_path).endswith("(+18.2 to +27.5)")
