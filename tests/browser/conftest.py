"""Fixtures for the browser test: a JupyterLab server and a headless Chromium page.

JupyterLab (the version the README installs) is served on 127.0.0.1 with a random
free port and a random token, from a temporary copy of ``notebooks/`` (running
cells in the browser must not touch the generated notebooks in the repository),
with ``COURSE_BUDGET=smoke``. Debian's Chromium (``/usr/bin/chromium``, installed
by ``.ci/install_browser.sh``) is driven by Playwright for Python; the test never
downloads a browser of its own.

Without Chromium or Playwright the browser tests skip, saying why and how to
install them; under CI (``CI`` set) they fail instead, because there they must run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
HOW_TO_INSTALL = "Install them with `bash .ci/install_browser.sh` (needs root for apt-get)."


def _missing_or_fail(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} CI must run the browser test. {HOW_TO_INSTALL}")
    pytest.skip(f"{reason} {HOW_TO_INSTALL}")


@pytest.fixture(scope="session")
def missing_or_fail():
    """Skip (or, under CI, fail) a browser test whose requirement is missing."""
    return _missing_or_fail


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """A copy of the course's notebooks (and what they link to) for the server."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(
        ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("outputs")
    )
    for extra in ("images", "videos", "docs"):
        if (ROOT / extra).is_dir():
            shutil.copytree(ROOT / extra, root / extra)
    return root


@pytest.fixture(scope="session")
def jupyter_lab(lab_root, tmp_path_factory):
    """Start ``jupyter lab`` headless; yield ``(base_url, token)``; stop it."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.fail(f"{jupyter} not found: install the course with `bash course.sh setup`.")
    home = tmp_path_factory.mktemp("jupyter_home")
    settings = home / "settings"
    # Render every cell, not only the ones on screen (JupyterLab 4 virtualises
    # long notebooks by default, so off-screen diagrams would never render).
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    # No "would you like news?" toast.
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "COURSE_BUDGET": "smoke",
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    log = open(home / "server.log", "w")
    server = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={lab_root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI runs as root
        ],
        cwd=lab_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    "jupyter lab exited during start-up:\n"
                    + (home / "server.log").read_text()[-3000:]
                )
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter lab did not answer within 90 s")
            time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _missing_or_fail(f"No Chromium at {CHROMIUM}.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_or_fail("Playwright for Python is not installed (the `browser` extra).")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def lab_page(browser, jupyter_lab):
    """One JupyterLab page for all notebooks (JupyterLab boots once)."""
    base, token = jupyter_lab
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/lab?token={token}&reset")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    page.wait_for_selector(".jp-LabShell", state="attached")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield page
    finally:
        context.close()
