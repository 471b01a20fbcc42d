"""Who is running the course right now: JupyterLab, a headless run, or a terminal?

Interactive pieces (the play control of :mod:`handson_rl.tools.play`, the concept
checks of :mod:`handson_rl.exercises.concepts`) adapt to it:

- ``"widgets"``: a Jupyter kernel whose client lets the code ask for input, with
  ipywidgets installed: JupyterLab, Jupyter Notebook, VS Code. Show the widgets.
- ``"headless"``: a Jupyter kernel whose client does not allow input (nbclient,
  nbval, the website's build: every run without a person in front of it), or a
  plain Python whose standard input is not a terminal. Show the state; never wait.
- ``"text"``: plain Python or IPython in a terminal, or a Jupyter kernel without
  ipywidgets: ask with ``input()``.

How a kernel is told apart: every execute request carries ``allow_stdin``; JupyterLab
sends ``true``, nbclient and nbval ``false``. ipykernel keeps the flag of the request
it is running in ``kernel._allow_stdin`` (ipykernel 7.4's ``kernelbase.py``; its only
use of a private name, tested in ``tests/test_frontend.py``).
``HANDSON_RL_FRONTEND=widgets|headless|text`` overrides the guess.
"""

from __future__ import annotations

import os
import sys

MODES = ("widgets", "headless", "text")
ENV_VAR = "HANDSON_RL_FRONTEND"


def _kernel():
    """The running ipykernel, or None (plain Python, terminal IPython)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return getattr(shell, "kernel", None)


def _has_ipywidgets() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def mode() -> str:
    """``"widgets"``, ``"headless"`` or ``"text"`` (see the module docstring)."""
    forced = os.environ.get(ENV_VAR, "").strip().lower()
    if forced:
        if forced not in MODES:
            raise ValueError(f"{ENV_VAR}={forced!r}: use one of {list(MODES)}, or unset it.")
        return forced
    kernel = _kernel()
    if kernel is not None:
        if not getattr(kernel, "_allow_stdin", False):
            return "headless"
        return "widgets" if _has_ipywidgets() else "text"
    stdin = sys.stdin
    if stdin is not None and hasattr(stdin, "isatty") and stdin.isatty():
        return "text"
    return "headless"


def in_notebook() -> bool:
    """True inside a Jupyter kernel (rich output such as images can be displayed)."""
    return _kernel() is not None
