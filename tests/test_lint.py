"""ruff's lint and format checks over the course's own code (fast tier, ~1 s of CPU).

The rules are in pyproject.toml (``[tool.ruff]``); contributors run the same checks
before each commit through .pre-commit-config.yaml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from handson_rl.paths import ROOT

#: What ruff checks: the package, the bench scripts, the tests and the lessons
#: (notebooks/ and solutions/ are generated from the lessons and excluded).
CHECKED = ["src", "bench", "tests", "lessons", "conftest.py"]

#: True since the whole repository was formatted once with ``ruff check --fix`` and
#: ``ruff format``: CI fails on any lint error or unformatted file. (False would turn
#: both checks into skips that print the report.)
ENFORCED = True


def _ruff() -> str:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return str(exe)
    found = shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: it is in the `test` extra (bash course.sh setup).")
    return found


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_ruff(), *args, *CHECKED], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _enforce(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode == 0:
        return
    report = (result.stdout + result.stderr)[-4000:]
    if not ENFORCED:
        pytest.skip(f"{what} not enforced yet (tests/test_lint.py: ENFORCED = False):\n{report}")
    pytest.fail(f"{what} failed:\n{report}")


def test_ruff_check():
    _enforce(_run("check", "--no-fix"), "ruff check")


def test_ruff_format():
    _enforce(_run("format", "--check"), "ruff format --check")


def test_ruff_configuration_is_read():
    """A mistake ruff's rules catch is reported, so the checks above can fail."""
    bad = "import os\nimport sys\n\nprint(sys.argv)\n"
    result = subprocess.run(
        [_ruff(), "check", "--no-fix", "--stdin-filename", "src/handson_rl/example.py", "-"],
        cwd=ROOT,
        input=bad,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "F401" in result.stdout
