"""The play control as ipywidgets: a thin view over :class:`handson_rl.arena.game.ArenaGame`.

Buttons call :meth:`PlayView.press`, which moves, then redraws the board and the
text. The arrow keys (and W/A/S/D) work when the control has the focus (click on
it): a few lines of JavaScript, displayed with the widget, click the matching
button. They also mark the control ``data-lm-suppress-shortcuts``, so that
JupyterLab does not take the arrow keys for moving between cells.
:func:`static_html` draws the same control as a picture for headless runs (the
website).
"""

from __future__ import annotations

import base64
import html
import json
import uuid
from io import BytesIO

from PIL import Image

from handson_rl.arena.env import ACTION_NAMES
from handson_rl.arena.game import HEADLESS_NOTE, ArenaGame, intro

ARROWS = {"up": "\u2191", "right": "\u2192", "down": "\u2193", "left": "\u2190"}
#: key -> the button it clicks (the JavaScript below uses the same table).
KEY_BUTTONS = {
    "ArrowUp": "up",
    "ArrowRight": "right",
    "ArrowDown": "down",
    "ArrowLeft": "left",
    "w": "up",
    "d": "right",
    "s": "down",
    "a": "left",
    "W": "up",
    "D": "right",
    "S": "down",
    "A": "left",
}
LOG_LINES = 6


def png(frame) -> bytes:
    buf = BytesIO()
    Image.fromarray(frame).save(buf, format="PNG")
    return buf.getvalue()


def status_html(game: ArenaGame) -> str:
    """Step, last rewards, running returns (classes for tests: arena-step, arena-return-*)."""
    you, other = game.you, game.other
    last = game.history[-1] if game.history else None
    if last is None:
        rewards = "no step yet"
    else:
        event = " <b>collision!</b>" if last.collision else (" new cell" if last.new_field else "")
        rewards = (
            f'you <span class="arena-reward-you">{last.rewards[you]:+.1f}</span>, '
            f'{other} <span class="arena-reward-other">{last.rewards[other]:+.1f}</span>{event}'
        )
    return (
        f'<div class="arena-status">'
        f'<div>step <span class="arena-step">{game.step_count}</span>/{game.env.timestep_limit}; '
        f'{you} observes <code class="arena-observation">{game.observation.tolist()}</code></div>'
        f"<div>last step's rewards: {rewards}</div>"
        f'<div>returns: you ({you}) <b class="arena-return-you">{game.returns[you]:+.1f}</b>, '
        f'{html.escape(game.opponent_name)} <b class="arena-return-other">{game.returns[other]:+.1f}</b></div>'
        f"</div>"
    )


def log_html(game: ArenaGame) -> str:
    rows = []
    for s in game.history[-LOG_LINES:]:
        event = "collision" if s.collision else ("new cell" if s.new_field else "")
        rows.append(
            f"<tr><td>{s.step}</td><td>{s.you}</td><td>{s.other}</td>"
            f"<td>{s.rewards[game.you]:+.1f}</td><td>{s.rewards[game.other]:+.1f}</td><td>{event}</td></tr>"
        )
    head = (
        f"<tr><th>step</th><th>you</th><th>{game.other}</th><th>your reward</th>"
        f"<th>{game.other}'s</th><th></th></tr>"
    )
    return f'<table class="arena-log" style="font-size:85%">{head}{"".join(rows)}</table>'


def summary_html(game: ArenaGame) -> str:
    if not game.done:
        return ""
    text = html.escape(game.summary()).replace("\n", "<br>")
    return f'<div class="arena-summary" style="max-width:34em; padding:4px; border:1px solid #aaa">{text}</div>'


KEYS_JS = """
(function () {
  const keys = %(keys)s;
  const cls = %(cls)s;
  let tries = 0;
  const attach = () => {
    const box = document.querySelector('.' + cls);
    if (!box) { if (tries++ < 100) { setTimeout(attach, 100); } return; }
    if (box.dataset.arenaKeys) { return; }
    box.dataset.arenaKeys = '1';
    box.tabIndex = 0;
    box.setAttribute('data-lm-suppress-shortcuts', 'true');
    box.style.outline = 'none';
    box.addEventListener('keydown', (event) => {
      const name = keys[event.key];
      if (!name || event.ctrlKey || event.metaKey || event.altKey) { return; }
      event.preventDefault();
      event.stopPropagation();
      const button = box.querySelector('.arena-' + name);
      if (button && !button.disabled) { button.click(); }
    });
    box.addEventListener('mousedown', (event) => {
      if (!event.target.closest('button')) { setTimeout(() => box.focus(), 0); }
    });
  };
  attach();
})();
"""


