"""The learner's progress file: where it is, what it keeps, the report and the command."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from handson_rl import progress_report
from handson_rl.paths import ROOT
from handson_rl.progress import Item, ProgressError, passed, progress_file, record
from handson_rl.progress_report import main, report


@pytest.fixture
def path(tmp_path, monkeypatch):
    file = tmp_path / "sub" / "progress.json"
    monkeypatch.setenv("HANDSON_RL_PROGRESS", str(file))
    monkeypatch.setenv("HANDSON_RL_FRONTEND", "text")  # a person at the keyboard
    return file


def test_a_headless_run_records_nothing(path, monkeypatch):
    monkeypatch.setenv("HANDSON_RL_FRONTEND", "headless")  # nbclient, nbval, the website's build
    assert record("exercise1") is False and not path.exists()


def test_the_report_names_the_file_without_the_machines_folders(monkeypatch):
    monkeypatch.setenv("HANDSON_RL_PROGRESS", str(ROOT / "some_progress_file.json"))
    assert "(kept in some_progress_file.json in the course folder)" in report()
    assert str(ROOT) not in report()


def test_where_progress_is_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("HANDSON_RL_PROGRESS", raising=False)
    monkeypatch.setenv("COURSE_BUDGET", "full")
    assert progress_file() == ROOT / "course_progress.json"
    assert "/course_progress.json" in (ROOT / ".gitignore").read_text().splitlines()
    monkeypatch.setenv(
        "COURSE_BUDGET", "smoke"
    )  # CI and the tests never tick off a learner's checks
    assert progress_file() == ROOT / "_build" / "course_progress_smoke.json"
    monkeypatch.setenv("HANDSON_RL_PROGRESS", str(tmp_path / "p.json"))
    assert progress_file() == tmp_path / "p.json"
    monkeypatch.setenv("HANDSON_RL_PROGRESS", "off")
    assert progress_file() is None
    assert record("exercise1") is False


def test_record_keeps_first_and_last_time(path):
    assert not path.exists() and passed() == {}
    assert record("exercise1") is True
    first = json.loads(path.read_text())["passed"]["exercise1"]
    assert first["chapter"] == 2 and first["kind"] == "exercise"
    assert record("exercise1") is True
    again = passed()["exercise1"]
    assert again["first"] == first["first"]
    assert [p.name for p in path.parent.iterdir()] == ["progress.json"]  # no temporary file left


def test_a_task_records_itself_with_its_chapter(path):
    with pytest.raises(ProgressError, match="record a task or a concept check by its Item"):
        record("task-ch3")
    with pytest.raises(ProgressError, match="kind must be one of"):
        record(Item("task-ch3", 3, "quiz", "x"))
    record(Item("task-ch3", 3, "task", "Task: predict one setting"))
    assert "[x] Task: predict one setting" in report(3)


def test_report_per_chapter_and_for_the_course(path):
    from handson_rl.exercises.concepts import QUESTIONS

    record(QUESTIONS["ch2-truncated"].item)
    text = report(2)
    assert text.splitlines()[0] == "chapter 2: 1 of 4 passed"
    assert "  [x] concept check: which flag ends an episode at step 100" in text
    assert "  [ ] Exercise 1: the environment loop" in text
    whole = report()
    assert whole.startswith("Course progress: 1 of ") and str(path) in whole
    assert "chapter 12: 0 of" in whole
    assert report(1).startswith("chapter 1: 0 of 3 passed")  # two concept checks, a task
    empty = [n for n in range(1, 13) if not progress_report.chapter_items(n, {"passed": {}})]
    for n in empty:
        assert report(n) == f"chapter {n}: nothing to check yet"


def test_a_broken_file_is_reported_not_fatal(path, capsys):
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert record("exercise1") is False  # the checker that calls it still passes
    assert "progress was not saved" in capsys.readouterr().err
    assert path.read_text() == "{not json"  # left alone for the learner to look at
    with pytest.raises(ProgressError, match="rename or delete it"):
        report()
    assert main([]) == 1
    assert "rename or delete it" in capsys.readouterr().err
    path.write_text("[1, 2]")
    with pytest.raises(ProgressError, match="not a course progress file"):
        report()


def test_the_command(path, capsys):
    record("exercise1")
    assert main(["--chapter", "2"]) == 0
    assert "[x] Exercise 1: the environment loop" in capsys.readouterr().out
    assert main(["--file"]) == 0
    assert capsys.readouterr().out.strip() == str(path)
    with pytest.raises(SystemExit):
        main(["--chapter", "13"])
    assert "--chapter must be a chapter number 1-12" in capsys.readouterr().err
    assert main(["--reset"]) == 0
    assert not path.exists()


def test_the_command_runs_as_a_module(path):
    record("exercise4")
    out = subprocess.run(
        [sys.executable, "-m", "handson_rl.progress_report"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert (
        re.search(r"chapter 9: 1 of \d+ passed", out) and "[x] Exercise 4: a deeper module" in out
    )


def test_course_sh_has_a_progress_command():
    text = (ROOT / "course.sh").read_text()
    assert "python -m handson_rl.progress_report" in text


def test_show_progress_never_raises(path, capsys):
    path.parent.mkdir(parents=True)
    path.write_text("oops")
    progress_report.show_progress(2)
    assert capsys.readouterr().out.startswith("Progress: Cannot read your progress file")


def _run_episode(env, policies, seed=None):
    """Exercise 1's solution, as in chapter 2."""
    obs, infos = env.reset(seed=seed)
    returns = {agent_id: 0.0 for agent_id in obs}
    frames = [env.render()]
    done = False
    while not done:
        actions = {agent_id: policies[agent_id].act(obs[agent_id]) for agent_id in obs}
        obs, rewards, terminateds, truncateds, infos = env.step(actions)
        for agent_id, reward in rewards.items():
            returns[agent_id] += reward
        frames.append(env.render())
        done = terminateds["__all__"] or truncateds["__all__"]
    return returns, frames


def test_a_passing_checker_records_its_exercise(path, capsys):
    from handson_rl.exercises.exercise1 import check_exercise1

    check_exercise1(_run_episode)
    assert "Exercise 1 solved" in capsys.readouterr().out
    assert passed()["exercise1"]["kind"] == "exercise"


def test_a_failing_checker_records_nothing(path):
    from handson_rl.exercises.common import ExerciseError
    from handson_rl.exercises.exercise1 import check_exercise1

    def no_frames(env, policies, seed=None):
        returns, _ = _run_episode(env, policies, seed)
        return returns, []

    with pytest.raises(ExerciseError):
        check_exercise1(no_frames)
    assert passed() == {}


@pytest.mark.parametrize("n", [2, 3, 4])
def test_every_checker_records_its_pass(n):
    """Exercises 2-4 train with Ray (their tests carry the ray marker): here, the call is there."""
    import importlib
    import inspect

    module = importlib.import_module(f"handson_rl.exercises.exercise{n}")
    source = inspect.getsource(getattr(module, f"check_exercise{n}"))
    assert f'record("exercise{n}")' in source
    assert (
        source.rstrip().splitlines()[-1].strip().startswith("return")
    )  # recorded right before it returns
