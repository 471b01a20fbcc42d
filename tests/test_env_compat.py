"""MultiAgentArena passes the checkers of the libraries the course uses with it:
RLlib's multi-agent env check, gymnasium's ``check_env`` (through SingleAgentView)
and PettingZoo's parallel API and seed tests (through ArenaParallelEnv).
No Ray cluster is started here.
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo import ParallelEnv
from pettingzoo.test import parallel_api_test, parallel_seed_test
from ray.rllib.env.multi_agent_env import MultiAgentEnv
from ray.rllib.utils.pre_checks.env import check_multiagent_environments

from handson_rl.arena.env import MultiAgentArena
from handson_rl.arena.pettingzoo_view import ArenaParallelEnv
from handson_rl.arena.single_agent import SingleAgentView

CONFIGS = [{}, {"width": 7, "height": 4, "timestep_limit": 12}, {"render_mode": "rgb_array"}]


def _no_warnings(fn, *args, allowed=(), **kwargs):
    """Run ``fn`` and fail on any warning whose message contains none of ``allowed``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    unexpected = [str(w.message) for w in caught if not any(a in str(w.message) for a in allowed)]
    assert not unexpected, unexpected
    return result


# ------------------------------------------------------------------------ RLlib
@pytest.mark.parametrize("config", CONFIGS)
def test_rllib_multiagent_env_check_passes(config):
    _no_warnings(check_multiagent_environments, MultiAgentArena(config))


def test_rllib_sees_the_right_agents_and_spaces():
    env = MultiAgentArena({"width": 7, "height": 4})
    assert isinstance(env, MultiAgentEnv)
    assert env.possible_agents == ["agent1", "agent2"]
    for agent in ("agent1", "agent2"):
        assert env.get_observation_space(agent) == gym.spaces.MultiDiscrete([28, 28])
        assert env.get_action_space(agent) == gym.spaces.Discrete(4)
        assert env.get_observation_space(agent) is env.observation_spaces[agent]
    obs, _ = env.reset(seed=0)
    assert set(obs) == set(env.agents)


# -------------------------------------------------------------------- gymnasium
# check_env cannot try other render modes without a registered spec; that is all.
NO_SPEC = "not having a spec"


@pytest.mark.parametrize("agent", ["agent1", "agent2"])
@pytest.mark.parametrize("config", CONFIGS)
def test_gymnasium_check_env_on_single_agent_view(agent, config):
    view = SingleAgentView(config, agent=agent)
    _no_warnings(check_env, view, allowed=[NO_SPEC])
    fixed = SingleAgentView(config, agent=agent, opponent=lambda obs: 2)
    _no_warnings(check_env, fixed, allowed=[NO_SPEC])


def test_single_agent_view_spaces_and_observations():
    config = {"width": 7, "height": 4}
    for agent in ("agent1", "agent2"):
        view = SingleAgentView(config, agent=agent)
        assert view.observation_space == gym.spaces.MultiDiscrete([28, 28])
        assert view.action_space == gym.spaces.Discrete(4)
        obs, info = view.reset(seed=0, options={"agent1_pos": [2, 5], "agent2_pos": [3, 1]})
        expected = {"agent1": [19, 22], "agent2": [22, 19]}[agent]
        np.testing.assert_array_equal(obs, expected)
        assert info == {}
        assert view.arena.agent1_pos == [2, 5]


def test_single_agent_view_steps_with_the_opponent():
    seen = []

    def opponent(obs):
        seen.append(obs.copy())
        return 3  # always left

    config = {"width": 7, "height": 4, "timestep_limit": 3}
    view = SingleAgentView(config, agent="agent1", opponent=opponent)
    view.reset(seed=0, options={"move_order": "agent1_first"})
    obs, reward, terminated, truncated, info = view.step(1)  # right: a new field
    np.testing.assert_array_equal(seen[0], [27, 0])  # the opponent sees its own view
    np.testing.assert_array_equal(obs, [1, 26])
    assert (reward, terminated, truncated) == (1.0, False, False)
    assert info == {"collision": False, "new_field": True}
    view.step(3)
    obs, reward, terminated, truncated, _ = view.step(1)
    assert (terminated, truncated) == (False, True)
    assert view.arena.returns["agent1"] == pytest.approx(1.0 - 0.5 - 0.5)
    assert len(seen) == 3


