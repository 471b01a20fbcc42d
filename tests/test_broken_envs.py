"""Chapter 11's broken environments: each is broken in its one way, and the checks find it."""

import pytest

from handson_rl.arena.broken import (
    BROKEN_ENVS,
    MissingAllArena,
    UnknownAgentArena,
    WrongObsSpaceArena,
    episode_problems,
    rllib_check,
)
from handson_rl.arena.env import MultiAgentArena


def test_the_real_arena_passes_both_checks():
    assert rllib_check(MultiAgentArena()) is None
    assert episode_problems(MultiAgentArena()) == []


def test_wrong_observation_space_is_found_by_the_episode_check_only():
    assert rllib_check(WrongObsSpaceArena()) is None  # RLlib's checker misses it
    (problem,) = episode_problems(WrongObsSpaceArena())
    assert "reset()" in problem and "not inside its observation space Discrete(100)" in problem


def test_missing_all_is_found_by_the_episode_check_only():
    assert rllib_check(MissingAllArena()) is None
    (problem,) = episode_problems(MissingAllArena())
    assert "no '__all__' key" in problem


def test_unknown_agent_is_found_by_both_checks():
    message = rllib_check(UnknownAgentArena())
    assert message.startswith("ValueError") and "'agent_1'" in message
    (problem,) = episode_problems(UnknownAgentArena())
    assert "'agent_1'" in problem and "possible_agents" in problem


@pytest.mark.parametrize("name", sorted(BROKEN_ENVS))
def test_each_broken_env_has_exactly_one_kind_of_problem(name):
    assert len(episode_problems(BROKEN_ENVS[name]())) == 1
