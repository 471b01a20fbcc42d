"""Which exercise notebooks CI executes, and what it checks without a kernel.

CI executes every solution notebook (the website build). An exercise notebook is
executed again under nbval only when it runs a cell the solution does not (see
handson_rl.maintainers.notebook_cells, which the repository's conftest.py asks);
for the others, a cell that runs after the exercise's skipped cells must not need
anything they define.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handson_rl.maintainers import notebook_cells
from handson_rl.paths import ROOT

EXERCISE_NOTEBOOKS = sorted(
    p for p in (ROOT / "notebooks").glob("*.ipynb") if not notebook_cells.same_as_solution(p)
)


def _notebook(tmp_path: Path, folder: str, cells: list[tuple[str, list[str]]]) -> Path:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": source,
                "metadata": {"tags": tags},
                "outputs": [],
                "execution_count": None,
            }
            for source, tags in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / folder / "01_x.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def test_the_course_has_exercise_notebooks():
    assert {"02", "07", "08", "09"} <= {
        p.name[:2] for p in EXERCISE_NOTEBOOKS
    }  # Exercises 1-4, and tasks


@pytest.mark.parametrize("path", EXERCISE_NOTEBOOKS, ids=lambda p: p.stem)
def test_no_cell_after_a_skipped_exercise_cell_needs_it(path):
    assert notebook_cells.names_missing_after_skipped_cells(path) == []


def test_ci_executes_no_exercise_notebook_again():
    # Their differing cells only define stubs (Exercise 1's run_episode, the tasks'
    # functions), which no later executed cell calls: the website build ran the rest.
    executed = [
        p.name[:2]
        for p in EXERCISE_NOTEBOOKS
        if not notebook_cells.adds_nothing_to_the_solution_run(p)
    ]
    assert executed == []


def test_a_differing_cell_that_runs_code_is_executed_again(tmp_path):
    _notebook(
        tmp_path, "solutions", [("def f():\n    return 1", []), ("x = 2", []), ("print(x)", [])]
    )
    stub = _notebook(
        tmp_path,
        "notebooks",
        [("def f():\n    raise NotImplementedError", []), ("x = 2", []), ("print(x)", [])],
    )
    assert notebook_cells.adds_nothing_to_the_solution_run(stub)
    for differing in (
        "x = 3",
        "@cache\ndef f():\n    return 2",
        "def f(n=compute()):\n    return n",
    ):
        path = _notebook(tmp_path, "notebooks", [(differing, []), ("x = 2", []), ("print(x)", [])])
        assert not notebook_cells.adds_nothing_to_the_solution_run(path), differing
    calls_stub = _notebook(
        tmp_path,
        "notebooks",
        [("def f():\n    raise NotImplementedError", []), ("x = f()", []), ("print(x)", [])],
    )
    assert not notebook_cells.adds_nothing_to_the_solution_run(calls_stub)


def test_a_later_cell_reading_what_only_a_skipped_cell_binds_is_reported(tmp_path):
    cells = [
        ("import ray", []),
        ("results = fit()", ["nbval-skip"]),
        ("print(results)", []),
        ("ray.shutdown()", []),
    ]
    path = _notebook(tmp_path, "notebooks", cells)
    assert notebook_cells.names_missing_after_skipped_cells(path) == [
        "01_x.ipynb cell 2 reads 'results': only a skipped cell binds it"
    ]


def test_a_name_bound_again_by_an_executed_cell_is_fine(tmp_path):
    cells = [
        ("results = fit()", ["nbval-skip"]),
        ("results = None", []),
        ("def f(results):\n    return results", []),
        ("print(results, f)", []),
    ]
    assert (
        notebook_cells.names_missing_after_skipped_cells(_notebook(tmp_path, "notebooks", cells))
        == []
    )


def test_a_later_cell_calling_a_stub_is_reported(tmp_path):
    _notebook(tmp_path, "solutions", [("def play():\n    return 1", []), ("play()", [])])
    path = _notebook(
        tmp_path, "notebooks", [("def play():\n    raise NotImplementedError", []), ("play()", [])]
    )
    assert notebook_cells.names_missing_after_skipped_cells(path) == [
        "01_x.ipynb cell 1 reads 'play': a stub defines it (calling it raises)"
    ]
    assert not notebook_cells.runs_only_solution_cells(
        path
    )  # the stub cell runs: nbval executes it


def test_a_notebook_whose_differing_cells_are_all_skipped_runs_only_solution_cells(tmp_path):
    _notebook(
        tmp_path, "solutions", [("import ray", []), ("x = 1", ["check"]), ("ray.shutdown()", [])]
    )
    path = _notebook(
        tmp_path,
        "notebooks",
        [("import ray", []), ("raise NotImplementedError", ["nbval-skip"]), ("ray.shutdown()", [])],
    )
    assert notebook_cells.runs_only_solution_cells(path)
    assert not notebook_cells.same_as_solution(path)


def test_only_notebooks_in_a_notebooks_folder_with_a_solution_have_one(tmp_path):
    path = _notebook(tmp_path, "notebooks", [("x = 1", [])])
    assert notebook_cells.solution_of(path) is None  # no solutions/01_x.ipynb beside it
    solution = _notebook(tmp_path, "solutions", [("x = 1", [])])
    assert notebook_cells.solution_of(path) == solution
    assert (
        notebook_cells.solution_of(solution) is None
        and notebook_cells.solution_of(tmp_path / "lesson.py") is None
    )
    assert notebook_cells.same_as_solution(path) and notebook_cells.runs_only_solution_cells(path)


def test_a_cell_binds_imports_functions_and_assignments_and_reads_the_rest():
    bound, loaded = notebook_cells.bound_and_loaded(
        "import numpy as np\nfrom a.b import c\ndef f(x, k=default):\n    y = x + g\n    return y\nz = f(w)\nprint(z)"
    )
    assert bound == {"np", "c", "f", "z"}
    assert loaded == {"default", "g", "w", "print"}


def test_the_repository_conftest_leaves_out_exactly_the_notebooks_the_site_covers():
    import importlib.util

    # By path: "import conftest" could find another conftest pytest already imported.
    spec = importlib.util.spec_from_file_location("repo_conftest", ROOT / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    left_out = [p for p in notebooks if conftest.pytest_ignore_collect(p, None)]
    assert left_out == [p for p in notebooks if notebook_cells.adds_nothing_to_the_solution_run(p)]
    assert conftest.pytest_ignore_collect(ROOT / "lessons", None) is None
