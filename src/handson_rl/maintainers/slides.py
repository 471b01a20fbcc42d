"""Build one reveal.js slide deck per chapter, from the lessons and the website's outputs.

    python -m handson_rl.maintainers.slides                   # full budget -> _build/slides-full/
    python -m handson_rl.maintainers.slides --budget smoke    # from the smoke website's outputs
    bash course.sh slides                                     # the first line

Nothing is executed here. Each deck is made from its lesson (``lessons/NN_*.py``)
and the outputs the website build stored in its jupyter-cache
(``_build/site-<budget>/jupyter_cache``): the page :func:`site_pages.site_page` stages for
a chapter is looked up in that cache by its code, exactly as MyST-NB does, so a
lesson whose code changed since the last website build is reported (build the
website again) instead of shown with stale outputs. The website build
(:func:`handson_rl.maintainers.site.build`) also writes the decks into its
``html/slides/``, so the published site links to them.

How a lesson becomes slides (the default; docs/instructor_guide.md says the same):

- the title cell (``# N. Title``) is the title slide;
- a ``## `` heading starts a new slide (a new column), also in the middle of a
  markdown cell;
- every other cell is a sub-slide below it (press the down arrow), except a code
  cell right after a short markdown cell, which joins that cell's slide as a
  fragment (it appears on the next key press);
- set-up cells are skipped: a code cell without output that only imports, picks
  the budget (``pick(...)``) or silences Ray (``quiet_ray()``), and the website's
  hidden versions cell;
- on a slide, a long paragraph or list item shows its first sentence; the whole
  text goes to the speaker notes (press ``S``). Code longer than
  ``MAX_CODE_LINES`` lines (or wider than ``MAX_LINE_CHARS``) is shortened on the
  slide, never in the notebook, and shown whole in the notes; long text outputs
  keep their last lines;
- an exercise shows the cell learners get (the stub), then the solution on the
  next sub-slide, with its outputs.

Explicit marks, where the default is wrong, are the standard Jupyter ``slideshow``
cell metadata (the one RISE and ``nbconvert --to slides`` read), written in the
lesson's cell header: ``# %% [markdown] slideshow={"slide_type": "skip"}``, with
``slide``, ``subslide``, ``fragment``, ``-`` (same slide) or ``skip``. Speaker
notes of your own go in a markdown cell as an HTML comment starting with
``notes:`` (``<!-- notes: start Exercise 2's sweep now, then break -->``):
learners never see it (JupyterLab, GitHub and the website do not render
comments); the deck puts it in that slide's notes.

reveal.js is the npm registry's tarball, pinned by hash like the website's Mermaid
and MathJax (:func:`handson_rl.maintainers.npm_assets.npm_files`); the decks load
nothing from another host (figures are embedded; reveal.js, MathJax and Mermaid
are files next to the decks). Mermaid diagrams need the deck served over HTTP
(as the website is): a browser does not load JavaScript modules from ``file://``;
opened as a file, a deck shows the diagram's source instead.
"""

from __future__ import annotations

import argparse
import ast
import base64
import html
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from handson_rl import budget
from handson_rl.paths import LESSONS_DIR, ROOT

BUILD_DIR = ROOT / "_build"

# reveal.js from the npm registry: version, sha256 of the tarball (whose sha512
# matches the registry's published integrity), and the files the decks use.
REVEAL_ASSETS = {
    "reveal.js": (
        "6.0.2",
        "2f0c20bfb02447a198a1ebe8a8c097a5437d035caa38f2820bf4ba887a3eac91",
        ("package/dist/", r"reveal\.js|reveal\.css|reset\.css|theme/white\.css|plugin/notes\.js"),
    ),
}

MAX_CODE_LINES = 14  # code lines on a slide (more: shortened on the slide)
MAX_CODE_LINES_WITH_FIGURE = 8  # when a figure shares the slide
MAX_LINE_CHARS = 92  # characters per code or output line on a slide
MAX_LINE_CHARS_WITH_FIGURE = 66  # beside a figure, code has half the slide
MAX_OUTPUT_LINES = 10  # text output lines on a slide (the last ones are kept)
LONG_TEXT = 220  # a paragraph or list item longer than this shows its first sentence
SHORT_LEAD = 400  # a code cell joins the slide of a markdown cell at most this long
SETUP_CALLS = {"pick", "quiet_ray"}
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
NOTES = re.compile(r"<!--\s*notes:\s*(.*?)\s*-->", re.S)


