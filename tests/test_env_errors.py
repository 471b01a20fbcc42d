"""Bad input to MultiAgentArena raises the package's own error classes, saying what
was wrong (the messages are part of the course: learners will read them)."""

from __future__ import annotations

import numpy as np
import pytest

from handson_rl.arena.env import (
    ArenaActionError,
    ArenaConfigError,
    ArenaStateError,
    MultiAgentArena,
)
from handson_rl.arena.single_agent import SingleAgentView


@pytest.fixture
def env():
    env = MultiAgentArena({"width": 7, "height": 4})
    env.reset(seed=0)
    return env


def test_error_classes_subclass_builtin_errors():
    # So generic `except ValueError` / `except RuntimeError` code still catches them.
    assert issubclass(ArenaActionError, ValueError)
    assert issubclass(ArenaConfigError, ValueError)
    assert issubclass(ArenaStateError, RuntimeError)


# ----------------------------------------------------------------- action dicts
@pytest.mark.parametrize(
    "actions, fragments",
    [
        ({"agent1": 0}, ["missing an action for ['agent2']"]),
        ({"agent2": 0}, ["missing an action for ['agent1']"]),
        ({}, ["missing an action for ['agent1', 'agent2']"]),
        ({"agent1": 0, "agent2": 1, "agent3": 2}, ["unknown agent id(s) ['agent3']"]),
        (
            {"agent1": 0, "agnet2": 1},
            ["missing an action for ['agent2']", "unknown agent id(s) ['agnet2']"],
        ),
        ({"__all__": 0, "agent1": 0, "agent2": 0}, ["unknown agent id(s) ['__all__']"]),
    ],
)
def test_action_dict_must_name_both_agents(env, actions, fragments):
    with pytest.raises(ArenaActionError) as err:
        env.step(actions)
    for fragment in fragments:
        assert fragment in str(err.value)
    assert "exactly one action for each of 'agent1' and 'agent2'" in str(err.value)


@pytest.mark.parametrize("actions", [[0, 1], (0, 1), 1, None, "agent1"])
def test_actions_must_be_a_dict(env, actions):
    with pytest.raises(ArenaActionError, match="takes a dict with one action per agent"):
        env.step(actions)


# --------------------------------------------------------------- single actions
BAD_ACTIONS = [
    (4, "is 4, outside Discrete(4)"),
    (-1, "is -1, outside Discrete(4)"),
    (np.int64(7), "is 7, outside Discrete(4)"),
    (2.5, "must be an integer, got float 2.5"),
    ("up", "must be an integer, got str 'up'"),
    (None, "must be an integer, got NoneType None"),
    (True, "must be an integer, got bool True"),
    (np.bool_(False), "must be an integer, got bool"),
    (np.float32(1.0), "must be an integer, got float32"),
    (np.array([1, 2]), "array of shape (2,)"),
    (np.array([[1]]), "array of shape (1, 1)"),
    (np.array([]), "array of shape (0,)"),
    (np.array(1.0), "dtype float64"),
    ([1], "must be an integer, got list"),
]


@pytest.mark.parametrize("agent", ["agent1", "agent2"])
@pytest.mark.parametrize("action, fragment", BAD_ACTIONS, ids=[repr(a) for a, _ in BAD_ACTIONS])
def test_bad_actions_are_rejected(env, agent, action, fragment):
    actions = {"agent1": 0, "agent2": 0, agent: action}
    with pytest.raises(ArenaActionError) as err:
        env.step(actions)
    message = str(err.value)
    assert fragment in message
    assert f"Action for {agent!r}" in message
    assert "Use an int 0-3 (0=up, 1=right, 2=down, 3=left)" in message
    assert env.timestep == 0  # a rejected step changes nothing


