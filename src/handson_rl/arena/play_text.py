"""The play control in a terminal (one move per line) and in a headless run (a picture).

The widget is :mod:`handson_rl.arena.play_widget`; the game itself (state and
rules) is :mod:`handson_rl.arena.game`; :func:`handson_rl.tools.play.play` picks
the view for where you run (:mod:`handson_rl.frontend`).
"""

from __future__ import annotations

from handson_rl.arena.game import ArenaGame, PlayError, Step, intro


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
