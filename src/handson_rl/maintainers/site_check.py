"""Checks of the built website's HTML (:func:`check_site`)."""

from __future__ import annotations

import html.parser
import urllib.parse
import urllib.request
from pathlib import Path


class _Page(html.parser.HTMLParser):
    """Collects what :func:`check_site` looks at in one HTML page."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str]] = []  # (attribute, url)
        self.errors = 0
        self.mermaid = 0
        self._cells: list[tuple[int, bool]] = []  # (depth, allowed to raise)
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag not in ("img", "br", "meta", "link", "input", "hr", "source"):
            self._depth += 1
        if tag == "div" and "cell" in classes:
            self._cells.append((self._depth, "tag_raises-exception" in classes))
        if tag == "div" and "output" in classes and "traceback" in classes:
            if not (self._cells and self._cells[-1][1]):
                self.errors += 1
        if "mermaid" in classes:
            self.mermaid += 1
        for attr in ("href", "src"):
            if attrs.get(attr) and not (tag == "a" and attr == "src"):
                self.refs.append((f"{tag}.{attr}", attrs[attr]))

    def handle_endtag(self, tag):
        if tag in ("img", "br", "meta", "link", "input", "hr", "source"):
            return
        while self._cells and self._cells[-1][0] >= self._depth:
            self._cells.pop()
        self._depth -= 1


def check_site(html_dir: Path, chapters: list[str]) -> list[str]:
    """Problems in a built site: missing pages, error outputs, broken links and assets."""
    problems = []
    if not (html_dir / "index.html").exists():
        return [f"no {html_dir / 'index.html'}"]
    for name in chapters:
        page = html_dir / "chapters" / f"{name}.html"
        if not page.exists():
            problems.append(f"no page for chapter {name}")
            continue
        text = page.read_text()
        if "Outputs on this page: executed" not in text:
            problems.append(f"{name}: no versions/date line")
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir)
        if rel.parts[0] in ("_static", "_sources", "_images") or rel.name in (
            "genindex.html",
            "search.html",
        ):
            continue
        parser = _Page()
        parser.feed(page.read_text())
        if parser.errors:
            problems.append(f"{rel}: {parser.errors} cell(s) show an error output")
        for where, url in parser.refs:
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme in ("http", "https") or url.startswith("//"):
                if where in ("script.src", "link.href", "img.src"):
                    problems.append(f"{rel}: loads {url} from another site")
                continue
            if parsed.scheme in ("mailto", "data", "javascript") or not parsed.path:
                continue
            target = (page.parent / urllib.parse.unquote(parsed.path)).resolve()
            if not target.exists():
                problems.append(f"{rel}: {where} -> {url} does not exist")
    return problems
