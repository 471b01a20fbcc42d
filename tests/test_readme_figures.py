"""bench/readme_figures.py: the READMEs' figures are rendered from bench/results/ and in sync."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
from bench_fakes import time_to_target_run as _run

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def figures():
    """Import bench/readme_figures.py (it imports bench/exercise2_plot.py, so bench/ goes on sys.path)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("readme_figures", BENCH / "readme_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TTT = {
    "command": "python bench/time_to_target.py --seeds 0,1,2",
    "date": "2030-01-01 10:00 UTC",
    "cpus": 2,
    "load_before": 0.12,
    "load_after": 0.9,
    "target": 18.0,
    "max_seconds": 60.0,
    "runs": [
        _run("course (arena_ppo_config)", 0, 10.0),
        _run("course (arena_ppo_config)", 1, 12.0),
        _run("course (arena_ppo_config)", 2, 14.0),
        _run("other", 0, 30.0),
        _run("other", 1, 60.0, reached=False),
        _run("other", 2, 60.0, reached=False),
    ],
}


def test_the_readmes_are_in_sync_with_bench_results(figures, capsys):
    assert figures.main(["--check"]) == 0, capsys.readouterr().out


def test_every_block_of_the_bench_readme_has_a_data_file(figures):
    text = (BENCH / "README.md").read_text()
    names = [m.group(2) for m in figures.BLOCK.finditer(text)]
    assert set(figures.RENDERERS) <= set(names)
    assert all(n in figures.RENDERERS or figures.SEEDS.fullmatch(n) for n in names)
    for name in names:
        assert (BENCH / "results" / name).exists(), name


def test_a_block_is_rendered_from_its_data(figures, tmp_path):
    (tmp_path / "time_to_target.json").write_text(json.dumps(TTT))
    readme = "intro\n<!-- figures: time_to_target.json -->\nold figure\n<!-- /figures -->\nend\n"
    out = figures.fill_bench_readme(readme, tmp_path)
    assert "old figure" not in out and out.startswith("intro\n") and out.endswith("end\n")
    assert "`python bench/time_to_target.py --seeds 0,1,2`: 2030-01-01 10:00 UTC, 2 cores" in out
    assert "load average 0.12 before, 0.90 after" in out
    assert "| course (arena_ppo_config) | 12.0 s | 30,000 | 18.5 | 3/3 | 1.00x |" in out
    assert "| other | not reached | 30,000 | 9.0 | 1/3 |  |" in out  # the median run missed the cap
    assert figures.fill_bench_readme(out, tmp_path) == out  # idempotent


def test_missing_or_unknown_data_files_fail_clearly(figures, tmp_path):
    with pytest.raises(figures.FiguresError, match="does not exist: run the command"):
        figures.render("cold_start.json", tmp_path)
    with pytest.raises(figures.FiguresError, match="no renderer for 'mystery.json'"):
        figures.render("mystery.json", tmp_path)
    with pytest.raises(figures.FiguresError, match="no <!-- figures"):
        figures.fill_bench_readme("no blocks here\n", tmp_path)
    with pytest.raises(figures.FiguresError, match="no 'date'"):
        figures.source_line({"command": "python bench/x.py"})


def test_levers_name_a_variant_only_when_it_beats_its_own_run(figures):
    def data(variant_seconds):
        medians = [
            {"setup": "course (arena_ppo_config)", "seconds": 10.0, "env_steps": 30000},
            {"setup": "course, fast", "seconds": variant_seconds, "env_steps": 20000},
            {"setup": "SB3 PPO defaults, vs random", "seconds": 5.0, "env_steps": 1},
        ]
        run = {
            "command": "c",
            "date": "d",
            "load_before": 0.1,
            "load_after": 0.2,
            "medians": medians,
        }
        return {"what": "w", "machine": "m", "source": "s", "runs": [run]}

    assert "none reached the target faster" in figures.levers(data(12.0))
    assert "faster than the course's setup in their run: course, fast" in figures.levers(data(8.0))
    assert "at 0.80x" in figures.levers(data(8.0))  # SB3's row is not a variant


