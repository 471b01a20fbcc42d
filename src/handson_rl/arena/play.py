"""Play the arena yourself: you move one agent, a random or trained policy the other.

The game logic lives here (:class:`ArenaGame`), with no widget in it, so it is
tested without a browser. :func:`play` picks how to show it
(:mod:`handson_rl.frontend`):

- in JupyterLab: a widget with arrow buttons, the arrow keys (and W/A/S/D), a
  restart button, the board, each step's rewards, the running returns and, at the
  end, a summary next to how the trained agent and a random one scored from the
  same start (:mod:`handson_rl.arena.play_widget`);
- in a terminal: a text prompt (``input()``): w/a/s/d or up/right/down/left, r to
  restart, q to stop;
- in a headless run (CI, the website's build): the board and the controls as a
  picture, with a note to run the notebook in JupyterLab. It never waits for input.

>>> from handson_rl.arena.play import play
>>> play("agent1", opponent="random")     # chapter 2
>>> play("agent1", opponent="trained")    # chapter 12: can you escape the trained chaser?
"""

from __future__ import annotations

from collections.abc import Mapping

from handson_rl.arena.env import AGENT1
from handson_rl.arena.game import (  # noqa: F401 - the game's names, also from here
    HEADLESS_NOTE,
    KEYS,
    OPPONENTS,
    ROLE,
    ArenaGame,
    PlayError,
    Reference,
    Step,
    intro,
    parse_move,
)
from handson_rl.arena.render import board_text  # noqa: F401


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

    game = ArenaGame(you=you, opponent=opponent, seed=seed, modules=modules, env_config=env_config)
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


def play_text(game: ArenaGame, read=None, write=print) -> ArenaGame:
    """The text version: one move per line until the episode ends or you type q.

    ``read`` asks for a line (default: ``input``), ``write`` shows one (``print``).
    """
    read = read or input
    write(intro(game))
    write("Moves: w/a/s/d or up/right/down/left (0-3 work too); r restarts, q stops.")
    write(game.text())
    while True:
        if game.done:
            write(game.summary())
            reply = (
                read("r to play again from the same start, anything else to stop: ").strip().lower()
            )
            if reply != "r":
                return game
            game.restart()
            write(game.text())
            continue
        try:
            reply = read(f"step {game.step_count + 1}, your move: ").strip()
        except EOFError:
            write(game.summary())
            return game
        if reply.lower() in ("q", "quit", "exit"):
            write(game.summary())
            return game
        if reply.lower() == "r":
            game.restart()
            write(game.text())
            continue
        try:
            s = game.move(reply)
        except PlayError as err:
            write(str(err))
            continue
        write(step_line(game, s))
        write(game.text())


def step_line(game: ArenaGame, s: Step) -> str:
    event = " COLLISION" if s.collision else (" new cell" if s.new_field else "")
    return (
        f"step {s.step}: you {s.you}, {game.other} {s.other}{event} | rewards: you "
        f"{s.rewards[game.you]:+.1f}, {game.other} {s.rewards[game.other]:+.1f} | returns: you "
        f"{s.returns[game.you]:+.1f}, {game.other} {s.returns[game.other]:+.1f} | you observe "
        f"{game.observation.tolist()}"
    )


def show_headless(game: ArenaGame) -> None:
    """Show the control's starting state as a picture; never wait for input."""
    from handson_rl import frontend

    if frontend.in_notebook():
        from IPython.display import HTML, display

        from handson_rl.arena.play_widget import static_html

        display(HTML(static_html(game)))
        return
    print(intro(game))
    print(game.text())
    print("(No terminal to read your moves from: run this in JupyterLab or a terminal to play.)")