class SlidesError(RuntimeError):
    """The decks could not be built (missing outputs, a bad mark in a lesson)."""


# ----------------------------------------------------------------- markdown


def _markdown():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable("table").use(dollarmath_plugin)

    def math_inline(self, tokens, idx, options, env):
        return f"\\({html.escape(tokens[idx].content)}\\)"

    def math_block(self, tokens, idx, options, env):
        return f'<div class="math">\\[{html.escape(tokens[idx].content)}\\]</div>\n'

    def fence(self, tokens, idx, options, env):
        token = tokens[idx]
        lang = token.info.strip().split(" ")[0]
        if lang == "mermaid":
            return f'<pre class="mermaid">{html.escape(token.content)}</pre>\n'
        return highlight(token.content.rstrip("\n"), lang or "text")

    md.add_render_rule("math_inline", math_inline)
    md.add_render_rule("math_inline_double", math_block)
    md.add_render_rule("math_block", math_block)
    md.add_render_rule("math_block_label", math_block)
    md.add_render_rule("fence", fence)
    return md


_MD = None


def render_markdown(text: str, notes: bool = False) -> str:
    """Markdown to slide HTML; in speaker notes a diagram stays source (the notes are hidden)."""
    from handson_rl.maintainers.site_pages import repo_link_to_code

    global _MD
    if _MD is None:
        _MD = _markdown()
    # A link to a repository file (``../docs/x.md``) leads nowhere from a deck: it
    # becomes its text, as on the website a link to a file that is not a page does.
    out = _MD.render(repo_link_to_code(text, Path("notebooks"), set()))
    return out.replace('<pre class="mermaid">', '<pre class="diagram-source">') if notes else out


def highlight(code: str, lang: str = "python") -> str:
    from pygments import highlight as pyg
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    return pyg(code, lexer, HtmlFormatter(cssclass="highlight", nowrap=False))


def first_sentence(text: str) -> str:
    """The text up to its first sentence end outside code spans, maths and brackets."""
    depth, code, math, bold = 0, False, False, False
    for i, ch in enumerate(text):
        if ch == "`":
            code = not code
        elif code:
            continue
        elif ch == "$":
            math = not math
        elif math:
            continue
        elif ch == "*" and text.startswith("**", i) and not text.startswith("**", i - 1):
            bold = not bold
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch in ".!?" and depth == 0 and not bold and i + 1 < len(text) and text[i + 1] in " \n":
            word = text[: i + 1].rsplit(None, 1)[-1].lower()
            if word in ("e.g.", "i.e.", "vs.", "etc.", "cf.") or re.fullmatch(r"\W*\d+\.", word):
                continue
            rest = text[i + 1 :].lstrip()
            if rest and (rest[0].isupper() or rest[0] in "*`$(["):
                return text[: i + 1]
    return text


def _shorten_block(lines: list[str]) -> tuple[str, bool]:
    """A paragraph or list item (its source lines) as the slide shows it."""
    text = "\n".join(lines)
    if len(text) <= LONG_TEXT:
        return text, False
    short = first_sentence(text)
    return short, short != text


def slide_markdown(source: str) -> tuple[str, bool]:
    """(what the slide shows, whether anything moved to the notes) for a markdown cell.

    Headings, maths, tables, diagrams and code blocks stay whole; a paragraph or a
    list item longer than ``LONG_TEXT`` characters keeps its first sentence.
    """
    if _MD is None:
        render_markdown("")
    lines = source.splitlines()
    tokens = _MD.parse(source)
    out: list[str] = []
    shortened = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.level == 0 and token.map and token.nesting in (0, 1):
            start, end = token.map
            block = lines[start:end]
            if token.type == "paragraph_open":
                text, cut = _shorten_block(block)
                out.append(text)
                shortened |= cut
            elif token.type in ("bullet_list_open", "ordered_list_open"):
                close = next(
                    j
                    for j in range(i + 1, len(tokens))
                    if tokens[j].level == 0
                    and tokens[j].type == token.type.replace("_open", "_close")
                )
                for item in (
                    t for t in tokens[i:close] if t.level == 1 and t.type == "list_item_open"
                ):
                    text, cut = _shorten_block(lines[item.map[0] : item.map[1]])
                    out.append(text.rstrip())
                    shortened |= cut
                out.append("")
                i = close
            elif token.type == "html_block" and NOTES.search("\n".join(block)):
                pass  # speaker notes: not on the slide
            else:
                out.append("\n".join(block))
            if token.type != "bullet_list_open" and token.type != "ordered_list_open":
                out.append("")
        i += 1
    return "\n".join(out).strip() + "\n", shortened


