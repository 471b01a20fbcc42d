"""Training loops that show one updating progress line instead of scrolling dicts."""

from __future__ import annotations

import math
import sys
import time

from handson_rl.training import summarize


def _fmt(value, spec="+.1f"):
    return "  n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


class ProgressLine:
    """One line that rewrites itself: in a notebook an updating output, else ``\\r``."""

    def __init__(self):
        self._handle = None
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
                from IPython.display import display

                self._handle = display({"text/plain": ""}, raw=True, display_id=True)
        except ImportError:  # pragma: no cover - IPython is always installed here
            pass

    def update(self, text: str) -> None:
        if self._handle is not None:
            self._handle.update({"text/plain": text}, raw=True)
        else:
            sys.stdout.write("\r" + text)
            sys.stdout.flush()

    def close(self) -> None:
        if self._handle is None:
            sys.stdout.write("\n")


def train(algo, iterations: int, label: str = "", history: list | None = None) -> list[dict]:
    """Run ``algo.train()`` ``iterations`` times, showing progress on one line.

    Returns (and appends to ``history``, if given) one :func:`summarize` dict per
    iteration, with ``wall_s``, the seconds since this call started.
    """
    history = [] if history is None else history
    line = ProgressLine()
    start = time.perf_counter()
    prefix = f"{label}: " if label else ""
    for i in range(iterations):
        row = summarize(algo.train())
        row["wall_s"] = time.perf_counter() - start
        history.append(row)
        line.update(
            f"{prefix}iteration {row['iteration']:>3} ({i + 1}/{iterations})  "
            f"{row['wall_s']:6.1f} s  env steps {int(row['env_steps'] or 0):>7,}  "
            f"agent1 {_fmt(row['agent1'])}  agent2 {_fmt(row['agent2'])}"
        )
    line.close()
    return history
