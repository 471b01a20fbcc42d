"""The lock: every package and version the course installs, one file.

pyproject.toml pins the course's direct dependencies exactly; the ~170 packages
they pull in would float. ``requirements/lock.txt`` freezes all of them (every
extra), as resolved from pyproject.toml in a fresh virtual environment.
``course.sh`` installs with the lock as pip's constraints file, so a learner's
``.venv`` holds exactly the versions CI tested.

Platforms: the lock is resolved on Linux x86_64 with CPython 3.11 (the machines
CI runs on; PyTorch's CPU build). Used as constraints, it pins the same
versions on macOS: a package the lock lists that a platform does not need is
not installed there, and a package only another platform needs (none on Linux
x86_64) would not be pinned by it. Only Linux x86_64 is tested.

Commands (run with the course's ``.venv/bin/python``)::

    python -m handson_rl.maintainers.lock            # refresh: resolve again, write the lock
    python -m handson_rl.maintainers.lock --check    # is the lock current, and this .venv equal to it?

The refresh creates a temporary virtual environment, installs the course with
all extras from pyproject.toml alone (no lock), and writes ``pip freeze``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import platform
import re
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from pathlib import Path

from handson_rl.paths import ROOT

LOCK = ROOT / "requirements" / "lock.txt"
PYPROJECT = ROOT / "pyproject.toml"
# Installed in every venv by its own tools, not by the course's requirements.
NOT_LOCKED = {"pip", "setuptools", "wheel", "handson-rl"}
DIGEST_LINE = "# pyproject-requirements-sha256: "


def normalize(name: str) -> str:
    """PEP 503 name: ``PyYAML`` and ``pyyaml``, ``jupyter_core`` and ``jupyter-core`` agree."""
    return re.sub(r"[-_.]+", "-", name).lower()


def public_version(version: str) -> str:
    """``2.13.0+cpu`` -> ``2.13.0``: the lock pins the release, not a local build label."""
    return version.split("+", 1)[0]


def project_table(pyproject: Path = PYPROJECT) -> dict:
    return tomllib.loads(pyproject.read_text())["project"]


def extras(pyproject: Path = PYPROJECT) -> list[str]:
    """Every extra pyproject.toml defines: the lock (and every install) covers all."""
    return sorted(project_table(pyproject).get("optional-dependencies", {}))


def requirements_digest(pyproject: Path = PYPROJECT) -> str:
    """A hash of what pyproject.toml asks for (its requirements, not its comments)."""
    project = project_table(pyproject)
    asked = {
        "dependencies": sorted(project.get("dependencies", [])),
        "optional-dependencies": {
            k: sorted(v) for k, v in sorted(project.get("optional-dependencies", {}).items())
        },
        "requires-python": project.get("requires-python"),
    }
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


def parse_lock(text: str) -> tuple[dict[str, str], str | None]:
    """(normalized name -> version, the pyproject digest the lock was made from)."""
    pins, digest = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(DIGEST_LINE):
            digest = line[len(DIGEST_LINE) :].strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise ValueError(f"lock line {line!r} is not NAME==VERSION")
        pins[normalize(name.split("[")[0])] = version.strip()
    return pins, digest


def read_lock(path: Path = LOCK) -> tuple[dict[str, str], str | None]:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: create it with `.venv/bin/python -m handson_rl.maintainers.lock`."
        )
    return parse_lock(path.read_text())


def installed_packages() -> dict[str, str]:
    """What this Python environment holds (normalized name -> public version).

    Only the environment's own site-packages: a path another library added to
    ``sys.path`` at run time (the base Python's, say) is not part of the venv.
    """
    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    found = {}
    for dist in importlib.metadata.distributions(path=paths):
        name = dist.metadata["Name"]
        if name and normalize(name) not in NOT_LOCKED:
            found[normalize(name)] = public_version(dist.version)
    return found


def differences(locked: dict[str, str], installed: dict[str, str]) -> list[str]:
    """One line per package where the environment and the lock disagree."""
    lines = []
    for name in sorted(set(locked) | set(installed)):
        want, have = locked.get(name), installed.get(name)
        if want == have:
            continue
        if have is None:
            lines.append(f"{name}: the lock pins {want}, not installed")
        elif want is None:
            lines.append(f"{name}: {have} installed, not in the lock")
        else:
            lines.append(f"{name}: {have} installed, the lock pins {want}")
    return lines


def stale_reasons(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> list[str]:
    """Why the lock no longer matches pyproject.toml (empty: it does)."""
    pins, digest = read_lock(lock)
    reasons = []
    if digest != requirements_digest(pyproject):
        reasons.append("pyproject.toml's requirements changed since the lock was made")
    project = project_table(pyproject)
    asked = list(project.get("dependencies", []))
    for group in project.get("optional-dependencies", {}).values():
        asked += group
    for requirement in asked:
        match = re.match(r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*==\s*([^\s;,]+)", requirement)
        if match:
            name, version = normalize(match.group(1)), match.group(3)
            if pins.get(name) != version:
                reasons.append(
                    f"pyproject.toml pins {name}=={version}, the lock has {pins.get(name)}"
                )
    return reasons


def render_lock(freeze_lines: list[str], digest: str) -> str:
    pins = {}
    for line in freeze_lines:
        line = line.strip()
        if not line or line.startswith("#") or "==" not in line:
            continue  # editable installs and comments
        name, version = line.split("==", 1)
        if normalize(name) not in NOT_LOCKED:
            pins[normalize(name)] = public_version(version)
    header = [
        "# The lock: every package and version `bash course.sh` installs (all extras).",
        "# Generated by `.venv/bin/python -m handson_rl.maintainers.lock` from pyproject.toml;",
        "# do not edit by hand. Resolved on Linux x86_64, CPython 3.11 (what CI tests);",
        "# course.sh installs with it as pip's constraints file (-c).",
        f"{DIGEST_LINE}{digest}",
    ]
    return (
        "\n".join(header + [f"{name}=={version}" for name, version in sorted(pins.items())]) + "\n"
    )


def resolve(python: str) -> list[str]:
    """Install the course with every extra into a new venv; its ``pip freeze``."""
    with tempfile.TemporaryDirectory(prefix="course-lock-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        spec = f"{ROOT}[{','.join(extras())}]"
        subprocess.run(
            pip + ["install", "--quiet", "--disable-pip-version-check", spec], check=True
        )
        freeze = subprocess.run(
            pip + ["freeze", "--exclude-editable"], check=True, capture_output=True, text=True
        )
        return freeze.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check: the lock matches pyproject.toml and this environment",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the Python 3.11 to resolve with (default: this one)",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_reasons() + differences(read_lock()[0], installed_packages())
        for line in problems:
            print(line)
        print(
            "lock: "
            + (
                "out of date or not installed"
                if problems
                else "current, and this environment matches it"
            )
        )
        return 1 if problems else 0
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        print(
            f"Note: resolving on {platform.system()} {platform.machine()}; the committed lock "
            "is meant to be resolved on Linux x86_64.",
            file=sys.stderr,
        )
    old = read_lock()[0] if LOCK.exists() else {}
    LOCK.parent.mkdir(exist_ok=True)
    LOCK.write_text(render_lock(resolve(args.python), requirements_digest()))
    new = read_lock()[0]
    changed = [name for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
    print(
        f"Wrote {LOCK.relative_to(ROOT)}: {len(new)} packages; {len(changed)} changed since the last lock."
    )
    for name in changed:
        print(f"  {name}: {old.get(name, '(none)')} -> {new.get(name, '(none)')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
