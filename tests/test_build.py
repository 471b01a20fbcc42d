"""The lesson builder: solution regions become stubs, output is deterministic."""

import json
import textwrap

import pytest

from handson_rl.maintainers import build

LESSON = textwrap.dedent(
    '''\
    # %% [markdown]
    # # A lesson
    #
    # Some prose.

    # %%
    x = 1

    # %%
    def answer():
        """Say 42."""
        # BEGIN SOLUTION: return the answer
        return 42
        # END SOLUTION

    # %% tags=["solution"]
    # Compute y from x.
    y = x + 1

    # %% tags=["check"]
    assert answer() == 42
    '''
)


@pytest.fixture
def course(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01_demo.py").write_text(LESSON)
    return tmp_path


def _cells(text):
    return json.loads(text)["cells"]


def test_solution_keeps_code_and_exercise_gets_stubs(course):
    texts = build.build_lesson(course / "lessons" / "01_demo.py")
    sol, ex = _cells(texts["solution"]), _cells(texts["exercise"])
    assert [c["cell_type"] for c in sol] == ["markdown", "code", "code", "code", "code"]
    assert "return 42" in "".join(sol[2]["source"])
    assert "BEGIN SOLUTION" not in texts["solution"]

    stub = "".join(ex[2]["source"])
    assert "return 42" not in stub
    assert "    raise NotImplementedError('return the answer')" in stub
    assert '"""Say 42."""' in stub  # the rest of the cell stays

    whole = "".join(ex[3]["source"])
    assert whole.startswith("# Compute y from x.\n# Your code here")
    assert "y = x + 1" not in whole
    assert ex[4]["metadata"]["tags"] == ["check", "nbval-skip"]
    assert sol[4]["metadata"]["tags"] == ["check"]
    assert "tags" not in sol[3]["metadata"]  # the builder's own tag is not leaked


def test_build_is_deterministic_and_check_detects_drift(course):
    assert build.main(["--root", str(course)]) == 0
    first = (course / "notebooks" / "01_demo.ipynb").read_text()
    assert build.stale(course) == []
    assert build.main(["--root", str(course)]) == 0
    assert (course / "notebooks" / "01_demo.ipynb").read_text() == first
    ids = [c["id"] for c in _cells(first)]
    assert len(set(ids)) == len(ids)

    (course / "lessons" / "01_demo.py").write_text(LESSON.replace("x = 1", "x = 2"))
    assert build.stale(course) == [
        "out of date: solutions/01_demo.ipynb",
        "out of date: notebooks/01_demo.ipynb",
    ]
    assert build.main(["--check", "--root", str(course)]) == 1
    (course / "notebooks" / "99_orphan.ipynb").write_text("{}")
    assert "no lesson source for: notebooks/99_orphan.ipynb" in build.stale(course)


@pytest.mark.parametrize(
    "body, message",
    [
        ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
        ("x = 1\n# END SOLUTION\n", "END SOLUTION without BEGIN"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside another"),
    ],
)
def test_unbalanced_markers_are_reported(tmp_path, body, message):
    lesson = tmp_path / "01_bad.py"
    lesson.write_text("# %%\n" + body)
    with pytest.raises(build.LessonError, match=message):
        build.build_lesson(lesson)


def test_a_top_level_stub_is_skipped_by_ci_but_a_stub_in_a_function_is_not(tmp_path):
    lesson = tmp_path / "01_stubs.py"
    lesson.write_text(
        "# %%\n# BEGIN SOLUTION: write it\nx = 1\n# END SOLUTION\n"
        "# %%\ndef f():\n    # BEGIN SOLUTION: write f\n    return 1\n    # END SOLUTION\n"
    )
    exercise = json.loads(build.build_lesson(lesson)["exercise"])
    top, inside = [c for c in exercise["cells"] if c["cell_type"] == "code"]
    assert "nbval-skip" in top["metadata"]["tags"]
    assert "nbval-skip" not in inside.get("metadata", {}).get("tags", [])


def test_ci_runs_an_exercise_notebook_only_when_it_differs_from_its_solution(tmp_path):
    from handson_rl.maintainers.notebook_cells import same_as_solution

    # Every chapter now has an exercise or a task: a lesson without one, built here,
    # gives two identical notebooks.
    lesson = tmp_path / "01_plain.py"
    lesson.write_text("# %% [markdown]\n# Text\n\n# %%\nx = 1\n")
    for folder, variant in (("notebooks", "exercise"), ("solutions", "solution")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "01_plain.ipynb").write_text(build.build_lesson(lesson)[variant])
    assert same_as_solution(tmp_path / "notebooks" / "01_plain.ipynb")
    root = build.ROOT
    assert not same_as_solution(root / "notebooks" / "01_rl_and_rllib_in_a_nutshell.ipynb")
    assert not same_as_solution(root / "notebooks" / "02_environment_and_spaces.ipynb")
    assert not same_as_solution(root / "solutions" / "01_rl_and_rllib_in_a_nutshell.ipynb")


def _seed_file(directory, ranges):
    directory.mkdir(parents=True, exist_ok=True)
    data = {"meta": {"command": "python bench/seed_ranges.py --seeds 0-9"}, "ranges": ranges}
    (directory / "seeds_demo.json").write_text(json.dumps(data))


def test_seed_placeholders_become_ranges_in_every_generated_file(course):
    _seed_file(course / "bench" / "results", {"ch01.x": {"values": [18.24, 27.5, 21.0]}})
    lesson = course / "lessons" / "01_demo.py"
    lesson.write_text(
        lesson.read_text().replace(
            "Some prose.", "agent1 ended {{seeds:ch01.x}}, or {{seeds:ch01.x:.2f}}."
        )
    )
    files = build.planned(course)
    want = (
        "agent1 ended between +18.2 and +27.5 (over 3 seeds, `bench/seed_ranges.py`), "
        "or between 18.24 and 27.50 (over 3 seeds, `bench/seed_ranges.py`)."
    )
    for folder in ("solutions", "notebooks"):
        assert want in "".join(_cells(files[course / folder / "01_demo.ipynb"])[0]["source"])
    site = build.build_lesson(lesson, variants=("site",), seeds_dir=course / "bench" / "results")[
        "site"
    ]
    assert want in "".join(_cells(site)[0]["source"])


def test_a_missing_seed_range_fails_the_build_naming_the_key(course):
    _seed_file(course / "bench" / "results", {"ch01.x": {"values": [1.0, 2.0]}})
    lesson = course / "lessons" / "01_demo.py"
    lesson.write_text(lesson.read_text().replace("Some prose.", "It ended {{seeds:ch01.nope}}."))
    with pytest.raises(
        build.LessonError,
        match=r"01_demo.py, cell 1: No seed range 'ch01.nope'.*bench/seed_ranges.py",
    ):
        build.planned(course)
    lesson.write_text(lesson.read_text().replace("{{seeds:ch01.nope}}", "{{seeds ch01.x}}"))
    with pytest.raises(build.LessonError, match="placeholder that is not"):
        build.planned(course)
    lesson.write_text(lesson.read_text().replace("{{seeds ch01.x}}", "{{seeds:ch01.x:q}}"))
    with pytest.raises(build.LessonError, match="bad number format 'q'"):
        build.planned(course)