# --------------------------------------------------------------------- code


def shorten_code(
    code: str, max_lines: int = MAX_CODE_LINES, width: int = MAX_LINE_CHARS
) -> tuple[str, bool]:
    """Code as a slide shows it: at most ``max_lines`` lines of ``width`` characters."""
    lines = code.rstrip().splitlines()
    original = list(lines)
    if len(lines) > max_lines:
        # First drop comment-only lines and repeated blank lines.
        kept = []
        for line in lines:
            if line.strip().startswith("#"):
                continue
            if not line.strip() and (not kept or not kept[-1].strip()):
                continue
            kept.append(line)
        lines = kept
    if len(lines) > max_lines:
        head, tail = lines[: max_lines - 3], lines[-2:]
        hidden = len(lines) - len(head) - len(tail)
        indent = re.match(r"\s*", tail[0]).group(0) if tail[0].strip() else ""
        lines = head + [f"{indent}# ... {hidden} more lines in the notebook"] + tail
    lines = [line if len(line) <= width else line[: width - 4] + " ..." for line in lines]
    return "\n".join(lines), lines != original


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _text_tail(text: str, keep: int = MAX_OUTPUT_LINES) -> str:
    # A carriage return overwrites its line (progress bars): keep what stays visible.
    lines = [line.rsplit("\r", 1)[-1] for line in _ANSI.sub("", text).rstrip().split("\n")]
    if len(lines) > keep:
        lines = [f"... {len(lines) - keep + 1} lines above"] + lines[-(keep - 1) :]
    return "\n".join(
        line if len(line) <= MAX_LINE_CHARS + 8 else line[: MAX_LINE_CHARS + 4] + " ..."
        for line in lines
    )


def _text_head(text: str, keep: int = MAX_OUTPUT_LINES) -> str:
    lines = _ANSI.sub("", text).rstrip().split("\n")
    if len(lines) > keep:
        lines = lines[: keep - 1] + [f"... {len(lines) - keep + 1} more lines"]
    return "\n".join(
        line if len(line) <= MAX_LINE_CHARS + 8 else line[: MAX_LINE_CHARS + 4] + " ..."
        for line in lines
    )


@dataclass
class Rendered:
    """One cell's outputs as slide HTML: text parts and figures apart."""

    text: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


def render_outputs(outputs: list) -> Rendered:
    out = Rendered()
    stream = ""
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            stream += output.get("text", "")
            continue
        if stream:
            out.text.append(f'<pre class="output">{html.escape(_text_tail(stream))}</pre>')
            stream = ""
        if kind == "error":
            message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
            out.text.append(
                f'<pre class="output error">{html.escape(_text_head(message, 6))}</pre>'
            )
            continue
        data = output.get("data", {})
        if "application/vnd.jupyter.widget-view+json" in data:
            continue  # a progress bar: nothing to show on a slide
        for mime in ("image/gif", "image/png", "image/jpeg"):
            if mime in data:
                payload = data[mime]
                if isinstance(payload, list):
                    payload = "".join(payload)
                alt = html.escape(_text_head(data.get("text/plain", "figure"), 1))
                out.figures.append(
                    f'<img class="figure" alt="{alt}" src="data:{mime};base64,{payload.strip()}">'
                )
                break
        else:
            if "image/svg+xml" in data:
                svg = data["image/svg+xml"]
                svg = "".join(svg) if isinstance(svg, list) else svg
                encoded = base64.b64encode(svg.encode()).decode()
                out.figures.append(
                    f'<img class="figure" alt="figure" src="data:image/svg+xml;base64,{encoded}">'
                )
            elif "text/html" in data:
                body = data["text/html"]
                body = "".join(body) if isinstance(body, list) else body
                out.text.append(f'<div class="output html">{body}</div>')
            elif "text/markdown" in data:
                body = data["text/markdown"]
                body = "".join(body) if isinstance(body, list) else body
                out.text.append(f'<div class="output markdown">{render_markdown(body)}</div>')
            elif "text/plain" in data:
                body = data["text/plain"]
                body = "".join(body) if isinstance(body, list) else body
                out.text.append(f'<pre class="output">{html.escape(_text_head(body))}</pre>')
    if stream:
        out.text.append(f'<pre class="output">{html.escape(_text_tail(stream))}</pre>')
    return out


