"""The project's own files agree with each other: pins, CI command, notebooks."""

import json
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

from handson_rl.maintainers import build

ROOT = Path(__file__).resolve().parents[1]


def _pins(requirements):
    pins = {}
    for req in requirements:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)\s*", req)
        if m:
            pins[m.group(1).lower()] = (m.group(2) or "", m.group(3))
    return pins


def _pyproject_pins():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(data["dependencies"]) + [
        r for rs in data["optional-dependencies"].values() for r in rs
    ]
    for req in reqs:
        assert "==" in req, f"pyproject.toml: {req!r} is not pinned to an exact version"
    return _pins(reqs)


def test_core_packages_are_pinned_exactly():
    pins = _pyproject_pins()
    assert pins["ray"] == ("[default,rllib,tune]", "2.60.0")
    assert pins["torch"][1] == "2.13.0"
    assert "gymnasium" in pins and "jupyterlab" in pins


def test_gymnasium_pin_is_the_one_ray_pins():
    from importlib.metadata import requires

    ray_gym = [r for r in requires("ray") if r.startswith("gymnasium==") and "rllib" in r]
    assert ray_gym, "ray[rllib] no longer pins gymnasium exactly; revisit the pin"
    assert ray_gym[0].split(";")[0].split("==")[1] == _pyproject_pins()["gymnasium"][1]


def test_importing_ray_does_not_compile_rfc3987_syntax():
    """The jsonschema pin keeps rfc3987-syntax (a grammar compiled at import, 1-2 s
    in every process that imports Ray) out of the environment."""
    import subprocess
    import sys

    assert _pyproject_pins()["jsonschema"][1] == "4.24.0"
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ray; print('rfc3987_syntax' in sys.modules, 'lark' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"], (
        "import ray loaded rfc3987_syntax/lark: jsonschema is not the pinned 4.24.0 "
        "(bash course.sh setup reinstalls the pins)"
    )


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    conda_pins = _pins(pip_section)
    project = _pyproject_pins()
    for name in ("ray", "gymnasium", "torch"):
        assert conda_pins.get(name) == project[name], (
            f"environment.yml pins {name} as {conda_pins.get(name)}, "
            f"pyproject.toml as {project[name]}"
        )
    for name, pin in conda_pins.items():
        assert project.get(name) == pin, (
            f"environment.yml: {name} {pin} != pyproject {project.get(name)}"
        )
    assert "-e ." in pip_section


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash course.sh test" in readme
    assert re.search(r"^exec bash course\.sh test\s*$", ci, re.M)


def test_generated_notebooks_are_in_sync_with_lessons():
    problems = build.stale(ROOT)
    assert not problems, "Run `python -m handson_rl.maintainers.build`:\n" + "\n".join(problems)


def test_notebooks_are_clean():
    for folder in ("notebooks", "solutions"):
        paths = sorted((ROOT / folder).glob("*.ipynb"))
        assert paths, f"no notebooks in {folder}/"
        for path in paths:
            nb = json.loads(path.read_text())
            assert nb["metadata"]["kernelspec"]["name"] == "python3", path
            assert set(nb["metadata"]) == {"kernelspec", "language_info"}, path
            for cell in nb["cells"]:
                if cell["cell_type"] == "code":
                    assert cell["outputs"] == [] and cell["execution_count"] is None, path


def test_every_exercise_notebook_has_stubs_and_its_solution_has_none():
    for lesson in sorted((ROOT / "lessons").glob("*.py")):
        text = lesson.read_text()
        exercise = (ROOT / "notebooks" / f"{lesson.stem}.ipynb").read_text()
        solution = (ROOT / "solutions" / f"{lesson.stem}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in exercise and "BEGIN SOLUTION" not in solution
        if "BEGIN SOLUTION" in text:
            assert "NotImplementedError" in exercise
            assert exercise != solution


def test_the_repository_cites_only_its_own_documents():
    """Code, tests and docs cite docs/ (game.md, conventions.md), never an outside spec."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = "COURSE" + ".md"
    citing = [
        name
        for name in tracked
        if name.endswith((".py", ".md", ".sh", ".yml", ".toml"))
        and outside in (ROOT / name).read_text(errors="ignore")
    ]
    assert not citing, (
        f"{citing} cite {outside}, which is not part of this repository: cite docs/ instead"
    )
    for doc in ("docs/game.md", "docs/conventions.md"):
        assert (ROOT / doc).exists(), f"{doc} is missing"
