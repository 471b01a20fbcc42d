"""The play control and a concept check, used in JupyterLab in a real (headless) browser.

Chapter 2's play cell is run in JupyterLab; then the test clicks the arrow
buttons, presses the arrow keys and W/A/S/D on the control, and checks after
each move that the step counter, the last rewards and the running returns show
exactly what :class:`handson_rl.arena.game.ArenaGame` computes for the same
moves from the same start. It restarts, plays a whole episode with the keyboard
and checks the end-of-episode summary (which names the trained agent's score
from the same start). Then it answers chapter 2's first concept check with the
buttons, wrong and then right, and finds the right answer in the progress file.
Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handson_rl.arena.game import ArenaGame
from handson_rl.progress import SMOKE_FILE as SMOKE_PROGRESS
from handson_rl.training.pretrained import trained_policy

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHAPTER = ROOT / "notebooks" / "02_environment_and_spaces.ipynb"

pytestmark = pytest.mark.browser


def _source(cell) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _cell_index(needle: str) -> int:
    cells = json.loads(CHAPTER.read_text())["cells"]
    return next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and needle in _source(c))


JS_OPEN = """async (path) => {
    const app = window.jupyterapp;
    await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    return panel.context.path;
}"""

JS_RUN_CELL = """async (index) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    panel.content.activeCellIndex = index;
    await app.commands.execute('notebook:run-cell');
}"""

JS_ERRORS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const found = [];
    panel.content.widgets.forEach((cell, i) => {
        if (cell.model.type !== 'code') return;
        for (const out of cell.model.outputs.toJSON()) {
            if (out.output_type === 'error') found.push([i, out.ename + ': ' + out.evalue]);
            if (out.output_type === 'stream' && out.name === 'stderr') found.push([i, String(out.text).slice(0, 300)]);
        }
    });
    return found;
}"""


def _shown(page) -> dict:
    return page.evaluate(
        """() => {
            const box = document.querySelector('.arena-play');
            const text = (sel) => { const n = box.querySelector(sel); return n ? n.textContent.trim() : null; };
            return {
                step: text('.arena-step'),
                rewardYou: text('.arena-reward-you'),
                rewardOther: text('.arena-reward-other'),
                returnYou: text('.arena-return-you'),
                returnOther: text('.arena-return-other'),
                observation: text('.arena-observation'),
                summary: text('.arena-summary'),
                board: box.querySelector('img') ? box.querySelector('img').getAttribute('src').length : 0,
            };
        }"""
    )


def _expect(page, game: ArenaGame, what: str) -> None:
    last = game.history[-1] if game.history else None
    want = {
        "step": str(game.step_count),
        "returnYou": f"{game.returns[game.you]:+.1f}",
        "returnOther": f"{game.returns[game.other]:+.1f}",
        "observation": str(game.observation.tolist()),
    }
    if last is not None:
        want["rewardYou"] = f"{last.rewards[game.you]:+.1f}"
        want["rewardOther"] = f"{last.rewards[game.other]:+.1f}"
    page.wait_for_function(
        """(want) => {
            const box = document.querySelector('.arena-play');
            if (!box) return false;
            const text = (sel) => { const n = box.querySelector(sel); return n ? n.textContent.trim() : null; };
            const map = {step: '.arena-step', returnYou: '.arena-return-you', returnOther: '.arena-return-other',
                         observation: '.arena-observation', rewardYou: '.arena-reward-you',
                         rewardOther: '.arena-reward-other'};
            return Object.entries(want).every(([k, v]) => text(map[k]) === v);
        }""",
        arg=want,
        timeout=30_000,
    )
    shown = _shown(page)
    for key, value in want.items():
        assert shown[key] == value, (
            f"after {what}: {key} shows {shown[key]!r}, the game says {value!r}"
        )


