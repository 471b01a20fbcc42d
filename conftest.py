"""Repository-wide pytest settings for executing notebooks.

CI executes every solution notebook when it builds the website; an exercise
notebook in ``notebooks/`` is executed again under nbval only when it runs a cell
its solution does not (Exercise 1's stub). The analysis that decides it, and what
is checked without a kernel instead, lives in
:mod:`handson_rl.maintainers.notebook_cells` (tested by
tests/test_exercise_notebooks.py).
"""

from __future__ import annotations

from handson_rl.maintainers.notebook_cells import runs_only_solution_cells


def pytest_ignore_collect(collection_path, config):
    # Also true for a notebook identical to its solution (same_as_solution).
    if runs_only_solution_cells(collection_path):
        return True
    return None