@pytest.mark.parametrize(
    "action, expected_pos",
    [
        (np.int64(2), [1, 0]),
        (np.int32(1), [0, 1]),
        (np.uint8(2), [1, 0]),
        (np.array(2), [1, 0]),  # 0-d integer array
        (np.array(1, dtype=np.int8), [0, 1]),
        (2, [1, 0]),
    ],
)
def test_integer_like_actions_are_accepted(env, action, expected_pos):
    env.step({"agent1": action, "agent2": np.array(0)})
    assert env.agent1_pos == expected_pos


# ------------------------------------------------------------------- env_config
@pytest.mark.parametrize(
    "config, fragment",
    [
        ({"width": 1}, "env_config['width'] must be at least 2, got 1"),
        ({"height": 1}, "env_config['height'] must be at least 2, got 1"),
        ({"width": 0}, "env_config['width'] must be at least 2, got 0"),
        ({"height": -5}, "env_config['height'] must be at least 2, got -5"),
        ({"width": 10.0}, "env_config['width'] must be a whole number (int), got float 10.0"),
        ({"height": "10"}, "env_config['height'] must be a whole number (int), got str '10'"),
        ({"width": True}, "env_config['width'] must be a whole number (int), got bool"),
        ({"width": None}, "env_config['width'] must be a whole number (int), got NoneType"),
        ({"timestep_limit": 0}, "env_config['timestep_limit'] must be at least 1, got 0"),
        ({"timestep_limit": -1}, "env_config['timestep_limit'] must be at least 1, got -1"),
        ({"timestep_limit": 5.5}, "env_config['timestep_limit'] must be a whole number"),
        ({"widht": 5}, "Unknown env_config key(s) ['widht']"),
        ({"width": 5, "size": 3, "n": 1}, "Unknown env_config key(s) ['n', 'size']"),
        (
            {"render_mode": "human"},
            "env_config['render_mode'] must be one of ['ansi', 'rgb_array']",
        ),
    ],
)
def test_bad_env_config(config, fragment):
    with pytest.raises(ArenaConfigError) as err:
        MultiAgentArena(config)
    assert fragment in str(err.value)


def test_unknown_key_message_lists_the_valid_keys():
    with pytest.raises(ArenaConfigError, match="check the spelling") as err:
        MultiAgentArena({"timesteps": 50})
    assert "'timestep_limit'" in str(err.value)


@pytest.mark.parametrize("config", [[10, 10], "width=10", 10, (("width", 10),)])
def test_env_config_must_be_a_dict(config):
    with pytest.raises(ArenaConfigError, match="env_config must be a dict"):
        MultiAgentArena(config)


def test_valid_config_variants_are_accepted():
    assert MultiAgentArena(None).width == 10
    assert MultiAgentArena({}).height == 10
    env = MultiAgentArena({"width": np.int64(2), "height": 2, "timestep_limit": 1})
    assert type(env.width) is int and env.width == 2


# ---------------------------------------------------------------- reset options
@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"agent3_pos": [0, 0]}, "Unknown reset option(s) ['agent3_pos']"),
        ({"seed": 1}, "Unknown reset option(s) ['seed']"),
        ({"agent1_pos": [4, 0]}, "'agent1_pos'=[4, 0] is off the 4x7 grid (rows 0-3, cols 0-6)"),
        ({"agent1_pos": [0, 7]}, "'agent1_pos'=[0, 7] is off the 4x7 grid"),
        ({"agent2_pos": [-1, 0]}, "'agent2_pos'=[-1, 0] is off the 4x7 grid"),
        ({"agent2_pos": [0, -1]}, "'agent2_pos'=[0, -1] is off the 4x7 grid"),
        ({"agent1_pos": [2, 2], "agent2_pos": [2, 2]}, "cannot start on the same cell [2, 2]"),
        ({"agent1_pos": [3, 6]}, "cannot start on the same cell [3, 6]"),  # agent2's default
        ({"agent2_pos": [0, 0]}, "cannot start on the same cell [0, 0]"),  # agent1's default
        ({"agent1_pos": [1]}, "'agent1_pos' must be [row, col] with two ints, got [1]"),
        ({"agent1_pos": [1, 2, 3]}, "must be [row, col] with two ints"),
        ({"agent1_pos": [1.0, 2]}, "must be [row, col] with two ints"),
        ({"agent1_pos": "12"}, "must be [row, col] with two ints"),
        ({"agent1_pos": 5}, "must be [row, col] with two ints"),
        (
            {"move_order": "alternate"},
            "'move_order' must be one of ['random', 'agent1_first', 'agent2_first'], "
            "got 'alternate'",
        ),
        ({"move_order": None}, "'move_order' must be one of"),
    ],
)
def test_bad_reset_options(env, options, fragment):
    with pytest.raises(ArenaConfigError) as err:
        env.reset(options=options)
    assert fragment in str(err.value)


