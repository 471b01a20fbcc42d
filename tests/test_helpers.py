"""Package helpers the training chapters use: policies, rollouts, plots, progress, quiet logs."""

import logging

import numpy as np
import pytest

from handson_rl.arena import MultiAgentArena
from handson_rl.arena.rollout import RandomPolicy, mean_returns, play_episode
from handson_rl.tools.plotting import plot_returns, smooth
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
    policies = {
        a: RandomPolicy(env.get_action_space(a), seed=i) for i, a in enumerate(env.possible_agents)
    }
    returns, frames = play_episode(env, policies, seed=1, render=True)
    assert returns == pytest.approx(env.returns) and len(frames) == 11
    with pytest.raises(KeyError, match="agent2"):
        play_episode(env, {"agent1": policies["agent1"]})
    stats = mean_returns(policies, episodes=200, seed=0)
    assert -9.5 < stats["agent2"]["mean"] < -8.5  # random agent2 (see chapter 2); SE ~0.12
    assert stats["agent1"]["sem"] > 0


class _LinearModule:
    """A stand-in for a trained module: logits linear in the one-hot observation."""

    def __init__(self, seed=0):
        import torch

        torch.manual_seed(seed)
        self.layer = torch.nn.Linear(200, 4)
        self.forward_passes = 0

    def forward_inference(self, batch):
        import torch
        from ray.rllib.core.columns import Columns

        self.forward_passes += len(batch[Columns.OBS])
        with torch.no_grad():
            return {Columns.ACTION_DIST_INPUTS: self.layer(batch[Columns.OBS])}


class _WithoutMemo:
    def __init__(self, policy):
        self.act = policy.act


def test_module_policy_memoizes_only_inside_its_block():
    from handson_rl.training.policies import ModulePolicy

    module = _LinearModule()
    policy = ModulePolicy(module, seed=0)
    obs = np.array([3, 97])
    first = policy.probabilities(obs)
    policy.probabilities(obs)
    assert module.forward_passes == 2  # outside the block: a forward pass per call
    assert not policy.memoizing
    with policy.memoized():
        assert policy.memoizing
        with policy.memoized():  # nested: the outer memory serves
            inside = [policy.probabilities(np.array([3, 97])) for _ in range(5)]
        policy.probabilities(np.array([3, 97]))  # still remembered after the inner block
        policy.probabilities(np.array([4, 97]))
        assert module.forward_passes == 4  # one per distinct observation
        assert all(np.array_equal(p, first) for p in inside)
        with pytest.raises(ValueError):
            inside[0][0] = 1.0  # the remembered arrays are read-only
        with pytest.raises(ValueError, match="two cell indices"):
            policy.probabilities(np.array([3.0, 97.0]))  # still checked, never remembered
        with pytest.raises(ValueError, match="0..99"):
            policy.act(np.array([3, 100]))
    policy.probabilities(obs)
    assert module.forward_passes == 5  # the memory ended with the block
    assert not policy.memoizing


def test_mean_returns_memoizes_module_policies_with_the_same_results():
    from handson_rl.training.policies import ModulePolicy

    def policies(memo):
        made = {
            "agent1": ModulePolicy(_LinearModule(1), seed=1),
            "agent2": ModulePolicy(_LinearModule(2), seed=2),
        }
        return made if memo else {agent: _WithoutMemo(p) for agent, p in made.items()}

    memoized, plain = policies(True), policies(False)
    with_memo = mean_returns(memoized, episodes=20, seed=5)
    without = mean_returns(plain, episodes=20, seed=5)
    assert with_memo == without  # the same actions, so the same returns, exactly
    passes = memoized["agent1"].module.forward_passes
    assert 0 < passes < 2000  # fewer forward passes than the 20 x 100 steps
    policy = memoized["agent1"]
    assert not policy.memoizing  # nothing kept after the call:
    policy.probabilities(np.array([0, 99]))
    policy.probabilities(np.array([0, 99]))
    assert policy.module.forward_passes == passes + 2  # each call computes again


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
