"""Chapter 8's quarters (handson_rl.training.measures), which its cell and bench/seed_ranges.py share."""

from __future__ import annotations

import math

import pytest

from handson_rl.training.measures import QUARTER_KEYS, ch08_key, quarter_rise, quarters
from handson_rl.training.metrics import COLLISIONS, NEW_FIELDS


def _rows(values, key=NEW_FIELDS):
    return [{key: v} for v in values]


def test_quarters_are_the_first_and_last_quarter_of_the_iterations_with_values():
    rows = _rows([1, 2, 3, 4, 5, 6, 7, 8, 9])  # 9 // 4 = 2 per quarter
    assert quarters(rows, NEW_FIELDS) == ([1, 2], [8, 9])
    assert quarter_rise(rows, NEW_FIELDS) == pytest.approx(7.0)
    # An iteration in which no episode finished (NaN) is left out before the split.
    rows = _rows([float("nan"), 1, 2, 3, 4, 5, 6, 7, 8])
    assert quarters(rows, NEW_FIELDS) == ([1, 2], [7, 8])


def test_too_few_iterations_to_compare_are_none_and_nan():
    rows = _rows([1, 2, 3, 4, 5, 6, 7])  # 7 // 4 = 1: one value per quarter is no comparison
    assert quarters(rows, NEW_FIELDS) is None
    assert math.isnan(quarter_rise(rows, NEW_FIELDS))


def test_the_seed_range_keys_are_the_prose_names():
    assert set(QUARTER_KEYS) == {NEW_FIELDS, COLLISIONS, "agent1"}
    assert [ch08_key("rise", k) for k in (NEW_FIELDS, COLLISIONS, "agent1")] == [
        "ch08.rise.new_fields",
        "ch08.rise.collisions",
        "ch08.rise.agent1",
    ]
