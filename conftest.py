"""Repository-wide pytest settings for executing notebooks.

CI executes every solution notebook when it builds the website; an exercise
notebook in ``notebooks/`` is executed again under nbval only when it would run
something the solution run does not (a differing cell that does more than define
a stub, or a later cell using what a stub or a skipped cell defines). The analysis
that decides it, and what is checked without a kernel instead, lives in
:mod:`handson_rl.maintainers.notebook_cells` (tested by
tests/test_exercise_notebooks.py).
"""

from __future__ import annotations

from handson_rl.maintainers.notebook_cells import adds_nothing_to_the_solution_run


def pytest_ignore_collect(collection_path, config):
    # Also true for a notebook identical to its solution (same_as_solution).
    if adds_nothing_to_the_solution_run(collection_path):
        return True
    return None
