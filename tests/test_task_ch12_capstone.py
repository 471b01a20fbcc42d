"""Chapter 12's task (a hand-written chaser): the reference answer, one written
differently, and each named mistake. No Ray, no training: a fraction of a second."""

import numpy as np
import pytest

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch12_capstone import check_chase
from handson_rl.progress import passed

#: A fresh progress file and a learner at the keyboard (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("progress_file")


def reference(observation, width):  # the lesson's solution
    (row, col), (row1, col1) = (
        divmod(int(observation[0]), width),
        divmod(int(observation[1]), width),
    )
    if row1 != row:
        return 0 if row1 < row else 2
    return 3 if col1 < col else 1


def columns_first(observation, width):  # right, written differently: numpy, columns first
    rows, cols = np.unravel_index(observation, (10_000, width))
    d_row, d_col = rows[1] - rows[0], cols[1] - cols[0]
    if d_col:
        return np.int64(1 if d_col > 0 else 3)
    return np.int64(2 if d_row > 0 else 0)


@pytest.mark.parametrize("answer", [reference, columns_first])
def test_right_answers_pass(answer, capsys, progress_file):
    check_chase(answer)
    assert capsys.readouterr().out.startswith("Task solved")
    assert "task-ch12-capstone" in passed(progress_file)


def obs_swapped(observation, width):
    return reference(observation[::-1], width)


def rows_and_columns_swapped(observation, width):
    (col, row), (col1, row1) = (
        divmod(int(observation[0]), width),
        divmod(int(observation[1]), width),
    )
    if row1 != row:
        return 0 if row1 < row else 2
    return 3 if col1 < col else 1


def up_down_swapped(observation, width):
    return {0: 2, 2: 0}.get(reference(observation, width), reference(observation, width))


def left_right_swapped(observation, width):
    return {1: 3, 3: 1}.get(reference(observation, width), reference(observation, width))


def hard_coded(observation, width):
    return reference(observation, 10)


def names(observation, width):
    return ["up", "right", "down", "left"][reference(observation, width)]


def always_up(observation, width):
    return 0


@pytest.mark.parametrize(
    "answer, says",
    [
        (obs_swapped, "the first number is agent2's own cell"),
        (rows_and_columns_swapped, "Rows and columns are swapped"),
        (up_down_swapped, "Up and down are swapped"),
        (left_right_swapped, "Left and right are swapped"),
        (lambda observation: 0, "cannot be called as chase\\(observation, width\\)"),
        (hard_coded, "right on the 10 x 10 board only"),
        (names, "return its number"),
        (lambda obs, width: None, "return an action, an int from 0 to 3"),
        (always_up, "divmod"),
        (lambda obs, width: obs[5], r"chase\(\[0, 1\], width=10\) raised IndexError"),
        ("chase", "Pass your function itself"),
    ],
)
def test_each_mistake_is_named(answer, says, progress_file):
    with pytest.raises(ExerciseError, match=says):
        check_chase(answer)
    assert not passed(progress_file)
