"""`bash course.sh lab`, the README's main command, the way a learner runs it.

The launcher's decisions (``--allow-root`` as root, ``--no-browser`` without a
display, the address it prints) are checked directly; the command itself is run
as in a terminal (headless, as the CI user, which is root in CI) on a busy port,
and the address it prints is opened in Chromium, where chapter 1 must be open and
its first cell must run. The set-up's failure modes are run with fake
interpreters in a copy of course.sh.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from handson_rl import lab

ROOT = Path(__file__).resolve().parents[1]


# --- the launcher's decisions -------------------------------------------------


def test_root_gets_allow_root_and_a_headless_machine_no_browser():
    cmd = lab.lab_command([], root=True, display=False)
    assert "--allow-root" in cmd and "--no-browser" in cmd
    assert f"--LabApp.default_url=/lab/tree/{lab.FIRST_NOTEBOOK}" in cmd
    cmd = lab.lab_command(["--port", "9000"], root=False, display=True)
    assert "--allow-root" not in cmd and "--no-browser" not in cmd
    assert cmd[-2:] == ["--port", "9000"]


def test_a_linux_machine_without_display_is_headless():
    assert not lab.has_display({}, "linux", kernel_release="6.8.0-49-generic")
    assert lab.has_display({}, "linux", kernel_release="5.15.167.4-microsoft-standard-WSL2")
    assert lab.has_display({"DISPLAY": ":0"}, "linux")
    assert lab.has_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert lab.has_display({}, "darwin")


def test_asked_port_reads_every_spelling():
    assert lab.asked_port([]) == 8888
    assert lab.asked_port(["--port", "9000"]) == 9000
    assert lab.asked_port(["--port=9001"]) == 9001
    assert lab.asked_port(["--ServerApp.port=9002"]) == 9002


def test_the_address_is_the_last_thing_printed_and_a_busy_port_is_named():
    info = {"url": "http://localhost:8889/", "port": 8889, "token": "abc"}
    message = lab.ready_message(info, asked_port=8888)
    lines = [line for line in message.splitlines() if line.strip()]
    assert lines[-1].strip() == (
        "http://localhost:8889/lab/tree/notebooks/01_rl_and_rllib_in_a_nutshell.ipynb?token=abc"
    )
    assert "Port 8888 was busy, so JupyterLab took port 8889." in message
    assert "ssh -L 8889:localhost:8889" in message
    assert "busy" not in lab.ready_message(info, asked_port=8889)


# --- the set-up's failure modes ------------------------------------------------


def _fake_python(tmp_path: Path, version_ok: bool, venv_ok: bool) -> Path:
    """A stand-in interpreter: answers course.sh's version and venv checks as told."""
    fake = tmp_path / "fake-python"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'case "$*" in\n'
        f'  *--version*) echo "Python {"3.11.9" if version_ok else "3.10.12"}";;\n'
        f"  *version_info*) exit {0 if version_ok else 1};;\n"
        f"  *ensurepip*) exit {0 if venv_ok else 1};;\n"
        '  *) echo "fake python: unexpected $*" >&2; exit 3;;\n'
        "esac\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def _run_course_sh(tmp_path: Path, *args: str, **env) -> subprocess.CompletedProcess:
    copy = tmp_path / "course"
    copy.mkdir(exist_ok=True)
    (copy / "course.sh").write_text((ROOT / "course.sh").read_text())
    return subprocess.run(
        ["bash", str(copy / "course.sh"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def _last_line(result: subprocess.CompletedProcess) -> str:
    return [line for line in result.stderr.splitlines() if line.strip()][-1]


def test_lab_without_python_311_says_what_to_install(tmp_path):
    result = _run_course_sh(tmp_path, "lab", PYTHON=str(_fake_python(tmp_path, False, True)))
    assert result.returncode == 1
    assert _last_line(result).startswith("The course needs Python 3.11;")
    assert "is Python 3.10.12" in _last_line(result)
    assert "PYTHON=/path/to/python3.11 bash course.sh lab" in _last_line(result)
    assert not (tmp_path / "course" / ".venv").exists()


def test_lab_with_a_missing_interpreter_says_so(tmp_path):
    result = _run_course_sh(tmp_path, "lab", PYTHON=str(tmp_path / "no-such-python"))
    assert result.returncode == 1
    assert "was not found" in _last_line(result)


def test_lab_without_the_venv_module_names_the_package(tmp_path):
    result = _run_course_sh(tmp_path, "lab", PYTHON=str(_fake_python(tmp_path, True, False)))
    assert result.returncode == 1
    assert "sudo apt install python3.11-venv" in _last_line(result)


def test_lab_without_disk_space_says_how_much_is_needed(tmp_path):
    result = _run_course_sh(tmp_path, "lab", COURSE_NEEDED_GB="1000000")
    assert result.returncode == 1
    assert _last_line(result).startswith("The course needs about 1000000 GB of free disk space")


def test_lab_without_network_says_the_index_is_unreachable(tmp_path):
    copy = tmp_path / "course"
    (copy / "requirements").mkdir(parents=True)
    for name in ("pyproject.toml", "requirements/lock.txt"):
        (copy / name).write_text((ROOT / name).read_text())
    result = _run_course_sh(
        tmp_path,
        "setup",
        PIP_CONFIG_FILE=os.devnull,  # no local wheel folders or mirrors: only the index below
        PIP_INDEX_URL="http://127.0.0.1:9/simple",
        PIP_RETRIES="0",
        PIP_TIMEOUT="2",
        PIP_NO_CACHE_DIR="1",
        PYTHON=_python311(),
    )
    assert result.returncode == 1
    assert _last_line(result).startswith("pip could not download the packages")
    assert (copy / ".venv" / "pip-install.log").exists()


def _python311() -> str:
    """The Python 3.11 this .venv was made from (a real one, for a real venv)."""
    import sysconfig

    return str(Path(sysconfig.get_config_var("BINDIR")) / "python3.11")
