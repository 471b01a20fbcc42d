"""Chapter 11's task (a bug hunt in MysteryArena): the reference fix, fixes written
differently, and each named mistake. No Ray, no training: about a second."""

import numpy as np
import pytest

from handson_rl.arena.broken import episode_problems, rllib_check
from handson_rl.arena.env import MultiAgentArena
from handson_rl.arena.mystery import MysteryArena
from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch11_bug_hunt import check_bug_hunt
from handson_rl.progress import passed

#: A fresh progress file and a learner at the keyboard (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("progress_file")


class Reference(MysteryArena):  # the lesson's solution
    def _move(self, row, col, action):
        row, col = super()._move(row, col, action)
        return min(row, self.height - 1), col

    def _is_new_field(self, cell):
        new = cell not in self._visited
        self._visited.add(cell)
        return new


class WithClip(MysteryArena):  # right, written differently: the moves rewritten with numpy
    def _move(self, row, col, action):
        dr, dc = [(-1, 0), (0, 1), (1, 0), (0, -1)][action]
        return int(np.clip(row + dr, 0, self.height - 1)), int(np.clip(col + dc, 0, self.width - 1))

    def _is_new_field(self, cell):
        if cell in self._visited:
            return False
        self._visited |= {cell}
        return True


def test_the_mystery_env_passes_rllibs_checker_and_fails_episode_problems():
    assert rllib_check(MysteryArena()) is None
    assert "not inside its observation space" in episode_problems(MysteryArena())[0]


@pytest.mark.parametrize("answer", [Reference, WithClip])
def test_right_answers_pass(answer, capsys, progress_file):
    check_bug_hunt(answer)
    assert capsys.readouterr().out.startswith("Task solved")
    assert "task-ch11-bug-hunt" in passed(progress_file)


class OnlyMoveFixed(MysteryArena):
    def _move(self, row, col, action):
        row, col = MysteryArena._move(self, row, col, action)
        return min(row, self.height - 1), col


class OnlyNewFieldFixed(MysteryArena):
    _is_new_field = Reference._is_new_field


class HardCoded(OnlyNewFieldFixed):
    def _move(self, row, col, action):
        row, col = MysteryArena._move(self, row, col, action)
        return min(row, 9), col


class AlwaysNew(OnlyMoveFixed):
    def _is_new_field(self, cell):
        self._visited.add(cell)
        return True


class WrongClip(OnlyNewFieldFixed):  # clips one row too early
    def _move(self, row, col, action):
        row, col = MysteryArena._move(self, row, col, action)
        return min(row, self.height - 2), col


class RowsByWidth(OnlyNewFieldFixed):  # clips the row with the width: right when square
    def _move(self, row, col, action):
        row, col = MysteryArena._move(self, row, col, action)
        return min(row, self.width - 1), col


class OwnArena(MultiAgentArena):
    pass


@pytest.mark.parametrize(
    "answer, says",
    [
        (Reference(), "Pass your class itself"),
        (dict, "not an arena"),
        (MysteryArena, "MysteryArena itself"),
        (OwnArena, "course's own MultiAgentArena.step"),
        (OnlyNewFieldFixed, "walked off the board"),
        (OnlyMoveFixed, "agent1 never gets a new field"),
        (HardCoded, r"the board's size written in \(use self.height"),
        (RowsByWidth, "or clips the row with the width"),
        (AlwaysNew, "which it had visited already"),
        (WrongClip, "where the game's rules put them"),
    ],
)
def test_each_mistake_is_named(answer, says, progress_file):
    with pytest.raises(ExerciseError, match=says):
        check_bug_hunt(answer)
    assert not passed(progress_file)


def test_an_off_board_observation_is_shown_as_plain_numbers():
    with pytest.raises(ExerciseError, match=r"observation is \[\d+, \d+\], outside"):
        check_bug_hunt(OnlyNewFieldFixed)


def test_an_error_in_the_learners_class_is_shown():
    class Broken(MysteryArena):
        def _move(self, row, col, action):
            raise ValueError("oops")

    with pytest.raises(ExerciseError, match="raised ValueError: oops"):
        check_bug_hunt(Broken)
