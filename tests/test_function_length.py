"""Functions of at most 60 lines in src/ and bench/ (docs/conventions.md).

A longer function does several jobs; split it where its own comments mark the
steps. Declarative builders, which only list settings, options or markup, are
the exception, each named below. An AST scan: no imports, well under a second.
"""

from __future__ import annotations

import ast

from handson_rl.paths import ROOT

MAX_LINES = 60
SCANNED = ("src", "bench")

#: Declarative builders: one long list of settings, options or markup each.
DECLARATIVE = {
    "src/handson_rl/tools/cli.py:build_parser",  # argparse options, one after another
    "src/handson_rl/training/config.py:arena_ppo_config",  # the course's PPO settings
    "src/handson_rl/maintainers/site_pages.py:landing_page",  # the landing page's Markdown
    "src/handson_rl/maintainers/slides.py:deck_html",  # a deck's HTML
}

#: Long functions not split yet. Empty since 2026-12-02 (the last ten were split):
#: keep it so; an entry here must be split soon, and test_not_yet_split_is_still_long
#: fails once it has been, so that it is taken off.
NOT_YET_SPLIT: set[str] = set()


def function_lengths(source: str) -> dict[str, int]:
    """``{name: lines}`` of every function and method in ``source`` (decorators excluded)."""
    lengths = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lengths[node.name] = max(lengths.get(node.name, 0), node.end_lineno - node.lineno + 1)
    return lengths


def long_functions() -> dict[str, int]:
    found = {}
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for name, lines in function_lengths(path.read_text()).items():
                if lines > MAX_LINES:
                    found[f"{rel}:{name}"] = lines
    return found


def test_functions_are_at_most_60_lines():
    too_long = {
        where: lines
        for where, lines in long_functions().items()
        if where not in DECLARATIVE | NOT_YET_SPLIT
    }
    assert not too_long, (
        f"Functions over {MAX_LINES} lines (split them; a declarative builder goes in "
        f"tests/test_function_length.py's DECLARATIVE with the reason): {too_long}"
    )


def test_not_yet_split_is_still_long():
    long = long_functions()
    done = sorted(where for where in NOT_YET_SPLIT if where not in long)
    assert not done, f"Split now, take them off NOT_YET_SPLIT: {done}"


def test_the_scan_measures_a_function():
    source = (
        "def f():\n" + "    x = 1\n" * 61 + "\n\nclass A:\n    def g(self):\n        return 1\n"
    )
    assert function_lengths(source) == {"f": 62, "g": 2}
