"""The course website (handson_rl.maintainers.site): its pages, and the built site.

The unit tests need no build. ``test_built_site`` checks a built site
(``HANDSON_SITE_HTML``, which ``course.sh test`` sets after building the
smoke-budget site); without one it skips, except under CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handson_rl.maintainers import npm_assets, site_check, site_pages
from handson_rl.maintainers.build import build_lesson
from handson_rl.maintainers.stamp import STAMP_CODE, is_stamp
from handson_rl.paths import LESSONS_DIR, ROOT

CHAPTERS = sorted(p.stem for p in LESSONS_DIR.glob("[0-9][0-9]_*.py"))


def _cells(text: str):
    return json.loads(text)["cells"]


def test_site_page_folds_each_solution_after_the_exercise_cell():
    texts = build_lesson(
        LESSONS_DIR / "02_environment_and_spaces.py", variants=("solution", "exercise", "site")
    )
    page, solution = _cells(texts["site"]), _cells(texts["solution"])

    # The same code runs on the site as in the solution notebook, plus the stamp.
    def code(cells):
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]

    # (and, after each concept check, its folded answer: tests/test_concepts.py)
    answers = [
        c for c in code(page) if c.startswith("from handson_rl.exercises.concepts import reveal")
    ]
    assert [c for c in code(page) if c not in answers] == code(solution)
    folded = [c for c in page if "hide-input" in c["metadata"].get("tags", [])]
    assert folded, "no solution is folded"
    for cell in folded:
        assert cell["metadata"]["mystnb"]["code_prompt_show"] == "Show solution"
        before = page[page.index(cell) - 1]
        assert before["cell_type"] == "markdown" and "NotImplementedError" in "".join(
            before["source"]
        )


def test_the_site_page_runs_the_stamp_after_the_title_with_the_marker():
    page = site_pages.site_page(
        LESSONS_DIR / "02_environment_and_spaces.py", "  # course package x"
    )
    stamps = [i for i, cell in enumerate(page.cells) if is_stamp(cell)]
    assert stamps == [1]  # one stamp, right after the title cell
    cell = page.cells[1]
    assert cell.source == STAMP_CODE + "  # course package x"
    assert cell.metadata["tags"] == ["remove-input"]
    namespace = {}
    exec(STAMP_CODE.split("\n")[0], namespace)  # the code imports stamp() by a real module path
    assert callable(namespace["stamp"])


def test_a_lesson_without_exercises_folds_nothing(tmp_path):
    # Every chapter has an exercise or a task now: a plain lesson, with a concept check.
    lesson = tmp_path / "01_plain.py"
    lesson.write_text(
        '# %% [markdown]\n# # Title\n\n# %% tags=["concept"]\n'
        'from handson_rl.exercises.concepts import ask\n\nask("ch2-truncated")\n\n'
        "# %%\nx = 1\n"
    )
    page = _cells(build_lesson(lesson, variants=("site",))["site"])
    assert not [c for c in page if "hide-input" in c["metadata"].get("tags", [])]


def test_landing_page_lists_every_chapter_from_the_readme():
    text = site_pages.landing_page((ROOT / "README.md").read_text(), CHAPTERS)
    for name in CHAPTERS:
        assert f"(chapters/{name}.ipynb)" in text and f"chapters/{name}\n" in text
    assert "bash course.sh site" in text


def test_landing_page_refuses_a_readme_without_its_chapter_table():
    with pytest.raises(site_pages.SiteError, match="chapter table"):
        site_pages.landing_page("# Hands-on RL with Ray RLlib\n\nno table here\n", CHAPTERS)


def test_links_to_repository_files_become_code_and_pages_stay_links():
    text = "[tests](../tests/test_cheatsheet.py), [sheet](old_api_cheatsheet.md), [Ray](https://ray.io)"
    out = site_pages.repo_link_to_code(text, Path("docs"), {"docs/old_api_cheatsheet.md"})
    assert out == "`tests`, [sheet](old_api_cheatsheet.md), [Ray](https://ray.io)"


def test_npm_files_refuse_a_tarball_with_another_hash(tmp_path):
    version = npm_assets.NPM_ASSETS["mermaid"][0]
    (tmp_path / f"mermaid-{version}.tgz").write_bytes(b"not the real tarball")
    with pytest.raises(site_pages.SiteError, match="expected"):
        npm_assets.npm_files("mermaid", downloads=tmp_path)
    assert not (tmp_path / f"mermaid-{version}.tgz").exists()


def _page(body: str) -> str:
    return f"<html><head></head><body>{body}</body></html>"


def test_check_site_finds_errors_broken_links_missing_images_and_cdn_scripts(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "index.html").write_text(_page('<a href="chapters/01_x.html">ok</a>'))
    (tmp_path / "chapters" / "01_x.html").write_text(
        _page(
            "<p>Outputs on this page: executed today</p>"
            '<div class="cell docutils container"><div class="output traceback highlight-ipythontb">boom</div></div>'
            '<div class="cell tag_raises-exception docutils container">'
            '<div class="output traceback highlight-ipythontb">meant</div></div>'
            '<img src="../_images/missing.png"><a href="../nowhere.html#x">x</a>'
            '<script src="https://cdn.example.org/lib.js"></script>'
        )
    )
    problems = site_check.check_site(tmp_path, ["01_x", "02_y"])
    text = "\n".join(problems)
    assert "no page for chapter 02_y" in text
    assert "chapters/01_x.html: 1 cell(s) show an error output" in text  # not the tagged one
    assert "missing.png does not exist" in text and "nowhere.html#x does not exist" in text
    assert "loads https://cdn.example.org/lib.js from another site" in text
    assert len(problems) == 5, problems


def test_check_site_accepts_a_clean_page(tmp_path):
    (tmp_path / "index.html").write_text(_page('<img src="a.png"><a href="#top">top</a>'))
    (tmp_path / "a.png").write_bytes(b"png")
    assert site_check.check_site(tmp_path, []) == []


@pytest.mark.built_site
def test_built_site(built_site_html):
    html = built_site_html
    assert site_check.check_site(html, CHAPTERS) == []
    for name in CHAPTERS:
        text = (html / "chapters" / f"{name}.html").read_text()
        assert "Ray 2.60.0" in text and "torch 2.13.0" in text and "gymnasium 1.2.2" in text
    for page in ("index.html", "bench.html", "docs/old_api_cheatsheet.html"):
        assert "Ray 2.60.0" in (html / page).read_text(), f"{page}: no versions in the footer"
    # Tune's progress line survives Tune's Jupyter reporter clearing the cell
    # (TuneProgress makes its line only when the first trial starts).
    for name in ("07_ray_tune", "08_callbacks_and_metrics"):
        assert "(done)" in (html / "chapters" / f"{name}.html").read_text(), (
            f"{name}: no Tune progress line"
        )
    gifs = [p for p in (html / "_images").glob("*.gif")] if (html / "_images").exists() else []
    assert len(gifs) >= 3, f"expected the GIFs of chapters 2, 6 and 12 in the site, found {gifs}"


def test_chapter_titles_come_from_each_lessons_heading():
    titles = [site_pages.chapter_title(LESSONS_DIR / f"{name}.py") for name in CHAPTERS]
    assert titles[2] == "Training PPO" and titles[11] == "Did it learn?"
    assert all(titles) and len(set(titles)) == 12
