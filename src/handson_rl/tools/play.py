"""Play the arena yourself: you move one agent, a random or trained policy the other.

:func:`play` builds the game (:class:`handson_rl.arena.game.ArenaGame`) with the
course's pre-trained agents (or ``modules``, such as your own) as its trained
agents, and picks how to show it (:mod:`handson_rl.frontend`):

- in JupyterLab: a widget with arrow buttons, the arrow keys (and W/A/S/D), a
  restart button, the board, each step's rewards, the running returns and, at the
  end, a summary next to how the trained agent and a random one scored from the
  same start (:mod:`handson_rl.arena.play_widget`);
- in a terminal: a text prompt (``input()``): w/a/s/d or up/right/down/left, r to
  restart, q to stop (:mod:`handson_rl.arena.play_text`);
- in a headless run (CI, the website's build): the board and the controls as a
  picture, with a note to run the notebook in JupyterLab. It never waits for input.

>>> from handson_rl.tools.play import play
>>> play("agent1", opponent="random")     # chapter 2
>>> play("agent1", opponent="trained")    # chapter 12: can you escape the trained chaser?
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from handson_rl.arena.env import AGENT1
from handson_rl.arena.game import ArenaGame, PlayError
from handson_rl.arena.play_text import play_text, show_headless
from handson_rl.training.pretrained import trained_policy


def _trained(agent: str, seed: int, modules: Mapping | None):
    return trained_policy(agent, modules, seed=seed)


def play(
    you: str = AGENT1,
    opponent="random",
    seed: int = 0,
    modules: Mapping | None = None,
    env_config: Mapping | None = None,
    mode: str | None = None,
):
    """Play ``you`` (``"agent1"`` or ``"agent2"``) against ``opponent``.

    Shows a widget in JupyterLab, asks with ``input()`` in a terminal, and only
    shows the board in a headless run (see the module docstring). ``mode``
    forces one of ``"widgets"``, ``"text"``, ``"headless"``. Returns the game
    outside a notebook (None in one, where the widget holds it).
    """
    from handson_rl import frontend

    game = ArenaGame(
        you=you,
        opponent=opponent,
        seed=seed,
        trained=functools.partial(_trained, modules=modules),
        env_config=env_config,
    )
    how = mode or frontend.mode()
    if how not in frontend.MODES:
        raise PlayError(f"mode must be one of {list(frontend.MODES)}, got {how!r}.")
    if how == "widgets":
        from handson_rl.arena.play_widget import PlayView

        PlayView(game).show()
        return None
    if how == "text":
        play_text(game)
    else:
        show_headless(game)
    return None if frontend.in_notebook() else game