def test_single_agent_view_for_agent2():
    view = SingleAgentView({"width": 5, "height": 3}, agent="agent2", opponent=lambda obs: 0)
    view.reset(options={"agent1_pos": [1, 1], "agent2_pos": [1, 2], "move_order": "agent2_first"})
    obs, reward, _, _, info = view.step(3)  # left into agent1: a collision
    assert reward == 1.0 and info == {"collision": True}
    np.testing.assert_array_equal(obs, [7, 1])  # agent1 then moved up to [0, 1]


def test_single_agent_view_random_opponent_is_seeded():
    def episode(view, seed):
        obs, _ = view.reset(seed=seed)
        out = [obs]
        for t in range(30):
            out.append(view.step(t % 4))
        return out

    a = SingleAgentView({"timestep_limit": 30})
    b = SingleAgentView({"timestep_limit": 30})
    run_a = episode(a, 5)
    assert repr(run_a) == repr(episode(b, 5)) == repr(episode(a, 5))
    assert repr(run_a) != repr(episode(a, 6))
    assert repr(episode(a, None)) != repr(episode(a, None))


def test_single_agent_view_renders():
    view = SingleAgentView({"width": 3, "height": 2})
    view.reset(seed=0)
    assert view.render().splitlines()[1] == "|1  |"
    view = SingleAgentView({"render_mode": "rgb_array"}, agent="agent2")
    view.reset(seed=0)
    frame = view.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3


# ------------------------------------------------------------------- PettingZoo
def test_pettingzoo_parallel_api_test_passes(capsys):
    env = ArenaParallelEnv({"width": 5, "height": 4, "timestep_limit": 30})
    assert isinstance(env, ParallelEnv)
    # The API test resets with a placeholder option {"options": 1}; the adapter
    # ignores it and says so, and nothing else may warn.
    allowed = ["ignores unknown option(s) ['options']"]
    _no_warnings(parallel_api_test, env, num_cycles=50, allowed=allowed)
    assert "Passed Parallel API test" in capsys.readouterr().out


def test_pettingzoo_parallel_api_test_with_a_short_episode_limit():
    # num_cycles beyond the time limit: the episode must end by truncation.
    with pytest.warns(UserWarning, match="ignores unknown option"):
        parallel_api_test(ArenaParallelEnv({"timestep_limit": 3}), num_cycles=10)


def test_pettingzoo_parallel_seed_test_passes():
    def make():
        return ArenaParallelEnv({"timestep_limit": 40})

    _no_warnings(parallel_seed_test, make, num_cycles=40)


def test_pettingzoo_adapter_semantics():
    env = ArenaParallelEnv({"width": 7, "height": 4, "timestep_limit": 2})
    assert env.agents == [] and env.possible_agents == ["agent1", "agent2"]
    assert env.observation_space("agent1") is env.observation_space("agent1")
    assert env.observation_space("agent2") == gym.spaces.MultiDiscrete([28, 28])
    assert env.action_space("agent1") is env.action_space("agent1")
    assert env.action_space("agent2") == gym.spaces.Discrete(4)

    obs, infos = env.reset(seed=0, options={"agent1_pos": [2, 5], "agent2_pos": [3, 1]})
    assert env.agents == ["agent1", "agent2"] and env.num_agents == 2
    np.testing.assert_array_equal(obs["agent1"], [19, 22])
    assert set(infos) == {"agent1", "agent2"}

    out = env.step({"agent1": 0, "agent2": 0})
    for d in out:
        assert set(d) == {"agent1", "agent2"}  # no "__all__"
    assert env.agents == ["agent1", "agent2"]
    *_, terminations, truncations, _ = env.step({"agent1": 0, "agent2": 0})
    assert terminations == {"agent1": False, "agent2": False}
    assert truncations == {"agent1": True, "agent2": True}
    assert env.agents == []  # PettingZoo: no live agents once the episode is over
    assert "2/2" in env.render()
    env.reset()
    assert env.agents == ["agent1", "agent2"]


def test_pettingzoo_adapter_warns_on_unknown_reset_options():
    env = ArenaParallelEnv()
    with pytest.warns(UserWarning, match=r"ignores unknown option\(s\) \['agent1pos'\]"):
        env.reset(options={"agent1pos": [1, 1], "move_order": "agent1_first"})
    assert env.arena.agent1_pos == [0, 0]
