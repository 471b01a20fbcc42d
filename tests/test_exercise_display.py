"""How a checker's ExerciseError looks: the message first and only the learner's own
frames in IPython/Jupyter (``_render_traceback_``), and a traceback cut down to the
learner's frames in a plain Python process. Each display runs in a fresh Python
process (no Ray: the fast tier)."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from handson_rl import exercises
from handson_rl.exercises.common import ExerciseError, Mistake, fail
from handson_rl.exercises.exercise1 import check_exercise1

ANSI = re.compile(r"\x1b\[[0-9;]*m")
EXERCISES_DIR = str(Path(exercises.__file__).resolve().parent)

# A learner's cell: the 2021 `returns = {}` mistake raises KeyError in their own line.
ANSWER = textwrap.dedent(
    """\
    from handson_rl.exercises.exercise1 import check_exercise1

    def run_episode(env, policies, seed=None):
        obs, infos = env.reset(seed=seed)
        returns = {}
        done = False
        while not done:
            obs, rewards, terminateds, truncateds, infos = env.step({a: policies[a].act(obs[a]) for a in obs})
            for a, r in rewards.items():
                returns[a] += r  # THE LEARNER'S LINE
            done = truncateds["__all__"]
        return returns, []

    check_exercise1(run_episode)
    """
)
ANSWER_FILE = "answer.py"
FIRST_LINE = "Your run_episode raised KeyError: 'agent1': `returns` has no entry for 'agent1' yet."


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> subprocess.CompletedProcess:
    """One fresh Python process (importing RLlib is the slow part, so once): IPython's
    own shell runs the learner's cell and prints its traceback to stdout, as the
    notebook's kernel does (ipykernel sends the same list of lines to JupyterLab);
    then the same code runs as a plain script whose error reaches Python's own
    ``sys.__excepthook__``, which prints to stderr what a plain process prints."""
    folder = tmp_path_factory.mktemp("display")
    answer = folder / ANSWER_FILE
    answer.write_text(ANSWER)
    runner = textwrap.dedent(
        f"""\
        import sys
        from IPython.core.interactiveshell import InteractiveShell

        result = InteractiveShell.instance().run_cell({ANSWER!r})
        print("ERROR TYPE:", type(result.error_in_exec).__name__)
        try:
            exec(compile(open({ANSWER_FILE!r}).read(), {ANSWER_FILE!r}, "exec"), {{"__name__": "__main__"}})
        except BaseException as err:
            err.with_traceback(err.__traceback__.tb_next)  # not this runner's frame
            sys.__excepthook__(type(err), err, err.__traceback__)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", runner], capture_output=True, text=True, timeout=300, cwd=folder
    )


def test_ipython_shows_the_message_first_then_only_the_learners_line(shown):
    out = ANSI.sub("", shown.stdout)
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].startswith(f"ExerciseError: {FIRST_LINE}"), out
    assert "Where, in your code (most recent call last):" in out
    assert re.search(r"Cell In\[\d+\], line 10, in run_episode", out), out
    assert "returns[a] += r  # THE LEARNER'S LINE" in out
    assert "Traceback (most recent call last)" not in out
    assert "exercise1.py" not in out and "common.py" not in out and "fail(" not in out
    assert lines[-1] == "ERROR TYPE: ExerciseError"
    assert len(lines) <= 6, out


def test_plain_python_prints_a_short_traceback_with_the_learners_line(shown):
    err = shown.stderr
    assert err.splitlines()[:2] == [
        "Traceback (most recent call last):",
        f'  File "{ANSWER_FILE}", line 14, in <module>',
    ], err
    assert f"ExerciseError: {FIRST_LINE}" in err.splitlines()[-1], err
    assert "returns[a] += r  # THE LEARNER'S LINE" in err
    assert "check_exercise1(run_episode)" in err
    # Of the checker's own code, only the one line that raises the error shows.
    files = re.findall(r'File "([^"]+)"', err)
    assert [f for f in files if f.startswith(EXERCISES_DIR)] == [
        str(Path(EXERCISES_DIR) / "common.py")
    ], err
    assert "direct cause" not in err and "During handling" not in err
    assert len(err.splitlines()) <= 12, err


def test_render_traceback_lists_the_learners_frames_and_error():
    def run_episode(env, policies, seed=None):
        env.reset(seed=seed)
        return {}, [env.render()[0, 0, 5]]  # IndexError: a frame is (H, W, 3)

    with pytest.raises(ExerciseError) as caught:
        check_exercise1(run_episode)
    lines = [ANSI.sub("", line) for line in caught.value._render_traceback_()]
    assert lines[0] == "ExerciseError: " + str(caught.value).splitlines()[0]
    assert lines[0].startswith("ExerciseError: Your run_episode raised IndexError")
    assert any(f'File "{__file__}"' in line and "in run_episode" in line for line in lines), lines
    assert any("return {}, [env.render()[0, 0, 5]]" in line for line in lines)
    assert not any(EXERCISES_DIR in line for line in lines)
    # Its traceback in Python holds only the learner's frames, too.
    tb, files = caught.value.__traceback__, []
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert [f for f in files if f.startswith(EXERCISES_DIR)] == [
        str(Path(EXERCISES_DIR) / "common.py")
    ]
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_mistake_found_by_a_fake_shows_the_line_but_no_error_line():
    err = None
    try:
        raise Mistake("named")
    except Mistake as mistake:
        err = ExerciseError("The message.", mistake)
    lines = [ANSI.sub("", line) for line in err._render_traceback_()]
    assert lines[0] == "ExerciseError: The message."
    assert any('raise Mistake("named")' in line for line in lines)
    assert not any(line.startswith("Mistake") for line in lines)


def test_messages_are_bounded():
    with pytest.raises(ExerciseError) as caught:
        fail("x" * 10_000)
    assert len(str(caught.value)) <= 2000