def test_play_control_in_jupyterlab(lab_page):
    page = lab_page
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    play_cell = _cell_index('play("agent1", opponent="random", seed=1)')
    concept_cell = _cell_index('ask("ch2-truncated")')
    page.evaluate(JS_OPEN, f"notebooks/{CHAPTER.name}")
    try:
        page.evaluate(JS_RUN_CELL, play_cell)
        page.wait_for_selector(".arena-play .arena-up", timeout=90_000)
        box = page.locator(".arena-play")
        box.scroll_into_view_if_needed()
        game = ArenaGame(  # the cell's game, replayed here, with the trained agents play() gives
            "agent1", "random", seed=1, trained=lambda agent, seed: trained_policy(agent, seed=seed)
        )
        _expect(page, game, "the start")

        # Buttons.
        for name in ("right", "down", "right"):
            page.locator(f".arena-play .arena-{name}").click()
            game.move(name)
            _expect(page, game, f"clicking {name}")
        # Keys: the control takes the focus when clicked, then arrows and W/A/S/D move.
        page.locator(".arena-play .arena-log").click()
        for key in ("ArrowDown", "ArrowRight", "s", "d", "ArrowLeft", "w"):
            page.keyboard.press(key)
            game.move(key)
            _expect(page, game, f"pressing {key}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        box.screenshot(path=str(ARTIFACTS / "play_widget.png"))
        # The arrow keys moved the agent, not JupyterLab's cell selection.
        active = page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"
        )
        assert active == play_cell, f"the arrow keys moved JupyterLab to cell {active}"

        # Restart: the same start again.
        page.locator(".arena-play .arena-restart").click()
        game.restart()
        _expect(page, game, "restart")

        # A whole episode with the keyboard, then the summary.
        page.locator(".arena-play .arena-log").click()
        moves = ["ArrowRight"] * 9 + ["ArrowDown"] + ["ArrowLeft"] * 9 + ["ArrowDown"]
        for i in range(game.env.timestep_limit):
            key = moves[i % len(moves)]
            page.keyboard.press(key)
            game.move(key)
        _expect(page, game, "a whole episode")
        page.wait_for_selector(".arena-play .arena-summary", timeout=90_000)
        summary = _shown(page)["summary"]
        ref = game.reference()
        assert (
            "Episode over" in summary
            and f"the trained agent1 scored {ref.trained['agent1']:+.1f}" in summary
        ), summary
        assert page.locator(".arena-play .arena-up").is_disabled()
        box.screenshot(path=str(ARTIFACTS / "play_widget_summary.png"))

        # A concept check, answered with the buttons: wrong, then right.
        page.evaluate(JS_RUN_CELL, concept_cell)
        page.wait_for_selector(".concept-check", timeout=60_000)
        check = page.locator(".concept-check").first
        check.scroll_into_view_if_needed()
        check.get_by_text(re.compile(r"^c\) both are True")).click()
        check.get_by_role("button", name="Check my answer").click()
        page.wait_for_function(
            "() => /Not quite \\(c\\)/.test(document.querySelector('.concept-check').textContent)"
        )
        check.get_by_text(re.compile(r"^b\) ")).click()
        check.get_by_role("button", name="Check my answer").click()
        page.wait_for_function(
            "() => /Right \\(b\\)/.test(document.querySelector('.concept-check').textContent)"
        )
        check.screenshot(path=str(ARTIFACTS / "concept_check.png"))
        # The right answer went into the progress file (the smoke budget's: JupyterLab runs with it here).
        entry = json.loads(SMOKE_PROGRESS.read_text())["passed"]["ch2-truncated"]
        assert entry["last"] >= started, (entry, started)
        assert not page.evaluate(JS_ERRORS), page.evaluate(JS_ERRORS)
    finally:
        page.screenshot(path=str(ARTIFACTS / "play_widget_page.png"))
        page.evaluate(
            """async () => {
                const panel = window.jupyterapp.shell.currentWidget;
                if (panel && panel.sessionContext) { await panel.sessionContext.shutdown(); }
                panel.dispose();
            }"""
        )
