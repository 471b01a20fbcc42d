"""``bash course.sh lab``: start JupyterLab with chapter 1 open, wherever a learner is.

A learner may start the course as a normal user on a laptop, as root in a
container or a workshop image, on a server without a browser or a display, or
while another JupyterLab holds the default port. This launcher:

- adds ``--allow-root`` when it runs as root (JupyterLab refuses root without it)
  and says so in one line;
- adds ``--no-browser`` when there is no display to open a browser on;
- lets JupyterLab take the next free port when the asked one is busy (its own
  ``port_retries``) and says which port it took;
- waits until the server answers, then prints the address to open (with its
  token) as the last lines, and how to reach it from another machine;
- stops the server (and its kernels) on Ctrl+C.

Any other arguments go to ``jupyter lab`` unchanged (``bash course.sh lab --port 9000``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from handson_rl.paths import ROOT

FIRST_NOTEBOOK = "notebooks/01_rl_and_rllib_in_a_nutshell.ipynb"
DEFAULT_PORT = 8888
READY_TIMEOUT_S = 120


def has_display(
    environ=None, platform: str | None = None, kernel_release: str | None = None
) -> bool:
    """Whether a browser window can be opened here (False on a headless Linux server).

    ``environ``, ``platform`` and ``kernel_release`` default to this machine's
    (``os.environ``, ``sys.platform``, ``platform.release()``).
    """
    import platform as platform_module

    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return True  # macOS and Windows always have a desktop to open a browser on
    release = platform_module.release() if kernel_release is None else kernel_release
    if "microsoft" in release.lower():  # WSL: JupyterLab opens the Windows browser
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(extra_args: list[str], *, root: bool, display: bool) -> list[str]:
    """The ``jupyter lab`` command line for this machine."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        # The course folder is the server's root (notebooks/ and solutions/ side by
        # side); the browser, when one opens, starts on chapter 1.
        f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
        # Its own start-up lines: this launcher prints what a learner needs.
        "--log-level=WARN",
        "--LabApp.log_level=WARN",
    ]
    if root:
        cmd.append("--allow-root")
    if not display:
        cmd.append("--no-browser")
    return cmd + list(extra_args)


def runtime_dir(environ=None) -> Path:
    environ = os.environ if environ is None else environ
    if environ.get("JUPYTER_RUNTIME_DIR"):
        return Path(environ["JUPYTER_RUNTIME_DIR"])
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def server_info(pid: int, environ=None) -> dict | None:
    """The server's own description of itself (port, token, url), once it has written it."""
    path = runtime_dir(environ) / f"jpserver-{pid}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # not written yet, or half written


def answers(info: dict) -> bool:
    """True once the server answers an authenticated request."""
    url = f"{info['url'].rstrip('/')}/api/status?token={info.get('token', '')}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def notebook_address(info: dict) -> str:
    base = info["url"].rstrip("/")
    token = info.get("token")
    return f"{base}/lab/tree/{FIRST_NOTEBOOK}" + (f"?token={token}" if token else "")


def ready_message(info: dict, *, asked_port: int) -> str:
    port = info["port"]
    lines = []
    if port != asked_port:
        lines.append(f"Port {asked_port} was busy, so JupyterLab took port {port}.")
    lines += [
        "JupyterLab is running; stop it with Ctrl+C.",
        f"From another machine: ssh -L {port}:localhost:{port} you@this-machine, "
        "then open the address below there.",
        "Open this address in your browser:",
        "",
        f"    {notebook_address(info)}",
        "",
    ]
    return "\n".join(lines)


def asked_port(extra_args: list[str]) -> int:
    for i, arg in enumerate(extra_args):
        for flag in ("--port", "--ServerApp.port"):
            if arg.startswith(flag + "="):
                return int(arg.split("=", 1)[1])
            if arg == flag and i + 1 < len(extra_args):
                return int(extra_args[i + 1])
    return DEFAULT_PORT


def wait_until_ready(server: subprocess.Popen, timeout_s: float = READY_TIMEOUT_S) -> dict:
    """The server's info once it answers; a clear SystemExit if it stops or never answers."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"JupyterLab stopped before it was ready (exit code {server.returncode}); "
                "its messages are above."
            )
        info = server_info(server.pid)
        if info and answers(info):
            return info
        time.sleep(0.3)
    stop(server)
    raise SystemExit(
        f"JupyterLab did not answer within {timeout_s:.0f} s; its messages are above. "
        "Run the same command again; if it happens again, the machine may be out of memory."
    )


def stop(server: subprocess.Popen) -> None:
    """Stop the server and its kernels (SIGTERM: JupyterLab shuts its kernels down)."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    root, display = is_root(), has_display()
    if root:
        print(
            "Running as root (as in a container or a cloud VM): JupyterLab is started "
            "with --allow-root, which it needs for that."
        )
    if not display:
        print(
            "No display here: JupyterLab will not open a browser; open the address "
            "printed below yourself."
        )
    print("Starting JupyterLab...", flush=True)
    # A token of our own (JupyterLab then prints no banner of its own; the address
    # below carries it), unless the learner set one.
    env = {**os.environ}
    env.setdefault("JUPYTER_TOKEN", secrets.token_hex(24))
    # Its own session: Ctrl+C in the terminal reaches only this launcher, which then
    # stops the server cleanly (no "Shutdown this Jupyter server (y/[n])?" prompt).
    server = subprocess.Popen(
        lab_command(extra, root=root, display=display), cwd=ROOT, env=env, start_new_session=True
    )
    # Closing the terminal (SIGHUP) or `kill` (SIGTERM) stops the server too.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    try:
        info = wait_until_ready(server)
        print(ready_message(info, asked_port=asked_port(extra)), flush=True)
        return server.wait()
    except KeyboardInterrupt:
        print("\nStopping JupyterLab...", flush=True)
        return 0
    finally:
        stop(server)


if __name__ == "__main__":
    sys.exit(main())
