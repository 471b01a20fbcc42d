"""Telling JupyterLab from a headless run, in a real kernel: what the play control and
the concept checks rely on to never wait for input where nobody can answer."""

from __future__ import annotations

import sys

import pytest

from handson_rl import frontend


def test_override_and_its_error(monkeypatch):
    for value in frontend.MODES:
        monkeypatch.setenv(frontend.ENV_VAR, value)
        assert frontend.mode() == value
    monkeypatch.setenv(frontend.ENV_VAR, "gui")
    with pytest.raises(ValueError, match="HANDSON_RL_FRONTEND='gui': use one of"):
        frontend.mode()


def test_plain_python_without_a_terminal_is_headless(monkeypatch):
    monkeypatch.delenv(frontend.ENV_VAR, raising=False)
    monkeypatch.setattr(frontend, "_kernel", lambda: None)

    class Stdin:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    monkeypatch.setattr(sys, "stdin", Stdin(False))
    assert frontend.mode() == "headless"
    monkeypatch.setattr(sys, "stdin", Stdin(True))
    assert frontend.mode() == "text"
    monkeypatch.setattr(sys, "stdin", None)
    assert frontend.mode() == "headless"


def test_a_kernel_without_ipywidgets_asks_in_text(monkeypatch):
    monkeypatch.delenv(frontend.ENV_VAR, raising=False)

    class Kernel:
        _allow_stdin = True

    monkeypatch.setattr(frontend, "_kernel", lambda: Kernel())
    monkeypatch.setattr(frontend, "_has_ipywidgets", lambda: False)
    assert frontend.mode() == "text"
    monkeypatch.setattr(frontend, "_has_ipywidgets", lambda: True)
    assert frontend.mode() == "widgets"
    Kernel._allow_stdin = False
    assert frontend.mode() == "headless"


CODE = """
import os
os.environ.pop("HANDSON_RL_FRONTEND", None)
os.environ["HANDSON_RL_PROGRESS"] = "off"
from handson_rl import frontend
from handson_rl.tools.play import play
from handson_rl.exercises.concepts import ask
print("MODE", frontend.mode())
play("agent1", opponent="random", seed=1)
ask("ch2-truncated")
"""


def test_in_a_real_kernel_jupyterlab_gets_widgets_and_a_headless_run_a_picture():
    """JupyterLab sends allow_stdin=True with each cell, nbclient and nbval False."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        runs = {}
        for allow_stdin in (True, False):
            outputs = []

            def keep(msg, outputs=outputs):
                if msg["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                    outputs.append(msg)

            reply = kc.execute_interactive(
                CODE,
                allow_stdin=allow_stdin,
                output_hook=keep,
                stdin_hook=lambda msg: pytest.fail("the kernel asked for input"),
                timeout=180,
            )
            assert reply["content"]["status"] == "ok", outputs
            runs[allow_stdin] = outputs
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

    def text(outputs):
        return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")

    def data(outputs):
        return [m["content"]["data"] for m in outputs if m["msg_type"] == "display_data"]

    assert "MODE widgets" in text(runs[True])
    widget_views = [d for d in data(runs[True]) if "application/vnd.jupyter.widget-view+json" in d]
    assert len(widget_views) == 2  # the play control and the concept check's buttons
    assert any("application/javascript" in d for d in data(runs[True]))  # the arrow keys

    assert "MODE headless" in text(runs[False])
    shown = data(runs[False])
    assert not any("application/vnd.jupyter.widget-view+json" in d for d in shown)
    assert any("arena-play-picture" in d.get("text/html", "") for d in shown)
    assert any("Predict, then run" in d.get("text/markdown", "") for d in shown)