def is_setup(code: str, outputs: list) -> bool:
    """A code cell with no output that only imports, picks the budget or quiets Ray."""
    if any(o.get("output_type") != "stream" or o.get("text", "").strip() for o in outputs):
        return False
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    if not tree.body:
        return True

    def setup_call(node) -> bool:
        if not isinstance(node, ast.Call):
            return False
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        return name in SETUP_CALLS

    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and setup_call(stmt.value):
            continue
        if isinstance(stmt, ast.Expr) and setup_call(stmt.value):
            continue
        return False
    return True


# -------------------------------------------------------------------- cells


@dataclass
class Cell:
    kind: str  # "markdown" or "code"
    source: str  # markdown, or the solution's code
    slide_type: str | None = None  # an explicit mark, or None for the default
    outputs: list = field(default_factory=list)
    stub: str | None = None  # an exercise cell: what learners get


def lesson_cells(lesson: Path, executed) -> list[Cell]:
    """The lesson's cells, each code cell with its outputs from the executed site page."""
    import jupytext

    from handson_rl.maintainers.build import (
        _strip_regions,
        _stub_for_solution_cell,
        fill_seed_ranges,
    )
    from handson_rl.maintainers.stamp import is_stamp

    nb = jupytext.read(lesson, fmt="py:percent")
    ran = [c for c in executed.cells if c.cell_type == "code" and not is_stamp(c)]
    cells, k = [], 0
    for i, cell in enumerate(nb.cells):
        mark = cell.metadata.get("slideshow", {}).get("slide_type")
        if mark is not None and mark not in SLIDE_TYPES:
            raise SlidesError(
                f"{lesson.name}, cell {i + 1}: slide_type {mark!r} is not one of {sorted(SLIDE_TYPES)}."
            )
        if cell.cell_type == "markdown":
            cells.append(
                Cell(
                    "markdown", fill_seed_ranges(cell.source, f"{lesson.name}, cell {i + 1}"), mark
                )
            )
        elif cell.cell_type == "code":
            sol, ex = _strip_regions(cell.source, f"{lesson.name}, cell {i + 1}")
            tags = cell.metadata.get("tags", [])
            stub = None
            if "solution" in tags:
                stub = _stub_for_solution_cell(sol)
            elif sol != ex:
                stub = ex
            # The site page may add code cells of its own (the versions line, and
            # whatever the site build adds after a cell): skip to this cell's twin.
            while k < len(ran) and ran[k].source != sol:
                k += 1
            if k >= len(ran):
                raise SlidesError(
                    f"{lesson.name}, cell {i + 1}: the executed page has no such code cell "
                    "(in this order); the website build and the lesson disagree: build the website again."
                )
            cells.append(Cell("code", sol, mark, list(ran[k].get("outputs", [])), stub))
            k += 1
    return cells


# ------------------------------------------------------------------- slides


@dataclass
class Slide:
    parts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lead_chars: int = 0  # size of the markdown on it (for the fragment rule)
    has_code: bool = False
    context: str = ""  # the heading of its column, shown small on a sub-slide


