"""One chapter's slide deck in headless Chromium: it opens, loads nothing it cannot, shows a plot.

Opens ``slides/03_training_ppo.html`` of the built site (``HANDSON_SITE_HTML``, set
by ``course.sh test`` after the smoke-budget build, which writes the decks; else
``_build/site-smoke/html`` or ``_build/site-full/html``) over HTTP, as the website
serves it. Checks: reveal.js starts, no request fails, the speaker notes are in
the deck, and on the first slide with a figure (chapter 3's PPO clipping plot)
the plot is drawn and inside the slide. Screenshot:
``test-artifacts/browser/slides_03_training_ppo.png``.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"  # the same folder conftest.py makes
DECK = "03_training_ppo"

pytestmark = [pytest.mark.browser, pytest.mark.built_site]


def _site_dir() -> Path | None:
    if os.environ.get("HANDSON_SITE_HTML"):
        return Path(os.environ["HANDSON_SITE_HTML"])
    for budget in ("smoke", "full"):
        html = ROOT / "_build" / f"site-{budget}" / "html"
        if (html / "slides" / "index.html").exists():
            return html
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def deck_url(missing_or_fail):
    html = _site_dir()
    if html is None or not (html / "slides" / f"{DECK}.html").exists():
        missing_or_fail(
            f"No built slide decks ({html or '_build/site-*/html'}/slides); build the site "
            "with `python -m handson_rl.maintainers.site --budget smoke` (it writes them)."
        )
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slides/{DECK}.html"
    finally:
        server.shutdown()
        server.server_close()


_FIRST_FIGURE = """() => {
    const slide = Reveal.getSlides().find((s) => s.querySelector('img.figure'));
    if (!slide) return null;
    const at = Reveal.getIndices(slide);
    Reveal.slide(at.h, at.v);
    while (Reveal.nextFragment()) {}
    return at;
}"""

_SHOWN = """() => {
    const cell = Reveal.getCurrentSlide().querySelector('img.figure').closest('.cell');
    return !cell.classList.contains('fragment') || cell.classList.contains('visible');
}"""

_FIGURE_SHOWN = """() => {
    const slide = Reveal.getCurrentSlide();
    const box = slide.getBoundingClientRect();
    return [...slide.querySelectorAll('img.figure')].map((img) => {
        const r = img.getBoundingClientRect();
        return {drawn: img.complete && img.naturalWidth > 0, width: r.width, height: r.height,
                inside: r.top >= box.top - 1 && r.bottom <= box.bottom + 1,
                visible: getComputedStyle(img).visibility === 'visible'
                         && getComputedStyle(img.closest('.cell')).opacity === '1'};
    });
}"""


def test_a_deck_opens_with_a_plot_on_a_slide(browser, deck_url):
    context = browser.new_context(viewport={"width": 1280, "height": 760})
    page = context.new_page()
    page.set_default_timeout(30_000)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    try:
        page.goto(deck_url)
        page.wait_for_function("() => window.Reveal && Reveal.isReady()")
        assert page.evaluate("Reveal.getTotalSlides()") >= 10
        assert page.locator("aside.notes").count() > 0, "the deck has no speaker notes"
        assert page.evaluate("Reveal.hasPlugin('notes')"), "no speaker view (the S key)"
        at = page.evaluate(_FIRST_FIGURE)
        assert at is not None, "no slide of the deck has a figure"
        # Fragments fade in; MathJax typesets the whole deck.
        page.wait_for_function(_SHOWN)
        page.wait_for_timeout(800)
        figures = page.evaluate(_FIGURE_SHOWN)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"slides_{DECK}.png"))
        assert figures and all(
            f["drawn"] and f["visible"] and f["width"] > 200 and f["inside"] for f in figures
        ), f"slide {at}: {figures}"
        page.wait_for_function(
            "() => document.querySelector('mjx-container')"
        )  # the maths is typeset
        assert failed == [], f"requests that failed: {failed}"
    finally:
        context.close()