def test_reset_options_must_be_a_dict(env):
    with pytest.raises(ArenaConfigError, match="must be a dict or None, got list"):
        env.reset(options=[("move_order", "random")])


def test_reset_options_accept_tuples_and_numpy_ints(env):
    env.reset(options={"agent1_pos": (1, 2), "agent2_pos": np.array([3, 6])})
    assert env.agent1_pos == [1, 2] and env.agent2_pos == [3, 6]
    assert all(type(v) is int for v in env.agent1_pos + env.agent2_pos)


# ------------------------------------------------------------------------ state
def test_step_before_reset():
    env = MultiAgentArena()
    with pytest.raises(ArenaStateError, match=r"step\(\) was called before reset\(\)"):
        env.step({"agent1": 0, "agent2": 0})


def test_step_after_the_episode_ended():
    env = MultiAgentArena({"timestep_limit": 2})
    env.reset(seed=0)
    env.step({"agent1": 1, "agent2": 3})
    env.step({"agent1": 1, "agent2": 3})
    with pytest.raises(ArenaStateError) as err:
        env.step({"agent1": 1, "agent2": 3})
    assert "episode ended after 2 steps" in str(err.value)
    assert "Call env.reset()" in str(err.value)
    assert env.timestep == 2
    env.reset()
    env.step({"agent1": 1, "agent2": 3})  # fine again


@pytest.mark.parametrize("mode", ["ansi", "rgb_array"])
def test_render_before_reset(mode):
    env = MultiAgentArena({"render_mode": mode})
    with pytest.raises(ArenaStateError, match=r"Nothing to render yet: call env.reset\(\) first"):
        env.render()


def test_state_errors_are_checked_before_actions():
    # An invalid action before reset reports the missing reset, the real problem.
    env = MultiAgentArena()
    with pytest.raises(ArenaStateError):
        env.step({"agent1": 9})


# ------------------------------------------------------------ SingleAgentView
@pytest.mark.parametrize("agent", ["agent3", "Agent1", 1, None])
def test_single_agent_view_rejects_unknown_agent(agent):
    with pytest.raises(ValueError, match=r"agent must be one of \['agent1', 'agent2'\]"):
        SingleAgentView(agent=agent)


def test_single_agent_view_rejects_non_callable_opponent():
    with pytest.raises(TypeError, match="opponent must be a function obs -> action"):
        SingleAgentView(opponent=3)


def test_single_agent_view_passes_config_errors_through():
    with pytest.raises(ArenaConfigError, match="at least 2"):
        SingleAgentView({"width": 1})


def test_single_agent_view_state_and_action_errors():
    calls = []
    view = SingleAgentView({"timestep_limit": 1}, opponent=lambda obs: calls.append(obs) or 0)
    with pytest.raises(ArenaStateError, match="before reset"):
        view.step(0)
    view.reset(seed=0)
    with pytest.raises(ArenaActionError, match="Action for 'agent1' is 4"):
        view.step(4)
    view.step(1)
    with pytest.raises(ArenaStateError, match="Call env.reset()"):
        view.step(1)
    assert len(calls) == 2  # the opponent is never asked outside an episode