def _code_html(
    code: str, rendered: Rendered, fragment: bool, label: str = ""
) -> tuple[str, str | None]:
    """(the slide's HTML for a code cell, its notes if shortened)."""
    if rendered.figures:
        shown, cut = shorten_code(code, MAX_CODE_LINES_WITH_FIGURE, MAX_LINE_CHARS_WITH_FIGURE)
    else:
        shown, cut = shorten_code(code)
    classes = (
        "cell" + (" has-figure" if rendered.figures else "") + (" fragment" if fragment else "")
    )
    parts = [f'<div class="{classes}">', '<div class="code">']
    if label:
        parts.append(f'<p class="label">{label}</p>')
    parts.append(highlight(shown) if shown.strip() else "")
    parts += rendered.text
    parts.append("</div>")
    if rendered.figures:
        # Code and text on the left, figures on the right: a 16:9 slide has room.
        parts.append('<div class="figures">' + "".join(rendered.figures) + "</div>")
    parts.append("</div>")
    notes = None
    if cut:
        notes = "<p>The whole cell (shortened on the slide):</p>" + highlight(code.rstrip())
    return "\n".join(parts), notes


def split_at_headings(cells: list[Cell]) -> list[Cell]:
    """A markdown cell with a ``## `` heading after its first line becomes two cells there."""
    out = []
    for cell in cells:
        if cell.kind != "markdown":
            out.append(cell)
            continue
        parts, current, fence = [], [], False
        for line in cell.source.splitlines():
            if line.startswith("```"):
                fence = not fence
            if not fence and line.startswith("## ") and any(part.strip() for part in current):
                parts.append("\n".join(current).strip())
                current = []
            current.append(line)
        parts.append("\n".join(current).strip())
        out += [
            Cell("markdown", part, cell.slide_type if k == 0 else None)
            for k, part in enumerate(parts)
        ]
    return out


class _Columns:
    """The columns of slides :func:`chapter_slides` builds, one cell after another."""

    def __init__(self) -> None:
        self.columns: list[list[Slide]] = []
        self.current: Slide | None = None
        self.heading = ""

    def below(self, slide: Slide) -> Slide:
        slide.context = self.heading
        self.columns[-1].append(slide)
        return slide

    def add_markdown(self, n: int, cell: Cell) -> None:
        mark = cell.slide_type
        explicit = NOTES.findall(cell.source)
        if mark == "notes":
            if self.current is not None:
                self.current.notes.append(render_markdown(cell.source, notes=True))
            return
        shown, cut = slide_markdown(cell.source)
        new_column = mark == "slide" or (mark is None and (n == 0 or cell.source.startswith("## ")))
        same_slide = mark in ("fragment", "-") and self.current is not None
        if new_column or not self.columns:
            self.current = Slide()
            self.columns.append([self.current])
            first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
            self.heading = re.sub(r"^#+\s*", "", first) if first.startswith("#") else ""
        elif not same_slide:
            self.current = self.below(Slide())
        current = self.current
        cls = ' class="fragment"' if mark == "fragment" else ""
        current.parts.append(f"<div{cls}>{render_markdown(shown)}</div>")
        current.lead_chars += len(shown)
        if cut:
            current.notes.append(render_markdown(NOTES.sub("", cell.source), notes=True))
        current.notes += [render_markdown(note, notes=True) for note in explicit]

    def add_exercise(self, cell: Cell) -> None:
        """The cell learners get, then the solution and its outputs."""
        rendered = render_outputs(cell.outputs)
        stub_html, _ = _code_html(
            cell.stub, Rendered(), False, "The exercise cell, as learners get it:"
        )
        if not self.columns:
            self.columns.append([])
        self.below(Slide([stub_html]))
        html_, notes = _code_html(cell.source, rendered, False, "A solution (solutions/):")
        self.current = self.below(Slide([html_], [notes] if notes else [], has_code=True))

    def add_code(self, cell: Cell) -> None:
        mark, current = cell.slide_type, self.current
        rendered = render_outputs(cell.outputs)
        joins = current is not None and (
            mark in ("fragment", "-")
            or (
                mark is None
                and not current.has_code
                and current.lead_chars <= SHORT_LEAD
                and not (current.lead_chars == 0)
            )
        )
        html_, notes = _code_html(cell.source, rendered, fragment=(joins and mark != "-"))
        if not joins:
            if mark == "slide" or not self.columns:
                self.current = Slide()
                self.columns.append([self.current])
            else:
                self.current = self.below(Slide())
        self.current.parts.append(html_)
        self.current.has_code = True
        if notes:
            self.current.notes.append(notes)


