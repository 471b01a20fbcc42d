"""The website's chapters executed several at a time before Sphinx reads them."""

from __future__ import annotations

import nbformat
import pytest

from handson_rl.maintainers import site_execute


def _chapter(folder, name, *sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_chapters_run_two_at_a_time_in_their_folder_and_land_in_the_cache(tmp_path):
    from jupyter_cache import get_cache

    chapters, cache = tmp_path / "chapters", tmp_path / "cache"
    chapters.mkdir()
    # Chapter 12 reads what chapter 7 writes (site_execute.AFTER): it must start after 7 ends.
    _chapter(
        chapters,
        "07_ray_tune",
        "import time, os; time.sleep(2); open('from7', 'w').write(os.environ['PROBE'])",
    )
    _chapter(chapters, "12_did_it_learn", "print(open('from7').read())")
    bad = _chapter(chapters, "02_broken", "1 / 0")
    lines = []
    rows = site_execute.execute_chapters(
        chapters, cache, {"PROBE": "seven"}, jobs=2, timeout=120, log=lines.append
    )
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"07_ray_tune", "12_did_it_learn", "02_broken"}
    assert "ZeroDivisionError" in by_name["02_broken"]["error"]
    assert all(by_name[n]["error"] is None for n in ("07_ray_tune", "12_did_it_learn"))
    assert len(lines) == 3 and "02_broken" in next(line for line in lines if "FAILED" in line)
    # What MyST-NB's cache mode looks up: the staged notebook, outputs merged from the cache.
    _, executed = get_cache(str(cache)).merge_match_into_notebook(
        nbformat.read(chapters / "12_did_it_learn.ipynb", as_version=4)
    )
    assert executed.cells[0].outputs[0]["text"] == "seven\n"
    # Only the failed chapter is still to run.
    assert site_execute.pending_chapters(chapters, cache) == [bad]


def test_a_chapter_waits_for_the_chapters_it_reads_from():
    from pathlib import Path

    pending = [Path("07_ray_tune.ipynb"), Path("12_did_it_learn.ipynb"), Path("01_x.ipynb")]
    assert site_execute.ready_chapters(pending, set()) == [pending[0], pending[2]]
    assert site_execute.ready_chapters(pending[1:], {"07_ray_tune"}) == [pending[2]]
    assert site_execute.ready_chapters(pending[1:], set()) == pending[1:]
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        site_execute.execute_chapters(Path("."), Path("."), {}, jobs=0)


def test_a_chapter_run_twice_runs_each_cell_twice_and_its_record_says_so(tmp_path):
    """CI's smoke site runs chapter 3 so (course.sh: site --twice 03): a cell that only
    works once fails the build; the page shows the second run; the record says twice."""
    from jupyter_cache import get_cache

    chapters, cache = tmp_path / "src" / "chapters", tmp_path / "jupyter_cache"
    chapters.mkdir(parents=True)
    _chapter(chapters, "03_twice", "runs = 0", "runs += 1\nprint('runs', runs)")
    # (Not the same code as 03: the cache knows notebooks by their code.)
    _chapter(chapters, "04_once", "runs = 0", "runs += 1\nprint('runs', runs)  # once")
    _chapter(chapters, "05_only_once", "doomed = 1", "del doomed")
    rows = site_execute.execute_chapters(
        chapters, cache, {}, jobs=1, timeout=120, log=lambda line: None, twice=("03", "05")
    )
    by_name = {row["name"]: row for row in rows}
    assert by_name["03_twice"]["twice"] and not by_name["04_once"]["twice"]
    assert by_name["05_only_once"]["error"] and "NameError" in by_name["05_only_once"]["error"]
    jc = get_cache(str(cache))
    for name, shown in (("03_twice", "runs 2\n"), ("04_once", "runs 1\n")):
        _, executed = jc.merge_match_into_notebook(
            nbformat.read(chapters / f"{name}.ipynb", as_version=4)
        )
        assert executed.cells[1].outputs[0]["text"] == shown
    html = tmp_path / "html"  # the built site's folder, as HANDSON_SITE_HTML names it
    assert site_execute.ran_each_cell_twice(html, "03_twice") is True
    assert site_execute.ran_each_cell_twice(html, "04_once") is False
    with pytest.raises(FileNotFoundError, match="holds no executed 05_only_once"):
        site_execute.ran_each_cell_twice(html, "05_only_once")
