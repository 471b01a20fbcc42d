"""Repository-wide pytest settings for executing notebooks.

An exercise notebook in ``notebooks/`` whose cells are identical to its solution
in ``solutions/`` (a chapter without an exercise) would only run the same code
twice: CI executes the solution copy alone. Exercise notebooks that differ (they
have stubs) still run, so a stub that breaks the cells after it is caught.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _cells(path: Path) -> list[tuple[str, str, tuple]]:
    nb = json.loads(path.read_text())
    return [
        (c["cell_type"], "".join(c["source"]), tuple(c.get("metadata", {}).get("tags", [])))
        for c in nb["cells"]
    ]


def same_as_solution(path: Path) -> bool:
    path = Path(path)
    if path.suffix != ".ipynb" or path.parent.name != "notebooks":
        return False
    solution = ROOT / "solutions" / path.name
    return solution.exists() and _cells(solution) == _cells(path)


def pytest_ignore_collect(collection_path, config):
    if same_as_solution(collection_path):
        return True
    return None
