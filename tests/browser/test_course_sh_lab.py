"""`bash course.sh lab`, the README's main command, run as a learner runs it.

Headless (no DISPLAY), as the CI user (root in CI), with the asked port busy:
the command must say so, print the address to open as its last lines, and that
address, opened in Chromium, must show chapter 1 with a first cell that runs.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHAPTER1 = ROOT / "notebooks" / "01_rl_and_rllib_in_a_nutshell.ipynb"


def _busy_port() -> socket.socket:
    """A listening socket on a free port: JupyterLab must move to another one."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


@pytest.fixture
def lab_from_course_sh(tmp_path):
    """`bash course.sh lab --port P` with P busy, no display; yields (address, printed lines)."""
    home = tmp_path / "home"
    settings = home / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    # The server serves the repository itself: never let it save a notebook there.
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")},
        "COURSE_BUDGET": "smoke",
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    busy = _busy_port()
    port = busy.getsockname()[1]
    before = CHAPTER1.read_bytes()
    process = subprocess.Popen(
        ["bash", "course.sh", "lab", "--port", str(port), "--ServerApp.ip=127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    printed, address = [], None
    deadline = time.monotonic() + 300  # the first call may install the packages
    try:
        while address is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(
                    "bash course.sh lab ended before printing an address:\n" + "\n".join(printed)
                )
            printed.append(line)
            if "/lab/tree/notebooks/" in line:
                address = line.strip()
        assert address, "no address printed within 300 s:\n" + "\n".join(printed)
        time.sleep(1)
        while not lines.empty():
            item = lines.get()
            if item is not None:
                printed.append(item)
        yield address, printed, port
    finally:
        busy.close()
        os.killpg(process.pid, signal.SIGINT)  # Ctrl+C in the terminal
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        assert CHAPTER1.read_bytes() == before, (
            "the lab command changed notebooks/ in the repository"
        )


def test_course_sh_lab_serves_chapter_1_headless_as_this_user(lab_from_course_sh, browser):
    address, printed, busy = lab_from_course_sh
    text = "\n".join(printed)
    assert f"Port {busy} was busy, so JupyterLab took port" in text
    if os.geteuid() == 0:
        assert "Running as root" in text
    assert "No display here" in text
    assert printed[-1].strip() == "" or printed[-1].strip() == address  # the address comes last
    assert [line for line in printed if line.strip()][-1].strip() == address

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        page.goto(address)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", state="attached")
        tab = page.locator(
            ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel"
        ).first.inner_text()
        assert tab == CHAPTER1.name, f"the open tab is {tab!r}, not chapter 1"
        # The kernel starts with the notebook: wait until the status bar says it is idle.
        page.wait_for_function(
            "() => /\\|\\s*Idle/.test(document.querySelector('.jp-StatusBar-Widget')?.textContent || '')"
        )
        first_code = page.locator(".jp-CodeCell").first
        first_code.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        page.wait_for_function(
            """() => {
                const prompt = document.querySelector('.jp-CodeCell .jp-InputPrompt');
                return prompt && /\\[1\\]/.test(prompt.textContent);
            }"""
        )
        errors = first_code.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        assert "Traceback" not in (errors.all_inner_texts() and "\n".join(errors.all_inner_texts()))
        shot = ROOT / "test-artifacts" / "browser" / "course_sh_lab_chapter1.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
    finally:
        context.close()
    assert not [url for url in failed if "127.0.0.1" not in url and "localhost" not in url]
