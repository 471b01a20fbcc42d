"""The notebooks, as learners see them: JupyterLab in a real (headless) browser.

For every exercise notebook in ``notebooks/`` this opens it in JupyterLab and
checks that every markdown cell rendered, that Mermaid diagrams rendered as
diagrams (``.jp-RenderedMermaid`` holding an SVG, no Mermaid error box), that every image loaded
(``naturalWidth > 0``) and that no cell shows an error. In chapter 2 it also runs
the cells up to and including the live episode (``LiveBoard``) and the GIF after
it, and checks that the live board really updated in place (its image changed
many times) and that none of those cells printed an error or anything on stderr.
Running every notebook's cells is left to nbval (``pytest notebooks solutions``);
here only rendering is at stake.

A screenshot of each notebook goes to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"  # the same folder conftest.py makes

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LIVE_CHAPTER = "02_environment_and_spaces.ipynb"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _count_mermaid(cells) -> int:
    return sum(
        len(re.findall(r"^```mermaid\s*$", _source(c), re.M))
        for c in cells
        if c["cell_type"] == "markdown"
    )


# JavaScript helpers, evaluated in the page. `panel()` is the open notebook.
JS_PANEL = "() => window.jupyterapp.shell.currentWidget"

JS_OPEN = """async (path) => {
    const app = window.jupyterapp;
    await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    return panel.context.path;
}"""

JS_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const node = panel.content.node;
    const cells = panel.content.widgets;
    const imgs = [...node.querySelectorAll('img')];
    const errors = [];
    cells.forEach((cell, i) => {
        if (cell.model.type !== 'code') return;
        for (const out of cell.model.outputs.toJSON()) {
            if (out.output_type === 'error') errors.push([i, out.ename + ': ' + out.evalue]);
        }
    });
    return {
        path: panel.context.path,
        cells: cells.length,
        markdown: cells.filter(c => c.model.type === 'markdown').length,
        renderedMarkdown: cells.filter(
            c => c.model.type === 'markdown' && c.rendered &&
                 c.node.querySelector('.jp-RenderedMarkdown') !== null).length,
        mermaid: node.querySelectorAll('.jp-RenderedMermaid').length,
        // A rendered diagram is an SVG (inline, or as an <img> of one); a broken
        // one is a warning box with Mermaid's error message.
        mermaidSvg: [...node.querySelectorAll('.jp-RenderedMermaid')].filter(
            m => !m.classList.contains('jp-mod-warning') &&
                 m.querySelector('svg, img') !== null).length,
        images: imgs.length,
        imagesPending: imgs.filter(i => !i.complete).length,
        brokenImages: imgs.filter(i => i.complete && i.naturalWidth === 0)
                          .map(i => i.getAttribute('src').slice(0, 80)),
        errorOutputs: errors,
        errorNodes: node.querySelectorAll(
            '[data-mime-type="application/vnd.jupyter.error"]').length,
    };
}"""

# Watch one cell's outputs: record every distinct image the cell shows, over time.
JS_WATCH = """(index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cell = panel.content.widgets[index];
    window.__liveFrames = [];
    const seen = new Set();
    const grab = () => {
        for (const img of cell.node.querySelectorAll('.jp-OutputArea img')) {
            const src = img.getAttribute('src') || '';
            if (src && !seen.has(src)) {
                seen.add(src);
                window.__liveFrames.push(performance.now());
            }
        }
    };
    window.__liveObserver = new MutationObserver(grab);
    window.__liveObserver.observe(cell.node, {subtree: true, childList: true,
                                              attributes: true, attributeFilter: ['src']});
}"""

JS_RUN_THROUGH = """async (last) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    panel.content.activeCellIndex = last;
    await app.commands.execute('notebook:run-all-above');
    panel.content.activeCellIndex = last;
    await app.commands.execute('notebook:run-cell');
}"""

JS_RAN = """(last) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.slice(0, last + 1);
    const done = cells.every(c => c.model.type !== 'code' || c.model.executionCount !== null);
    return done && kernel && kernel.status === 'idle';
}"""

JS_STDERR = """(last) => {
    const panel = window.jupyterapp.shell.currentWidget;
    const found = [];
    panel.content.widgets.slice(0, last + 1).forEach((cell, i) => {
        if (cell.model.type !== 'code') return;
        for (const out of cell.model.outputs.toJSON()) {
            if (out.output_type === 'stream' && out.name === 'stderr') {
                found.push([i, String(out.text).slice(0, 300)]);
            }
        }
    });
    return found;
}"""


def _open(page, nb: Path) -> dict:
    page.evaluate(JS_OPEN, f"notebooks/{nb.name}")
    # Markdown, Mermaid and images render asynchronously: wait until they settle.
    cells = _cells(nb)
    n_md = sum(c["cell_type"] == "markdown" for c in cells)
    n_mermaid = _count_mermaid(cells)
    wait_or_explain(
        page,
        """([nMd, nMermaid]) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const node = panel.content.node;
            const md = panel.content.widgets.filter(
                c => c.model.type === 'markdown' &&
                     c.node.querySelector('.jp-RenderedMarkdown') !== null).length;
            const mer = [...node.querySelectorAll('.jp-RenderedMermaid')].filter(
                m => !m.classList.contains('jp-mod-warning') &&
                     m.querySelector('svg, img') !== null).length;
            const pending = [...node.querySelectorAll('img')].filter(i => !i.complete).length;
            return md >= nMd && mer >= nMermaid && pending === 0;
        }""",
        [n_md, n_mermaid],
        f"{nb.name} to render {n_md} markdown cells and {n_mermaid} Mermaid diagrams",
    )
    return page.evaluate(JS_STATE)