def chapter_slides(cells: list[Cell]) -> list[list[Slide]]:
    """Columns of slides: each column starts at a ``## `` heading (or a ``slide`` mark)."""
    deck = _Columns()
    for n, cell in enumerate(split_at_headings(cells)):
        mark = cell.slide_type
        if mark == "skip":
            continue
        if cell.kind == "markdown":
            deck.add_markdown(n, cell)
        elif mark is None and cell.stub is None and is_setup(cell.source, cell.outputs):
            continue
        elif cell.stub is not None:
            deck.add_exercise(cell)
        else:
            deck.add_code(cell)
    return deck.columns


def deck_html(title: str, columns: list[list[Slide]], stamp: str, assets: str = "assets") -> str:
    sections = []
    for column in columns:
        inner = []
        for slide in column:
            notes = f'<aside class="notes">{"".join(slide.notes)}</aside>' if slide.notes else ""
            context = (
                f'<p class="context">{html.escape(slide.context)}</p>' if slide.context else ""
            )
            inner.append(f"<section>\n{context}{''.join(slide.parts)}\n{notes}\n</section>")
        if len(inner) == 1:
            sections.append(inner[0])
        else:
            sections.append("<section>\n" + "\n".join(inner) + "\n</section>")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)} (slides)</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/reveal/reset.css">
<link rel="stylesheet" href="{assets}/reveal/reveal.css">
<link rel="stylesheet" href="{assets}/reveal/theme/white.css">
<link rel="stylesheet" href="{assets}/deck.css">
<script>window.MathJax = {{tex: {{inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]]}},
  startup: {{typeset: true}}, chtml: {{fontURL: "{assets}/mathjax/output/chtml/fonts/woff-v2"}}}};</script>
<script defer src="{assets}/mathjax/tex-mml-chtml.js"></script>
</head>
<body>
<div class="reveal"><div class="slides">
{chr(10).join(sections)}
</div>
<div class="stamp">{stamp}</div>
</div>
<script src="{assets}/reveal/reveal.js"></script>
<script src="{assets}/reveal/plugin/notes.js"></script>
<script>
Reveal.initialize({{hash: true, slideNumber: "c/t", width: 1280, height: 760, margin: 0.03,
  plugins: [RevealNotes]}});
