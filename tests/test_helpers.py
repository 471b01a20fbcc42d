"""Package helpers the training chapters use: policies, rollouts, plots, progress, quiet logs."""

import logging

import numpy as np
import pytest

from handson_rl.arena import MultiAgentArena
from handson_rl.arena.rollout import RandomPolicy, mean_returns, play_episode
from handson_rl.training.plotting import plot_returns, smooth
from handson_rl.training.policies import one_hot
from handson_rl.training.quiet import NoiseFilter


def test_one_hot_layout_and_errors():
    x = one_hot(np.array([3, 97]))
    assert x.shape == (200,) and x.sum() == 2
    assert x[3] == 1 and x[100 + 97] == 1
    assert one_hot([0, 5], n_cells=20).shape == (40,)
    with pytest.raises(ValueError, match="two cell indices"):
        one_hot([1, 2, 3])
    with pytest.raises(ValueError, match="0..99"):
        one_hot([0, 100])


def test_play_episode_and_mean_returns():
    env = MultiAgentArena({"render_mode": "rgb_array", "timestep_limit": 10})
    policies = {a: RandomPolicy(env.get_action_space(a), seed=i) for i, a in enumerate(env.possible_agents)}
    returns, frames = play_episode(env, policies, seed=1, render=True)
    assert returns == pytest.approx(env.returns) and len(frames) == 11
    with pytest.raises(KeyError, match="agent2"):
        play_episode(env, {"agent1": policies["agent1"]})
    stats = mean_returns(policies, episodes=200, seed=0)
    assert -9.5 < stats["agent2"]["mean"] < -8.5  # random agent2 (see chapter 2); SE ~0.12
    assert stats["agent1"]["sem"] > 0


def test_smooth_is_a_trailing_mean():
    assert np.allclose(smooth(np.array([0.0, 2.0, 4.0, 6.0]), 2), [0.0, 1.0, 3.0, 5.0])
    assert np.allclose(smooth(np.array([1.0, 3.0]), 1), [1.0, 3.0])
    # By hand, window 3: the mean of the up-to-3 values ending at each point.
    values = np.array([3.0, 9.0, -6.0, 12.0, 0.0, float("nan"), 6.0])
    expected = [3.0, 6.0, 2.0, 5.0, 2.0, 6.0, 3.0]  # NaN points are skipped, not spread
    assert np.allclose(smooth(values, 3), expected)
    assert len(smooth(np.array([]), 3)) == 0


def test_plot_returns_skips_iterations_without_episodes():
    import matplotlib

    matplotlib.use("Agg")
    history = [
        {"env_steps": 100, "agent1": float("nan"), "agent2": float("nan")},
        {"env_steps": 200, "agent1": 1.0, "agent2": -5.0},
        {"env_steps": 300, "agent1": 3.0, "agent2": -4.0},
    ]
    ax = plot_returns(history, window=2)
    xs = ax.lines[0].get_xdata()
    assert list(xs) == [200, 300]


def test_noise_filter_drops_only_known_noise():
    f = NoiseFilter()

    def record(msg):
        return logging.LogRecord("ray", logging.WARNING, __file__, 1, msg, None, None)

    assert not f.filter(record("Token authentication is enabled for this Ray cluster. Set ..."))
    assert not f.filter(record("You are running PPO on the new API stack! This is ..."))
    assert f.filter(record("Your env's observation does not fit its observation space"))
    assert f.filter(record("ValueError in your mapping function"))
