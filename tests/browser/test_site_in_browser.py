"""The course website in headless Chromium: the landing page and two chapters.

Opens the built site (``HANDSON_SITE_HTML``, set by ``course.sh test`` after it
builds the smoke-budget site; else ``_build/site-smoke/html`` or
``_build/site-full/html`` if one exists) over HTTP, as GitHub Pages serves it
(Mermaid is an ES module, which browsers do not load from ``file://``), and checks
that what a reader comes for is visible: the board picture, a learning curve, a
GIF, Mermaid diagrams drawn as SVG, and a folded solution that opens on a click.
Screenshots go to ``test-artifacts/browser/site_*.png``.
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

pytestmark = [pytest.mark.browser, pytest.mark.built_site]


def _site_dir() -> Path | None:
    if os.environ.get("HANDSON_SITE_HTML"):
        return Path(os.environ["HANDSON_SITE_HTML"])
    for budget in ("smoke", "full"):
        html = ROOT / "_build" / f"site-{budget}" / "html"
        if (html / "index.html").exists():
            return html
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line per request in the test log
        pass


@pytest.fixture(scope="module")
def site_url(missing_or_fail):
    html = _site_dir()
    if html is None or not (html / "index.html").exists():
        missing_or_fail(
            f"No built site ({html or '_build/site-*/html'}); build it with "
            "`python -m handson_rl.maintainers.site --budget smoke`."
        )
    handler = functools.partial(_QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site_page(browser, site_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield page, failed
    finally:
        context.close()


_VISIBLE_IMAGES = """(selector) => [...document.querySelectorAll(selector)].filter(
    (img) => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0
).map((img) => img.getAttribute('src'))"""


def test_landing_page(site_page, site_url):
    page, failed = site_page
    page.goto(f"{site_url}/index.html")
    page.wait_for_load_state("networkidle")
    assert page.title().startswith("Hands-on RL with Ray RLlib")
    assert any("arena" in src for src in page.evaluate(_VISIBLE_IMAGES, "article img")), (
        "the board picture is not visible on the landing page"
    )
    links = page.eval_on_selector_all(
        "article table a", "(els) => els.map((a) => a.getAttribute('href'))"
    )
    assert len(links) == 12 and all(href.startswith("chapters/") for href in links), links
    page.screenshot(path=str(ARTIFACTS / "site_landing.png"), full_page=False)
    assert not failed, f"requests that failed: {failed}"


def test_chapter_3_learning_curve(site_page, site_url):
    page, failed = site_page
    page.goto(f"{site_url}/chapters/03_training_ppo.html")
    page.wait_for_load_state("networkidle")
    plots = page.evaluate(_VISIBLE_IMAGES, ".cell_output img")
    assert len(plots) >= 2, f"chapter 3 shows {len(plots)} plots: {plots}"
    assert "Outputs on this page: executed" in page.inner_text("article")
    # The screenshot shows the learning curves (the section's heading at the top).
    page.evaluate("document.querySelector('#learning-curves').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "site_chapter3.png"))
    assert not failed, f"requests that failed: {failed}"


def test_chapter_1_mermaid_and_chapter_2_gif_and_solution(site_page, site_url):
    page, failed = site_page
    page.goto(f"{site_url}/chapters/01_rl_and_rllib_in_a_nutshell.html")
    # Mermaid draws the diagrams one after another: wait for every one of them.
    page.wait_for_function(
        "() => document.querySelectorAll('pre.mermaid').length >= 2 && [...document.querySelectorAll("
        "'pre.mermaid')].every((pre) => pre.querySelector('svg'))",
        timeout=30_000,
    )
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('.mermaid svg')].filter("
        "(svg) => svg.getBoundingClientRect().height > 20).length"
    )
    assert drawn >= 2, f"chapter 1: {drawn} Mermaid diagrams drawn"
    page.locator(".mermaid svg").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "site_chapter1_mermaid.png"))

    page.goto(f"{site_url}/chapters/02_environment_and_spaces.html")
    page.wait_for_load_state("networkidle")
    gifs = [
        src for src in page.evaluate(_VISIBLE_IMAGES, ".cell_output img") if src.endswith(".gif")
    ]
    assert gifs, "chapter 2 shows no GIF"
    # Exercise 1's solution is folded, and opens on a click.
    toggle = page.locator(".tag_hide-input details summary").first
    body = page.locator(".tag_hide-input details .cell_input").first
    assert not body.is_visible(), "a solution is visible before anyone asked for it"
    assert "Show solution" in toggle.inner_text()
    toggle.click()
    assert body.is_visible()
    page.screenshot(path=str(ARTIFACTS / "site_chapter2_solution.png"))
    assert not failed, f"requests that failed: {failed}"