// A slide whose content is taller than the slide gets a smaller font (and, with it,
// smaller figures: their sizes are in em), down to 55%; past that it scrolls.
function fit(slide) {{
  if (!slide) return;
  for (let size = 100; size >= 55; size -= 5) {{
    slide.style.fontSize = size + "%";
    if (slide.scrollHeight <= slide.clientHeight + 2) break;
  }}
}}
Reveal.on("ready", (event) => fit(event.currentSlide));
Reveal.on("slidechanged", (event) => fit(event.currentSlide));
Reveal.on("fragmentshown", () => fit(Reveal.getCurrentSlide()));
</script>
<script type="module">
import mermaid from "./{assets}/mermaid/mermaid.esm.min.mjs";
mermaid.initialize({{startOnLoad: false}});
// Each diagram is laid out in a scratch element with the slides' styles but outside
// reveal.js's scaled slides (measured inside them, the labels come out clipped).
const scratch = document.createElement("pre");
scratch.className = "mermaid";
scratch.style.cssText = "position: absolute; left: -10000px; top: 0; visibility: hidden;";
document.querySelector(".reveal").appendChild(scratch);
let n = 0;
for (const node of document.querySelectorAll(".reveal .slides pre.mermaid")) {{
  const {{svg}} = await mermaid.render(`deck-diagram-${{n++}}`, node.textContent, scratch);
  node.innerHTML = svg;
  node.dataset.processed = "true";
}}
scratch.remove();
fit(Reveal.getCurrentSlide());
</script>
</body>
</html>
"""


DECK_CSS = """
.reveal { font-size: 30px; }
.reveal h1, .reveal h2, .reveal h3 { text-transform: none; }
.reveal h1 { font-size: 1.9em; } .reveal h2 { font-size: 1.45em; } .reveal h3 { font-size: 1.15em; }
.reveal .slides section { text-align: left; height: 100%; overflow-y: auto; }
.reveal .slides section > section { height: 100%; }
.reveal p, .reveal li { line-height: 1.3; }
.reveal ul, .reveal ol { display: block; margin-left: 1.2em; }
.reveal table { font-size: 0.7em; }
.reveal pre, .reveal .highlight pre { width: 100%; box-shadow: none; font-size: 0.6em; margin: 0.3em 0; }
.reveal .highlight pre { background: #f6f8fa; padding: 0.4em 0.6em; border-left: 4px solid #1f61b4; }
.reveal pre.output { background: #fff; border-left: 4px solid #bbb; padding: 0.3em 0.6em; white-space: pre; overflow-x: auto; }
.reveal pre.output.error { border-left-color: #c0392b; color: #8b1a10; }
/* Mermaid measures its labels in its own font: keep that font, at a fixed size. */
.reveal pre.mermaid { background: none; box-shadow: none; text-align: center; font-size: 16px; line-height: 1.5;
  font-family: "trebuchet ms", verdana, arial, sans-serif; }
.reveal pre.mermaid p { margin: 0; line-height: 1.5; }
.reveal pre.mermaid svg { max-height: 420px; height: auto; }
.reveal .output.html, .reveal .output.markdown { font-size: 0.6em; max-height: 14em; overflow: auto; }
.reveal .cell.has-figure { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 0.6em; align-items: start; }
.reveal .has-figure pre { font-size: 0.5em; overflow-x: auto; }
.reveal .figures { display: flex; flex-direction: column; gap: 0.3em; align-items: center; }
.reveal img.figure { max-height: 18em; max-width: 100%; margin: 0.2em 0; object-fit: contain; }
.reveal code { font-size: 0.85em; }
.reveal .context { font-size: 0.55em; color: #1f61b4; margin: 0 0 0.3em 0; }
.reveal .label { font-size: 0.6em; color: #555; margin: 0.2em 0; }
.reveal .math { font-size: 0.9em; }
.reveal .stamp { position: absolute; bottom: 6px; left: 10px; font-size: 12px; color: #888; }
.reveal .stamp p { margin: 0; }
"""

INDEX_HTML = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Slides: Hands-on RL with Ray RLlib</title>
<style>body {{ font-family: sans-serif; max-width: 46em; margin: 2em auto; line-height: 1.45; }}</style></head>
<body>
<h1>Hands-on RL with Ray RLlib: slides</h1>
<p>One deck per chapter, generated from the lessons with the outputs of the
<code>{budget}</code>-budget website build (<code>bash course.sh slides</code>).
Arrow keys move (down: the next slide of a topic; right: the next topic),
<kbd>S</kbd> opens the speaker notes, <kbd>F</kbd> full screen, <kbd>Esc</kbd> an
overview. What to teach with them, and when: the instructor guide
(<code>docs/instructor_guide.md</code>{guide}).</p>
<ol>
{items}
</ol>
</body>
</html>
"""


# -------------------------------------------------------------------- build


def executed_page(lesson: Path, cache, marker: str):
    """The site page of a lesson with the outputs jupyter-cache stored for it."""
    from handson_rl.maintainers.site_pages import site_page

    page = site_page(lesson, marker)
    try:
        _, merged = cache.merge_match_into_notebook(page)
    except KeyError:
        return None
    return merged


def executed_pages(jupyter_cache: Path, budget: str, root: Path = ROOT) -> dict:
    """``{lesson: its executed site page}`` for every lesson, or a SlidesError."""
    from jupyter_cache import get_cache

    from handson_rl.maintainers.stamp import package_hash

    if not (Path(jupyter_cache) / "global.db").exists():
        raise SlidesError(
            f"No executed outputs in {jupyter_cache}: the decks show the website build's "
            f"outputs. Build the website first: bash course.sh site "
            f"(or python -m handson_rl.maintainers.site --budget {budget})."
        )
    cache = get_cache(str(jupyter_cache))
    marker = f"  # course package {package_hash(root)}"
    lessons = sorted((root / LESSONS_DIR.name).glob("[0-9][0-9]_*.py"))
    if not lessons:
        raise SlidesError(f"No lessons in {root / LESSONS_DIR.name}.")
    pages, missing = {}, []
    for lesson in lessons:
        page = executed_page(lesson, cache, marker)
        if page is None:
            missing.append(lesson.stem)
        pages[lesson] = page
    if missing:
        raise SlidesError(
            f"{len(missing)} chapter(s) have no executed outputs in {jupyter_cache} for their "
            f"current code: {', '.join(missing)}. Their lesson or the course package changed since "
            f"the {budget}-budget website was built: build it again (it runs only what changed): "
            f"python -m handson_rl.maintainers.site --budget {budget}"
        )
    return pages


def write_assets(out: Path) -> None:
    """reveal.js, MathJax, mermaid and the decks' CSS into ``out/assets``."""
    from pygments.formatters import HtmlFormatter

    from handson_rl.maintainers.npm_assets import NPM_ASSETS, npm_files
    from handson_rl.maintainers.site_pages import write

    assets = out / "assets"
    for package, (_prefix_dir, files) in {
        "reveal": ("reveal.js", npm_files("reveal.js", assets=REVEAL_ASSETS)),
        "mathjax": ("mathjax", npm_files("mathjax", assets=NPM_ASSETS)),
        "mermaid": ("mermaid", npm_files("mermaid", assets=NPM_ASSETS)),
    }.items():
        for name, data in files.items():
            write(assets / package / name, data)
    write(assets / "deck.css", DECK_CSS + HtmlFormatter().get_style_defs(".highlight"))


def page_stamp(page) -> str:
    """The HTML of the page's stamp ("Outputs on these slides: ..."), or ""."""
    from handson_rl.maintainers.stamp import is_stamp

    stamp = ""
    for cell in page.cells:
        if is_stamp(cell):
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/markdown")
                if text:
                    text = "".join(text) if isinstance(text, list) else text
                    stamp = render_markdown(
                        text.replace("Outputs on this page:", "Outputs on these slides:")
                    )
    return stamp


def build_decks(
    out: Path,
    jupyter_cache: Path,
    budget: str = "full",
    root: Path = ROOT,
    guide_link: str | None = None,
) -> list[Path]:
    """Write one deck per chapter (and an index) into ``out``; return the decks."""
    from handson_rl.maintainers.site_pages import chapter_title, write

    pages = executed_pages(jupyter_cache, budget, root)
    write_assets(out)
    decks, items = [], []
    for lesson, page in pages.items():
        stamp = page_stamp(page)
        columns = chapter_slides(lesson_cells(lesson, page))
        number = lesson.stem[:2].lstrip("0")
        title = f"{number}. {chapter_title(lesson)}"
        path = out / f"{lesson.stem}.html"
        write(path, deck_html(title, columns, stamp))
        decks.append(path)
        count = sum(len(column) for column in columns)
        items.append(
            f'<li><a href="{lesson.stem}.html">{html.escape(title)}</a> ({count} slides)</li>'
        )
    guide = f', <a href="{guide_link}">on the website</a>' if guide_link else ""
    write(out / "index.html", INDEX_HTML.format(budget=budget, items="\n".join(items), guide=guide))
    return decks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the chapter slide decks (see the module docstring)."
    )
    parser.add_argument(
        "--budget",
        choices=budget.LEVELS,
        default=budget.level(),
        help="whose website build's outputs to show (default: full, or COURSE_BUDGET)",
    )
    parser.add_argument(
        "--site", type=Path, help="the website build folder (default _build/site-<budget>)"
    )
    parser.add_argument(
        "--out", type=Path, help="where to write the decks (default _build/slides-<budget>)"
    )
    args = parser.parse_args(argv)
    site_dir = (args.site or BUILD_DIR / f"site-{args.budget}").resolve()
    out = (args.out or BUILD_DIR / f"slides-{args.budget}").resolve()
    start = time.perf_counter()
    try:
        decks = build_decks(out, site_dir / "jupyter_cache", args.budget)
    except SlidesError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(
        f"{len(decks)} decks in {time.perf_counter() - start:.1f} s: {out / 'index.html'} "
        f"(serve the folder over HTTP for the diagrams: python -m http.server -d {out})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
