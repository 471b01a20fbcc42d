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
