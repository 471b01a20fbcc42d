"""The lock (requirements/lock.txt): current against pyproject.toml, and what is installed.

A learner's ``.venv`` must hold exactly the versions CI tested. ``course.sh``
installs with the lock as constraints; these tests fail when this environment
differs from the lock, when the lock is stale against pyproject.toml, or when
environment.yml asks for other versions.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from handson_rl.maintainers import lock

ROOT = Path(__file__).resolve().parents[1]
HOW_TO_FIX = (
    "Set the environment up again with `bash course.sh setup`; if pyproject.toml changed, "
    "refresh the lock with `.venv/bin/python -m handson_rl.maintainers.lock` and commit it."
)


def test_this_environment_is_exactly_the_lock():
    locked, _ = lock.read_lock()
    problems = lock.differences(locked, lock.installed_packages())
    assert not problems, (
        "This environment differs from the lock:\n" + "\n".join(problems) + "\n" + HOW_TO_FIX
    )


def test_the_lock_is_current_with_pyproject():
    assert lock.stale_reasons() == [], HOW_TO_FIX


def test_the_lock_covers_every_extra_and_every_direct_pin():
    locked, _ = lock.read_lock()
    for name in (
        "ray",
        "torch",
        "gymnasium",
        "jupyterlab",
        "pytest",
        "sphinx",
        "playwright",
        "stable-baselines3",
    ):
        assert name in locked, f"{name} is missing from the lock"
    assert locked["torch"] == "2.13.0"  # the release, not the local "+cpu" build label


def test_a_changed_pin_makes_the_lock_stale(tmp_path):
    text = (ROOT / "pyproject.toml").read_text().replace('"pandas==3.1.1"', '"pandas==3.1.0"')
    assert '"pandas==3.1.0"' in text
    changed = tmp_path / "pyproject.toml"
    changed.write_text(text)
    reasons = lock.stale_reasons(pyproject=changed)
    assert "pyproject.toml's requirements changed since the lock was made" in reasons
    assert "pyproject.toml pins pandas==3.1.0, the lock has 3.1.1" in reasons


def test_a_comment_in_pyproject_does_not_make_the_lock_stale(tmp_path):
    changed = tmp_path / "pyproject.toml"
    changed.write_text((ROOT / "pyproject.toml").read_text() + "\n# a comment\n")
    assert lock.requirements_digest(changed) == lock.requirements_digest()


def test_differences_name_each_kind_of_mismatch():
    lines = lock.differences(
        {"a": "1.0", "b": "2.0", "c": "3.0"}, {"a": "1.0", "b": "2.1", "d": "4.0"}
    )
    assert lines == [
        "b: 2.1 installed, the lock pins 2.0",
        "c: the lock pins 3.0, not installed",
        "d: 4.0 installed, not in the lock",
    ]


def test_render_lock_normalizes_names_drops_build_labels_and_tools():
    text = lock.render_lock(
        [
            "PyYAML==6.0.3",
            "torch==2.13.0+cpu",
            "pip==23.2.1",
            "-e git+https://x#egg=handson_rl",
            "jupyter_core==5.9.1",
        ],
        digest="abc",
    )
    pins, digest = lock.parse_lock(text)
    assert pins == {"pyyaml": "6.0.3", "torch": "2.13.0", "jupyter-core": "5.9.1"}
    assert digest == "abc"


def test_a_malformed_lock_line_is_an_error():
    try:
        lock.parse_lock("ray>=2\n")
    except ValueError as error:
        assert "is not NAME==VERSION" in str(error)
    else:
        raise AssertionError("a line without == was accepted")


def test_environment_yml_installs_with_the_lock_and_its_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lines = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert "-c requirements/lock.txt" in pip_lines, "environment.yml must install with the lock"
    locked, _ = lock.read_lock()
    for line in pip_lines:
        match = re.match(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line)
        if match:
            name = lock.normalize(match.group(1))
            assert locked.get(name) == match.group(3), (
                f"environment.yml: {line}, the lock has {locked.get(name)}"
            )


def test_course_sh_installs_every_extra_with_the_lock():
    script = (ROOT / "course.sh").read_text()
    assert "LOCK=requirements/lock.txt" in script and '-c "$LOCK"' in script
    extras = re.search(r"ALL_EXTRAS=(\S+)", script).group(1).split(",")
    assert sorted(extras) == lock.extras(), (
        "course.sh must install every extra pyproject.toml defines"
    )


def test_a_path_added_at_run_time_is_not_part_of_the_environment(monkeypatch, tmp_path):
    stray = tmp_path / "stray_pkg-1.0.dist-info"
    stray.mkdir()
    (stray / "METADATA").write_text("Metadata-Version: 2.1\nName: stray-pkg\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "stray-pkg" not in lock.installed_packages()
