"""Chapter 4's task (a mapping function for a small league): the reference
answer, right answers written differently, and each named mistake. RLlib's
episode objects only, nothing is built or trained: about a second."""

import itertools
import random
import re
import zlib

import pytest

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.tasks.ch04_mapping import check_mapping


def reference(agent_id, episode, **kwargs):  # the lesson's solution
    if agent_id == "agent1":
        return "explorer"
    return "chaser" if hash(episode.id_) % 2 == 0 else "chaser_old"


def with_a_table(agent_id, episode, **kwargs):  # right, written differently
    chasers = ("chaser_old", "chaser")
    return {"agent1": "explorer"}.get(agent_id) or chasers[zlib.crc32(episode.id_.encode()) & 1]


def keyword_only_extras(agent_id, episode, *, worker=None, **kwargs):  # a defaulted worker is fine
    return reference(agent_id, episode)


@pytest.mark.parametrize("answer", [reference, with_a_table, keyword_only_extras])
def test_right_answers_pass(answer, capsys):
    check_mapping(answer)
    assert capsys.readouterr().out.startswith("Task solved")


def old_signature(agent_id, episode, worker, **kwargs):
    return reference(agent_id, episode)


def no_episode(agent_id):
    return "explorer" if agent_id == "agent1" else "chaser"


def old_episode_id(agent_id, episode, **kwargs):
    return "explorer" if agent_id == "agent1" else ("chaser", "chaser_old")[episode.episode_id % 2]


def agent_ids(agent_id, episode, **kwargs):
    return agent_id


def unknown_module(agent_id, episode, **kwargs):
    return "p1" if agent_id == "agent1" else "p2"


def shared(agent_id, episode, **kwargs):
    return "explorer"


def ignores_episode(agent_id, episode, **kwargs):
    return "explorer" if agent_id == "agent1" else "chaser"


def at_random(agent_id, episode, **kwargs):
    return "explorer" if agent_id == "agent1" else random.choice(["chaser", "chaser_old"])


_calls = itertools.count()


def a_counter(agent_id, episode, **kwargs):
    return "explorer" if agent_id == "agent1" else ("chaser", "chaser_old")[next(_calls) % 2]


def one_in_four(agent_id, episode, **kwargs):
    return (
        "explorer"
        if agent_id == "agent1"
        else ("chaser_old" if hash(episode.id_) % 4 == 0 else "chaser")
    )


def swapped(agent_id, episode, **kwargs):
    return reference("agent2" if agent_id == "agent1" else "agent1", episode)


def crashes(agent_id, episode, **kwargs):
    return "explorer" if agent_id == "agent1" else ("chaser", "chaser_old")[episode.id_ % 2]


@pytest.mark.parametrize(
    "answer, message",
    [
        (old_signature, "that is the 2021 API"),
        (no_episode, "cannot be called with (agent_id, episode)"),
        (old_episode_id, "`episode.episode_id` was the 2021 API"),
        (agent_ids, "an agent id. It should return the id of a module"),
        (unknown_module, "'p1', which is not one of the modules"),
        (shared, "both agents on one module"),
        (ignores_episode, "ignores the episode"),
        (at_random, "Asked twice about the same episode"),
        (a_counter, "Asked twice about the same episode"),
        (one_in_four, "asks for about half"),
        (swapped, "agent1 should always use 'explorer'"),
        (crashes, "raised TypeError"),
        ("map_agent", "Pass your function itself"),
    ],
)
def test_mistakes_are_named(answer, message):
    with pytest.raises(ExerciseError, match=re.escape(message)):
        check_mapping(answer)