class PlayView:
    """The ipywidgets control for one :class:`ArenaGame`."""

    def __init__(self, game: ArenaGame, cell_px: int = 32):
        import ipywidgets as widgets

        self.game = game
        self.cell_px = cell_px
        self.key_class = f"arena-play-{uuid.uuid4().hex[:10]}"
        self.board = widgets.Image(
            format="png", layout=widgets.Layout(width=f"{10 * cell_px + 1}px")
        )
        self.intro = widgets.HTML(f"<b>{html.escape(intro(game))}</b>")
        self.status = widgets.HTML()
        self.log = widgets.HTML()
        self.summary = widgets.HTML()
        self.buttons = {}
        for name in ACTION_NAMES:
            button = widgets.Button(
                description=ARROWS[name],
                tooltip=f"move {name}",
                layout=widgets.Layout(width="44px", height="36px"),
            )
            button.add_class(f"arena-{name}")
            button.on_click(lambda _, name=name: self.press(name))
            self.buttons[name] = button
        self.restart_button = widgets.Button(
            description="Restart", icon="refresh", tooltip="play again from the same start"
        )
        self.restart_button.add_class("arena-restart")
        self.restart_button.on_click(lambda _: self.restart())
        blank = widgets.Box(layout=widgets.Layout(width="44px"))
        pad = widgets.GridBox(
            [
                blank,
                self.buttons["up"],
                blank,
                self.buttons["left"],
                self.buttons["down"],
                self.buttons["right"],
            ],
            layout=widgets.Layout(grid_template_columns="repeat(3, 48px)", width="150px"),
        )
        hint = widgets.HTML("<small>Click here, then use the arrow keys (or W/A/S/D).</small>")
        panel = widgets.VBox(
            [self.intro, self.status, pad, self.restart_button, hint, self.log, self.summary],
            layout=widgets.Layout(padding="0 0 0 12px", max_width="36em"),
        )
        self.widget = widgets.HBox(
            [self.board, panel], layout=widgets.Layout(align_items="flex-start")
        )
        self.widget.add_class("arena-play")
        self.widget.add_class(self.key_class)
        self.redraw()

    def press(self, move) -> None:
        """One move (a button click or a key press), then redraw."""
        if self.game.done:
            return
        self._safely(self.game.move, move)

    def restart(self) -> None:
        self._safely(self.game.restart)

    def _safely(self, action, *args) -> None:
        """Run ``action``, then redraw; an error shows in the control (a widget callback's
        exceptions would otherwise go only to the browser's console)."""
        try:
            action(*args)
            self.redraw()
        except Exception as err:  # shown to the learner, not swallowed
            self.summary.value = (
                f'<div class="arena-error" style="color:#b00020">'
                f"{html.escape(type(err).__name__)}: {html.escape(str(err))}</div>"
            )

    def redraw(self) -> None:
        self.board.value = png(self.game.frame(self.cell_px))
        self.status.value = status_html(self.game)
        self.log.value = log_html(self.game)
        self.summary.value = summary_html(self.game)
        for button in self.buttons.values():
            button.disabled = self.game.done

    def keyboard_js(self) -> str:
        return KEYS_JS % {"keys": json.dumps(KEY_BUTTONS), "cls": json.dumps(self.key_class)}

    def show(self) -> None:
        from IPython.display import Javascript, display

        display(self.widget)
        display(Javascript(self.keyboard_js()))


def static_html(game: ArenaGame, cell_px: int = 32) -> str:
    """The control as a picture (HTML with the board image), for headless runs and the website."""
    data = base64.b64encode(png(game.frame(cell_px))).decode()
    button = (
        '<span style="display:inline-block; width:40px; height:32px; line-height:32px; '
        'text-align:center; border:1px solid #bbb; border-radius:3px; background:#eee">{}</span>'
    )
    pad = (
        f"<div>&nbsp;{' ' * 11}{button.format(ARROWS['up'])}</div>"
        f"<div>{button.format(ARROWS['left'])} {button.format(ARROWS['down'])} "
        f"{button.format(ARROWS['right'])}</div>"
    )
    return (
        '<div class="arena-play-picture" style="display:flex; gap:12px; align-items:flex-start">'
        f'<img alt="the arena board at the start" src="data:image/png;base64,{data}">'
        f'<div style="max-width:34em"><b>{html.escape(intro(game))}</b>{status_html(game)}'
        f'<div style="margin:6px 0">{pad}</div>'
        f"{button.format('Restart').replace('width:40px', 'width:80px')}"
        f"<p><i>{html.escape(HEADLESS_NOTE)}</i></p></div></div>"
    )
