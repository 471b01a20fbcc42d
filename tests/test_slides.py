"""The chapters' slide decks (handson_rl.maintainers.slides).

The unit tests need no build: they run the deck builder on the lessons with empty
outputs (the site page the website would execute) and on small made-up cells.
``test_built_decks`` checks the decks the smoke website build wrote into its
``html/slides/`` (``HANDSON_SITE_HTML``, set by ``course.sh test``); without one
it skips, except under CI. The browser test is tests/browser/test_slides_in_browser.py.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from handson_rl.maintainers import site_check, site_pages, slides
from handson_rl.maintainers.slides import Cell, SlidesError
from handson_rl.paths import LESSONS_DIR

CHAPTERS = sorted(p.stem for p in LESSONS_DIR.glob("[0-9][0-9]_*.py"))


# ------------------------------------------------------------- shortening


def test_short_code_stays_as_it_is():
    code = "x = 1\n# a comment\nprint(x)"
    assert slides.shorten_code(code) == (code, False)


def test_long_code_is_shortened_on_the_slide_with_a_marker():
    code = "\n".join(f"value_{i} = {i}  # comment" for i in range(40))
    shown, cut = slides.shorten_code(code)
    lines = shown.splitlines()
    assert cut and len(lines) == slides.MAX_CODE_LINES
    assert lines[0] == "value_0 = 0  # comment" and lines[-1] == "value_39 = 39  # comment"
    assert "# ... 27 more lines in the notebook" in shown


def test_comment_lines_go_first_when_code_is_too_long():
    code = "\n".join(["# explain"] * 10 + [f"a{i} = {i}" for i in range(10)])
    shown, cut = slides.shorten_code(code)
    assert cut and "# explain" not in shown and shown.count("\n") == 9  # the 10 statements


def test_a_too_wide_line_is_cut():
    shown, cut = slides.shorten_code("x = '" + "a" * 200 + "'")
    assert cut and len(shown) == slides.MAX_LINE_CHARS and shown.endswith(" ...")


def test_first_sentence_ignores_dots_in_code_maths_and_abbreviations():
    text = "Call `algo.train()` once, e.g. in a loop. Then $x = 1.5$. More."
    assert slides.first_sentence(text) == "Call `algo.train()` once, e.g. in a loop."
    assert slides.first_sentence("No end here") == "No end here"
    # A numbered bold lead-in is not a sentence of its own.
    text = "**1. The advantage: better or worse?** Next to the policy. More here."
    assert (
        slides.first_sentence(text) == "**1. The advantage: better or worse?** Next to the policy."
    )


def test_a_long_paragraph_keeps_its_first_sentence_and_headings_stay():
    long = "First sentence here. " + "Then many words follow " * 20 + "to the end."
    source = f"## A heading\n\n{long}\n\n$$A_t = G_t - V(s_t)$$\n\nShort one.\n\n<!-- notes: say it -->\n"
    shown, cut = slides.slide_markdown(source)
    assert cut
    assert "## A heading" in shown and "$$A_t = G_t - V(s_t)$$" in shown and "Short one." in shown
    assert "First sentence here." in shown and "Then many words" not in shown
    assert "notes:" not in shown


def test_long_list_items_keep_their_first_sentence():
    item = "- **Discrete(n)**: one of n choices. " + "More about it " * 20 + "end."
    shown, cut = slides.slide_markdown(f"{item}\n- short item\n")
    assert cut and "- **Discrete(n)**: one of n choices." in shown and "More about it" not in shown
    assert "- short item" in shown


def test_links_to_repository_files_become_text_and_web_links_stay():
    out = slides.render_markdown(
        "See the [cheat sheet](../docs/old_api_cheatsheet.md) and [Ray](https://docs.ray.io)."
    )
    assert "<code>cheat sheet</code>" in out and "old_api_cheatsheet.md" not in out
    assert '<a href="https://docs.ray.io">Ray</a>' in out


def test_maths_is_rendered_for_mathjax():
    out = slides.render_markdown("a $x < 1$ b\n\n$$y$$\n")
    assert "\\(x &lt; 1\\)" in out and "\\[y\\]" in out


def test_setup_cells_are_recognised():
    assert slides.is_setup(
        "from handson_rl.budget import pick\n\nITERATIONS = pick(full=30, smoke=2)", []
    )
    assert slides.is_setup("import ray\nquiet_ray()", [])
    assert not slides.is_setup("import ray\nprint(1)", [{"output_type": "stream", "text": "1\n"}])
    assert not slides.is_setup("config = PPOConfig()", [])


def test_outputs_keep_figures_and_the_end_of_long_logs():
    png = {
        "output_type": "display_data",
        "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
    }
    log = {
        "output_type": "stream",
        "name": "stdout",
        "text": "".join(f"line {i}\n" for i in range(50)),
    }
    widget = {
        "output_type": "display_data",
        "data": {"application/vnd.jupyter.widget-view+json": {}},
    }
    rendered = slides.render_outputs([log, widget, png])
    assert (
        len(rendered.figures) == 1 and "data:image/png;base64,iVBORw0KGgo=" in rendered.figures[0]
    )
    assert "line 49" in rendered.text[0] and "line 5\n" not in rendered.text[0]
    assert "41 lines above" in rendered.text[0]


# ----------------------------------------------------------------- structure


def _slides(cells):
    return slides.chapter_slides(cells)


def test_headings_start_columns_and_a_short_lead_gets_its_code_as_a_fragment():
    columns = _slides(
        [
            Cell("markdown", "# 3. Title\n\nGoal."),
            Cell("code", "from x import y", outputs=[]),  # set-up: skipped
            Cell("markdown", "## First topic\n\nShort lead:"),
            Cell(
                "code",
                "print(1)",
                outputs=[{"output_type": "stream", "name": "stdout", "text": "1\n"}],
            ),
            Cell("markdown", "More text on its own slide."),
            Cell("markdown", "## Second topic"),
        ]
    )
    assert len(columns) == 3 and [len(c) for c in columns] == [1, 2, 1]
    first_topic = "".join(columns[1][0].parts)
    assert 'class="cell fragment"' in first_topic and "print" in first_topic
    assert (
        "from"
        not in "".join(p for c in columns for s in c for p in s.parts).split("First topic")[0]
    )
    assert columns[1][1].context == "First topic"


def test_a_heading_inside_a_markdown_cell_starts_a_new_topic_there():
    columns = _slides(
        [
            Cell("markdown", "# 9. Title"),
            Cell(
                "markdown",
                "The end of the first topic.\n\n## Second topic\n\nIts text.\n\n```python\n## not a heading\n```",
            ),
        ]
    )
    assert len(columns) == 2
    assert "The end of the first topic." in "".join(columns[0][-1].parts)
    second = "".join(columns[1][0].parts)
    assert "<h2>Second topic</h2>" in second and "## not a heading" in second


def test_explicit_marks_win_over_the_default():
    columns = _slides(
        [
            Cell("markdown", "# 1. Title"),
            Cell("markdown", "Hidden from the slides.", slide_type="skip"),
            Cell("markdown", "A new column without a heading.", slide_type="slide"),
            Cell("markdown", "Same slide.", slide_type="-"),
        ]
    )
    assert len(columns) == 2 and len(columns[1]) == 1
    text = "".join(columns[1][0].parts)
    assert "A new column" in text and "Same slide." in text
    assert "Hidden" not in "".join(p for c in columns for s in c for p in s.parts)


def test_notes_comments_and_shortened_text_go_to_the_speaker_notes():
    long = "Short start. Then " + "words " * 80
    columns = _slides(
        [
            Cell("markdown", "# 7. Tune\n\n<!-- notes: start the sweep, then the break -->"),
            Cell("markdown", f"## Topic\n\n{long}"),
        ]
    )
    assert "start the sweep, then the break" in "".join(columns[0][0].notes)
    assert "notes:" not in "".join(columns[0][0].parts)
    assert "words words" in "".join(columns[1][0].notes)


def test_an_exercise_shows_the_stub_then_the_solution():
    columns = _slides(
        [
            Cell("markdown", "## Exercise 1"),
            Cell(
                "code",
                "def f():\n    return 1",
                outputs=[],
                stub="def f():\n    raise NotImplementedError('x')",
            ),
        ]
    )
    stub, solution = ("".join(s.parts) for s in columns[0][1:])
    assert "NotImplementedError" in stub and "as learners get it" in stub
    assert "return" in solution and "NotImplementedError" not in solution


def _unexecuted(lesson: Path):
    return site_pages.site_page(lesson, "  # course package test")


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_lesson_makes_a_deck_with_notes(name):
    lesson = LESSONS_DIR / f"{name}.py"
    cells = slides.lesson_cells(lesson, _unexecuted(lesson))
    columns = slides.chapter_slides(cells)
    headings = [
        line
        for c in cells
        if c.kind == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]
    assert len(columns) == len(headings) + 1  # the title slide, then one column per topic
    assert any(slide.notes for column in columns for slide in column), "no speaker notes"
    text = slides.deck_html(name, columns, "")
    assert "RevealNotes" in text
    # Links may point anywhere; nothing is loaded from another host.
    assert not re.search(
        r"<(script|img|link|iframe|video|source)\b[^>]*(src|href)=\"(https?:)?//", text
    )


def test_a_bad_mark_in_a_lesson_is_refused(tmp_path):
    lesson = tmp_path / "01_x.py"
    lesson.write_text(
        '# %% [markdown]\n# # 1. X\n\n# %% [markdown] slideshow={"slide_type": "slid"}\n# text\n'
    )
    page = nbformat.v4.new_notebook()
    with pytest.raises(SlidesError, match="slide_type 'slid' is not one of"):
        slides.lesson_cells(lesson, page)


def test_a_lesson_that_changed_since_the_build_is_refused():
    lesson = LESSONS_DIR / "03_training_ppo.py"
    page = _unexecuted(lesson)
    page.cells = [c for c in page.cells if "build_algo" not in c.source]
    with pytest.raises(SlidesError, match="build the website again"):
        slides.lesson_cells(lesson, page)


def test_no_website_build_says_how_to_make_one(tmp_path):
    with pytest.raises(SlidesError, match="bash course.sh site"):
        slides.build_decks(tmp_path / "out", tmp_path / "no_cache", "smoke")
    assert (
        slides.main(["--budget", "smoke", "--site", str(tmp_path), "--out", str(tmp_path / "o")])
        == 1
    )


# ---------------------------------------------------------- the built decks


@pytest.mark.built_site
def test_built_decks(built_site_html):
    """The decks the website build wrote: one per chapter, notes, figures, nothing remote."""
    html_dir = built_site_html
    decks = Path(html_dir) / "slides"
    index = (decks / "index.html").read_text()
    for name in CHAPTERS:
        text = (decks / f"{name}.html").read_text()
        assert f'href="{name}.html"' in index
        assert '<aside class="notes">' in text, f"{name}: no speaker notes"
        assert "Outputs on these slides: executed" in text, f"{name}: no date of its outputs"
    with_figures = [
        n for n in CHAPTERS if "data:image/png;base64" in (decks / f"{n}.html").read_text()
    ]
    assert len(with_figures) >= 6, with_figures
    assert (decks / "assets" / "reveal" / "reveal.js").exists()
    landing = (Path(html_dir) / "index.html").read_text()
    assert 'href="slides/index.html"' in landing and "instructor_guide.html" in landing
    guide = (Path(html_dir) / "docs" / "instructor_guide.html").read_text()
    assert "A learner who fell behind" in html.unescape(guide)
    assert (
        site_check.check_site(Path(html_dir), []) == []
    )  # slides/ included: no broken or remote reference


# ------------------------------------------------------- the instructor guide


def _literal_text(path: Path) -> str:
    """Every string literal of a module, a placeholder (\\0) where an f-string inserts a value."""
    import ast

    pieces = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr):
            pieces.append(
                "".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values)
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            pieces.append(node.value)
    return "\0".join(" ".join(piece.split()) for piece in pieces)


def test_the_guide_quotes_the_checkers_real_messages():
    """Each message the guide quotes under "Mistakes the checker catches" is in the checkers' code."""
    guide = (LESSONS_DIR.parent / "docs" / "instructor_guide.md").read_text()
    source = "\0".join(
        _literal_text(p)
        for p in sorted((LESSONS_DIR.parent / "src" / "handson_rl" / "exercises").rglob("*.py"))
    )
    quotes = []
    for block in re.findall(r"\*\*Mistakes the checker catches\*\*.*?\n((?:  .*\n)+)", guide):
        quotes += re.findall(r'- "(.*?)"[;.]?\s*(?=\n  - |\Z)', block, re.S)
    assert len(quotes) >= 18, quotes
    for quote in quotes:
        text = " ".join(quote.split())
        # "..." marks what the guide leaves out, '...' a value the checker fills in.
        # A quoted value ('up', 'NoneType') is one the checker fills in: only the text
        # around it is the checker's own.
        for chunk in re.sub(r"'[^'\s]+'", "...", text).split("..."):
            chunk = chunk.strip()
            if len(chunk) >= 15:
                # An agent id in the guide stands where the checker names the agent, and
                # a value the checker inserts before a space is left out.
                # A number in the guide may be a constant the checker's f-string fills in.
                pieces = re.split(r"(agent1|\d+)", chunk)
                pattern = "".join(
                    f"(?:{re.escape(p)}|\\x00)"
                    if i % 2
                    else re.escape(p).replace("\\ ", "\\x00?\\ ")
                    for i, p in enumerate(pieces)
                )
                assert re.search(pattern, source), (
                    f"the guide quotes {chunk!r}, which no checker says (any more)"
                )
