"""The one verdict rule (handson_rl.training.verdicts): beyond or within the noise."""

import doctest
import math

import numpy as np
import pytest

from handson_rl.training import verdicts
from handson_rl.training.verdicts import compare, in_range


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
    assert in_range(21.0, 18.0, 27.5, seeds=10) == "your run: +21.0, inside the range of 10 seeds (+18.0 to +27.5)"
    assert "below the range" in in_range(10.0, 18.0, 27.5, seeds=10)
    assert "above the range" in in_range(30.0, 18.0, 27.5, seeds=10)
    with pytest.raises(ValueError):
        in_range(1.0, 2.0, 1.0, seeds=10)
