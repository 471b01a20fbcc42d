"""Which exercise notebooks CI executes again, and what it checks without a kernel.

CI executes every solution notebook when it builds the website (``course.sh
test``, step 1). Executing an exercise notebook in ``notebooks/`` under nbval
(its ``nbval-skip`` cells left out) adds something only when it runs code the
solution run does not:

- a notebook whose cells are identical to its solution (a chapter without an
  exercise) would only run the same code twice (:func:`same_as_solution`);
- a notebook whose differing cells are all skipped by CI (a stub at the top level
  of a cell, the ``check`` and ``needs-solution`` cells) runs exactly the
  solution's cells minus the exercise's (:func:`runs_only_solution_cells`): the
  solution run already covers them, and what the left-out cells could break, a
  later cell needing a name they define, is found without a kernel by
  :func:`names_missing_after_skipped_cells`.

The repository's ``conftest.py`` leaves the second kind out of pytest's collection;
exercise notebooks that run a stub cell (a stub inside a function, which CI
executes) still run under nbval, so a stub that breaks the cells after it is caught.

An exercise notebook ``<course>/notebooks/NN_x.ipynb`` has its solution at
``<course>/solutions/NN_x.ipynb``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

SKIP = "nbval-skip"


def cells(path: Path) -> list[tuple[str, str, tuple]]:
    """``(cell type, source, tags)`` of each cell of a notebook."""
    nb = json.loads(Path(path).read_text())
    return [
        (c["cell_type"], "".join(c["source"]), tuple(c.get("metadata", {}).get("tags", [])))
        for c in nb["cells"]
    ]


def solution_of(path: Path) -> Path | None:
    """The solution notebook of an exercise notebook in ``notebooks/``, if there is one."""
    path = Path(path)
    if path.suffix != ".ipynb" or path.parent.name != "notebooks":
        return None
    solution = path.parent.parent / "solutions" / path.name
    return solution if solution.exists() else None


def same_as_solution(path: Path) -> bool:
    solution = solution_of(path)
    return solution is not None and cells(solution) == cells(path)


def _executed_pairs(path: Path) -> list[tuple[tuple, tuple]] | None:
    """The cells CI executes in this exercise notebook, each with the solution's cell at
    that place; None when there is no solution or the two differ in length."""
    solution = solution_of(path)
    if solution is None:
        return None
    ours, theirs = cells(path), cells(solution)
    if len(ours) != len(theirs):
        return None
    return [
        (mine, other)
        for mine, other in zip(ours, theirs, strict=True)
        if mine[0] == "code" and SKIP not in mine[2]
    ]


def runs_only_solution_cells(path: Path) -> bool:
    """Every cell CI executes in this exercise notebook is the solution's cell at that place."""
    pairs = _executed_pairs(path)
    return pairs is not None and all(mine[:2] == other[:2] for mine, other in pairs)


def _only_defines(source: str) -> bool:
    """The cell runs nothing when executed: only comments, docstrings and undecorated
    functions whose defaults are constants (a stub's body runs only when called)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.decorator_list:
            return False
        defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
        if not all(isinstance(d, ast.Constant) for d in defaults):
            return False
    return True


def adds_nothing_to_the_solution_run(path: Path) -> bool:
    """Executing this exercise notebook under nbval would run nothing the solution run
    (the website build) does not: every executed cell that differs from the solution's
    only defines stubs (:func:`_only_defines`), and no later executed cell uses what a
    skipped or stub cell defines (:func:`names_missing_after_skipped_cells` is empty).
    Also true for :func:`runs_only_solution_cells`."""
    pairs = _executed_pairs(path)
    if pairs is None:
        return False
    for mine, other in pairs:
        if mine[:2] != other[:2] and (other[0] != "code" or not _only_defines(mine[1])):
            return False
    return not names_missing_after_skipped_cells(path)


def _stored(node: ast.AST) -> set[str]:
    return {
        n.id
        for n in ast.walk(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))
    }


def _reads(node: ast.AST) -> set[str]:
    """Names a statement reads from the notebook's namespace (not a function's own locals)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        args = node.args
        params = {
            a.arg
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            if a
        }
        defaults = set().union(*(_reads(d) for d in [*args.defaults, *args.kw_defaults] if d))
        body = node.body if isinstance(node.body, list) else [node.body]
        own = params | set().union(*(_stored(b) for b in body))
        return defaults | (set().union(*(_reads(b) for b in body)) - own)
    names = {node.id} if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) else set()
    for child in ast.iter_child_nodes(node):
        names |= _reads(child)
    return names


def bound_and_loaded(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds at its top level, and names it reads before binding them."""
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.parse(source).body:
        loaded |= _reads(node) - bound
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            bound |= _stored(node)
    return bound, loaded


def names_missing_after_skipped_cells(path: Path) -> list[str]:
    """Problems CI's run of an exercise notebook would meet because it skips cells.

    Returns one line per executed cell that reads a name bound only by a skipped
    cell (it would raise NameError when the learner has not written the answer
    yet) or calls a function a stub cell defines (it raises NotImplementedError).
    """
    ours = cells(path)
    solution = solution_of(path)
    theirs = cells(solution) if solution else ours
    executed_bound: set[str] = set()
    skipped_bound: set[str] = set()
    stubs: set[str] = set()
    problems = []
    for index, (kind, source, tags) in enumerate(ours):
        if kind != "code":
            continue
        bound, loaded = bound_and_loaded(source)
        if SKIP in tags:
            skipped_bound |= bound - executed_bound
            continue
        for name in sorted(loaded & (skipped_bound | stubs)):
            why = (
                "a stub defines it (calling it raises)"
                if name in stubs
                else "only a skipped cell binds it"
            )
            problems.append(f"{Path(path).name} cell {index} reads {name!r}: {why}")
        if index < len(theirs) and source != theirs[index][1]:
            stubs |= bound
        else:
            stubs -= bound
        executed_bound |= bound
        skipped_bound -= bound
    return problems
