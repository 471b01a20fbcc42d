"""RLlib's result-dict keys are spelled in one module: handson_rl/training/results.py.

Every other module of the package and of bench/ reads results through its
constants and accessors, so a Ray upgrade that moves a key is fixed in one place.
The scan looks at string literals in code (docstrings and the text of messages,
i.e. f-strings, may mention a key to explain it). No Ray needed; well under a second.
"""

from __future__ import annotations

import ast
import re

from handson_rl.paths import ROOT

OWNER = ROOT / "src" / "handson_rl" / "training" / "results.py"
SCANNED = [ROOT / "src" / "handson_rl", ROOT / "bench"]

#: The top-level sections of an ``algo.train()`` result and the leaf names the
#: course reads: a string literal equal to one, or a path ("a/b") starting with a
#: section, is a key spelled outside results.py.
SECTIONS = ("env_runners", "learners", "timers", "fault_tolerance")
LEAVES = {
    "training_iteration",
    "time_this_iter_s",
    "num_env_steps_sampled_lifetime",
    "episode_return_mean",
    "agent_episode_returns_mean",
    "num_episodes",
    "num_remote_worker_restarts",
    "num_healthy_workers",
    "env_runner_sampling_timer",
    "learner_update_timer",
}
KEY = re.compile(rf"^({'|'.join(SECTIONS)})(/\S*)?$")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def keys_spelled_in(source: str) -> list[tuple[int, str]]:
    """(line, literal) of each result key written as a string literal in ``source``."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # message text
            skip.update(id(value) for value in node.values)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if node.value in LEAVES or KEY.match(node.value):
                found.append((node.lineno, node.value))
    return sorted(found)


def test_result_keys_only_in_results_module():
    offenders = []
    for folder in SCANNED:
        for path in sorted(folder.rglob("*.py")):
            if path == OWNER:
                continue
            for line, key in keys_spelled_in(path.read_text()):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {key!r}")
    assert not offenders, (
        "RLlib result keys spelled outside handson_rl/training/results.py (use its "
        "constants and accessors: get, runner_metric, learner_stats, timer, ...):\n"
        + "\n".join(offenders)
    )


def test_the_scan_finds_a_key():
    """The scan can fail: a key read directly is found, a docstring or message is not."""
    source = (
        "def f(result):\n"
        '    """Reads result["env_runners"]."""\n'
        '    steps = result["env_runners"]["num_env_steps_sampled_lifetime"]\n'
        "    print(f\"no key {steps} in result['timers']\")\n"
        '    return result.get("timers/learner_update_timer"), result["training_iteration"]\n'
    )
    assert keys_spelled_in(source) == [
        (3, "env_runners"),
        (3, "num_env_steps_sampled_lifetime"),
        (5, "timers/learner_update_timer"),
        (5, "training_iteration"),
    ]


def test_results_module_spells_the_keys():
    """The owner itself does hold the keys (the scan's patterns are not stale)."""
    assert keys_spelled_in(OWNER.read_text())