def wait_or_explain(page, js, arg, what, timeout=60_000):
    """page.wait_for_function, failing with what the page showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(js, arg=arg, timeout=timeout)
    except PlaywrightTimeout:
        try:
            state = page.evaluate(JS_STATE)
        except Exception as e:  # the page itself is broken
            state = repr(e)
        pytest.fail(
            f"Timed out after {timeout / 1000:.0f} s waiting for {what}; the page shows {state}"
        )


def _check_rendering(state: dict, nb: Path) -> None:
    cells = _cells(nb)
    assert state["path"] == f"notebooks/{nb.name}"
    assert state["cells"] == len(cells), f"{nb.name}: JupyterLab shows {state['cells']} cells"
    assert state["renderedMarkdown"] == state["markdown"], (
        f"{nb.name}: {state['markdown'] - state['renderedMarkdown']} markdown cells not rendered"
    )
    want = _count_mermaid(cells)
    assert state["mermaid"] == want and state["mermaidSvg"] >= want, (
        f"{nb.name}: {want} mermaid blocks, {state['mermaid']} rendered "
        f"({state['mermaidSvg']} as SVG)"
    )
    assert not state["brokenImages"], f"{nb.name}: images did not load: {state['brokenImages']}"
    assert state["imagesPending"] == 0
    assert not state["errorOutputs"] and state["errorNodes"] == 0, (
        f"{nb.name}: error outputs {state['errorOutputs']}"
    )


def _screenshot(page, nb: Path, suffix: str = "") -> None:
    page.screenshot(path=str(ARTIFACTS / f"{nb.stem}{suffix}.png"))


def _close(page) -> None:
    page.evaluate(
        """async () => {
            const app = window.jupyterapp;
            const panel = app.shell.currentWidget;
            if (panel && panel.sessionContext) { await panel.sessionContext.shutdown(); }
            panel.dispose();  // no "save changes?" dialog: the copy is thrown away
        }"""
    )


def test_notebooks_exist():
    assert NOTEBOOKS, "no notebooks in notebooks/"
    assert LIVE_CHAPTER in [nb.name for nb in NOTEBOOKS]


@pytest.mark.parametrize(
    "nb", [n for n in NOTEBOOKS if n.name != LIVE_CHAPTER], ids=lambda p: p.stem
)
def test_notebook_renders(lab_page, nb):
    page = lab_page
    state = _open(page, nb)
    try:
        _check_rendering(state, nb)
        if _count_mermaid(_cells(nb)):
            page.locator(".jp-RenderedMermaid").first.scroll_into_view_if_needed()
    finally:
        _screenshot(page, nb)
        _close(page)


def test_chapter2_live_episode(lab_page):
    """Chapter 2: render it, run it up to the live episode and the GIF, watch it."""
    page = lab_page
    nb = ROOT / "notebooks" / LIVE_CHAPTER
    cells = _cells(nb)
    live = next(i for i, c in enumerate(cells) if "LiveBoard(" in _source(c))
    last = live
    after = next((i for i in range(live + 1, len(cells)) if cells[i]["cell_type"] == "code"), None)
    if after is not None and "show_gif(" in _source(cells[after]):
        last = after  # the GIF of the same episode

    state = _open(page, nb)
    try:
        _check_rendering(state, nb)
        page.evaluate(JS_WATCH, live)
        page.evaluate(JS_RUN_THROUGH, last)
        wait_or_explain(page, JS_RAN, last, f"cells 0-{last} of chapter 2 to run", 90_000)
        page.wait_for_function(
            "() => [...window.jupyterapp.shell.currentWidget.content.node"
            ".querySelectorAll('img')].every(i => i.complete)"
        )
        page.locator(".jp-Cell").nth(live).scroll_into_view_if_needed()

        state = page.evaluate(JS_STATE)
        assert not state["errorOutputs"] and state["errorNodes"] == 0, state["errorOutputs"]
        assert not state["brokenImages"], state["brokenImages"]
        stderr = page.evaluate(JS_STDERR, last)
        assert not stderr, f"chapter 2 printed on stderr: {stderr}"

        frames = page.evaluate("() => window.__liveFrames")
        # LiveBoard shows the board, then updates it once per step (100 steps).
        assert len(frames) >= 10, f"the live board changed only {len(frames)} times"
        live_imgs = page.evaluate(
            """(i) => [...window.jupyterapp.shell.currentWidget.content.widgets[i].node
                       .querySelectorAll('.jp-OutputArea img')].map(img => img.naturalWidth)""",
            live,
        )
        assert live_imgs and all(w > 0 for w in live_imgs), live_imgs
        assert len(live_imgs) == 1, "the live board should update one image in place"
    finally:
        page.evaluate("() => window.__liveObserver && window.__liveObserver.disconnect()")
        _screenshot(page, nb)
        _close(page)