def test_run_notebooks_says_when_a_notebook_failed(figures):
    chapters = [
        {"notebook": "01_a", "seconds": 5.0, "cores": 1.5, "error": None},
        {"notebook": "02_b", "seconds": 150.0, "cores": None, "error": "CellExecutionError"},
    ]
    data = {"command": "c", "date": "d", "machine": "m", "budget": "full", "seed": 0}
    out = figures.run_notebooks({**data, "chapters": chapters})
    assert "FAILED: 02_b: CellExecutionError" in out
    assert "| seconds | 5 | 150 | 155 |" in out and "| cores busy | 1.50 | - |  |" in out
    assert "slowest cells" not in out  # this run recorded none


def test_run_notebooks_lists_the_slowest_cells_of_the_course(figures):
    def cells(*seconds):
        return [{"seconds": s, "cell": i, "first_line": f"line {s}"} for i, s in enumerate(seconds)]

    chapters = [
        {"notebook": "01_a", "seconds": 50.0, "slowest_cells": cells(30.0, 2.0)},
        {"notebook": "07_b", "seconds": 300.0, "slowest_cells": cells(210.0, 40.0)},
    ]
    out = figures.slowest_cells(chapters, count=3)
    assert out.index("| 07 | 0 | 210 s | `line 210.0` |") < out.index("| 07 | 1 | 40 s |")
    assert "| 01 | 0 | 30 s |" in out and "2 s" not in out


def test_chapter_times_come_from_run_notebooks(figures):
    readme = (
        "| # | Notebook | What you learn | Full run |\n|---|---|---|---|\n"
        "| 1 | `01_a` | things | 3 s (old) |\n| 2 | `02_b` | more | 9.9 min |\n"
    )
    data = {
        "chapters": [{"notebook": "01_a", "seconds": 7.4}, {"notebook": "02_b", "seconds": 372}]
    }
    out = figures.fill_chapter_times(readme, data)
    assert "| 1 | `01_a` | things | 7 s |" in out and "| 2 | `02_b` | more | 6.2 min |" in out
    with pytest.raises(figures.FiguresError, match="no time for 02_b"):
        figures.fill_chapter_times(readme, {"chapters": data["chapters"][:1]})
    with pytest.raises(figures.FiguresError, match="no chapter table rows"):
        figures.fill_chapter_times("no table\n", data)


def test_check_fails_on_a_stale_readme_and_the_generator_fixes_it(figures, tmp_path, capsys):
    shutil.copytree(BENCH / "results", tmp_path / "bench" / "results")
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    text = (BENCH / "README.md").read_text()
    stale = text.replace("1-minute load average", "1-minute load avg", 1)
    assert stale != text
    (tmp_path / "bench" / "README.md").write_text(stale)
    assert figures.main(["--check", "--root", str(tmp_path)]) == 1
    assert "bench/README.md is out of date" in capsys.readouterr().out
    assert figures.main(["--root", str(tmp_path)]) == 0
    assert (tmp_path / "bench" / "README.md").read_text() == text
    assert figures.main(["--check", "--root", str(tmp_path)]) == 0


def test_seed_files_of_one_run_or_a_merge_are_described(figures):
    ranges = {"ch08.x": {"values": [1.0, 2.0, 3.0]}, "ch08.y": {"values": [1.0, 2.0]}}
    meta = {"command": "python bench/seed_ranges.py --parts ch08", "date": "2030-01-01"}
    meta |= {"machine": "x86_64, 2 CPUs", "ray": "2.60.0", "budget": "full", "seeds": [0, 1, 2]}
    one = figures.seed_ranges(
        {"meta": {**meta, "load_before": [0.3, 1, 1], "load_after": [1.9, 1, 1]}, "ranges": ranges}
    )
    assert "load average 0.3-1.9 (before and after). 2 keys, 2-3 seeds each (seeds 0-2)" in one
    merged = {**meta, "load_before": [[0.5, 1, 1], [4.0, 1, 1]], "load_after": [[2.0, 1, 1]] * 2}
    merged["runs"] = [{}, {}]
    text = figures.seed_ranges({"meta": merged, "ranges": ranges})
    assert "2 runs merged, 1-minute load average 0.5-4 (per run in `meta.runs`)" in text
