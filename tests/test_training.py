"""The course's PPO config and the helpers that read and time training.

Fast tests build configs, run the connector and the return window on hand-made
data, and train a tiny algorithm for two iterations. The one ``slow`` test trains
at full length and checks the course's headline claim (deselect it with
``-m "not slow"``).
"""

import math

import gymnasium as gym
import numpy as np
import pytest
from ray.rllib.connectors.env_to_module import FlattenObservations
from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

from handson_rl.arena import MultiAgentArena
from handson_rl.training.config import (
    COURSE_SETTINGS,
    MODULE_OF_AGENT,
    OneHotObservations,
    agent_to_module,
    arena_ppo_config,
    rllib_default_ppo_config,
)
from handson_rl.training.loop import iterate, train_until
from handson_rl.training.results import EPISODE_RETURNS_KEY, ReturnWindow, summarize

# ------------------------------------------------------------------ config


def test_config_has_one_trained_module_per_agent():
    config = arena_ppo_config(seed=3)
    assert set(config.policies) == set(MODULE_OF_AGENT.values()) == {"p1", "p2"}
    assert {a: config.policy_mapping_fn(a, None) for a in MODULE_OF_AGENT} == MODULE_OF_AGENT
    # Both modules learn: no restriction to a subset.
    assert config.policies_to_train is None
    # The env travels as a class, not a registered name.
    assert config.env is MultiAgentArena
    assert config.seed == 3


#: How each COURSE_SETTINGS entry is read back from a built config, through RLlib's
#: public attributes, and a second valid value to prove an override gets there too.
CONNECTORS = {"OneHotObservations": "course", "FlattenObservations": "rllib"}


def _one_hot_choice(config):
    """Which one-hot connector RLlib's public pipeline builder puts first."""
    env = MultiAgentArena()
    spaces = (gym.spaces.Dict(env.observation_spaces), gym.spaces.Dict(env.action_spaces))
    pipeline = config.build_env_to_module_connector(
        spaces={"__env__": spaces, "__env_single__": spaces}
    )
    return CONNECTORS[type(pipeline.connectors[0]).__name__]


READ_BACK = {
    "num_env_runners": (lambda c: c.num_env_runners, 3),
    "num_envs_per_env_runner": (lambda c: c.num_envs_per_env_runner, 4),
    "one_hot": (_one_hot_choice, "rllib"),
    "normalize_actions": (lambda c: c.normalize_actions, True),
    "train_batch_size": (lambda c: c.train_batch_size_per_learner, 1000),
    "minibatch_size": (lambda c: c.minibatch_size, 500),
    "num_epochs": (lambda c: c.num_epochs, 3),
    "lr": (lambda c: c.lr, 1e-4),
    "vf_clip_param": (lambda c: c.vf_clip_param, 5.0),
    "gamma": (lambda c: c.gamma, 0.9),
    "lambda_": (lambda c: c.lambda_, 0.8),
    "entropy_coeff": (lambda c: c.entropy_coeff, 0.01),
    "fcnet_hiddens": (lambda c: list(c.model_config["fcnet_hiddens"]), [8]),
    "vf_share_layers": (lambda c: c.model_config["vf_share_layers"], True),
}


def test_every_course_setting_has_a_read_back():
    assert set(READ_BACK) == set(COURSE_SETTINGS), "add the new setting to READ_BACK"


@pytest.mark.parametrize("name", sorted(COURSE_SETTINGS))
def test_each_course_setting_reaches_the_built_config(name):
    read, other = READ_BACK[name]
    assert other != COURSE_SETTINGS[name]
    assert read(arena_ppo_config()) == COURSE_SETTINGS[name]
    assert read(arena_ppo_config(**{name: other})) == other


def test_overrides_replace_settings_and_leave_the_defaults_alone():
    before = dict(COURSE_SETTINGS)
    config = arena_ppo_config(lr=1e-3, num_envs_per_env_runner=4, fcnet_hiddens=[32])
    assert config.lr == 1e-3
    assert config.num_envs_per_env_runner == 4
    assert config.model_config["fcnet_hiddens"] == [32]
    assert COURSE_SETTINGS == before


def test_unknown_override_raises_a_clear_error():
    with pytest.raises(TypeError, match=r"Unknown setting\(s\) \['learning_rate'\].*'lr'"):
        arena_ppo_config(learning_rate=1e-3)


def test_unknown_one_hot_choice_raises():
    with pytest.raises(ValueError, match="one_hot must be one of"):
        arena_ppo_config(one_hot="fancy")


def test_agent_to_module_rejects_unknown_agents():
    assert agent_to_module("agent2") == "p2"
    with pytest.raises(ValueError, match="No module for agent id 'agent3'"):
        agent_to_module("agent3")


def test_rllib_default_config_keeps_rllibs_defaults():
    config = rllib_default_ppo_config(seed=0)
    assert config.num_env_runners == 2 and config.num_envs_per_env_runner == 1
    assert config.train_batch_size_per_learner == 4000
    assert (config.minibatch_size, config.num_epochs, config.lr) == (128, 30, 5e-5)
    assert set(config.policies) == {"p1", "p2"}


# --------------------------------------------------------------- connector


def test_one_hot_connector_matches_rllibs_flatten_observations():
    env = MultiAgentArena({"width": 5, "height": 4})
    obs_space = gym.spaces.Dict(env.observation_spaces)
    act_space = gym.spaces.Dict(env.action_spaces)
    obs, infos = env.reset(seed=0)
    obs2, *_ = env.step({"agent1": 2, "agent2": 3})
    encoded = {}
    for name, connector in (
        ("ours", OneHotObservations(obs_space, act_space)),
        ("rllib", FlattenObservations(obs_space, act_space, multi_agent=True)),
    ):
        episode = MultiAgentEpisode(
            observation_space=obs_space,
            action_space=act_space,
            agent_to_module_mapping_fn=agent_to_module,
        )
        episode.add_env_reset(observations=obs, infos=infos)
        connector(rl_module=None, batch={}, episodes=[episode])
        encoded[name] = {a: episode.agent_episodes[a].get_observations(-1) for a in obs}
        assert connector.observation_space["agent1"].shape == (40,)
    for agent in ("agent1", "agent2"):
        ours = encoded["ours"][agent]
        assert ours.dtype == np.float32 and ours.shape == (40,)
        np.testing.assert_array_equal(ours, encoded["rllib"][agent])
        own, other = obs[agent]
        assert list(np.flatnonzero(ours)) == [own, 20 + other]
    assert not np.array_equal(obs2["agent1"], obs["agent1"])  # the env moved on


def test_one_hot_connector_rejects_other_spaces():
    space = gym.spaces.Dict({"agent1": gym.spaces.Box(0, 1, (3,))})
    with pytest.raises(TypeError, match="MultiDiscrete"):
        OneHotObservations(space, gym.spaces.Dict({"agent1": gym.spaces.Discrete(4)}))


# ------------------------------------------------------------ return window


def _result(returns1=None, returns2=(), episodes=None):
    """A hand-made result dict with the keys ReturnWindow and summarize read."""
    runners = {"num_episodes": math.nan if episodes is None else episodes}
    if returns1 is not None:
        runners[EPISODE_RETURNS_KEY] = {"agent1": list(returns1), "agent2": list(returns2)}
    return {"env_runners": runners}


def test_return_window_averages_the_last_n_episodes():
    window = ReturnWindow(size=100)
    assert math.isnan(window.mean) and not window.full
    window.update(_result([0.0] * 60, episodes=60))
    assert window.mean == 0.0 and not window.full and not window.reached(-1)
    window.update(_result([10.0] * 30, episodes=30))
    assert window.mean == pytest.approx(300 / 90)
    # An iteration without finished episodes (RLlib reports NaN) changes nothing.
    window.update(_result(episodes=None))
    assert window.mean == pytest.approx(300 / 90) and window.episodes == 90
    # 50 more: the window keeps the latest 100 (20 zeros, 30 tens, 50 twenties).
    mean = window.update(_result([20.0] * 50, episodes=50))
    assert window.full and window.episodes == 140
    assert mean == pytest.approx((30 * 10 + 50 * 20) / 100)
    assert window.reached(13.0) and not window.reached(13.01)


def test_return_window_tracks_the_requested_agent_and_size():
    window = ReturnWindow(agent="agent2", size=3)
    window.update(_result([1, 2, 3], returns2=[-1, -2, -3, -4], episodes=4))
    assert window.mean == pytest.approx(-3.0) and window.full
    with pytest.raises(ValueError):
        ReturnWindow(size=0)


def test_return_window_says_how_to_get_per_episode_returns():
    with pytest.raises(KeyError, match="record_episode_returns"):
        ReturnWindow().update({"env_runners": {"num_episodes": 5}})


class FakeAlgo:
    """Returns canned results; each call to train() is one 'iteration'."""

    def __init__(self, per_iteration_returns):
        self.queue = list(per_iteration_returns)
        self.calls = 0

    def train(self):
        self.calls += 1
        returns = self.queue.pop(0)
        result = _result(returns, episodes=len(returns))
        result["env_runners"]["num_env_steps_sampled_lifetime"] = 1000 * self.calls
        result["training_iteration"] = self.calls
        return result


def test_train_until_stops_at_the_first_full_window_at_target():
    # A single iteration with a high mean is not enough: the window must be full.
    algo = FakeAlgo([[30.0] * 50, [0.0] * 50, [36.0] * 50, [0.0] * 50])
    seen = []
    out = train_until(algo, target=18.0, max_seconds=60, on_iteration=seen.append)
    assert out.reached and out.iterations == 3 and algo.calls == 3
    assert out.env_steps == 3000 and out.window_mean == pytest.approx(18.0)
    assert out.seconds is not None and out.seconds == out.elapsed >= 0
    assert [row["window_mean"] for row in seen] == pytest.approx([30.0, 15.0, 18.0])
    assert [row["episodes"] for row in out.history] == [50, 50, 50]


def test_train_until_gives_up_at_the_iteration_cap():
    algo = FakeAlgo([[5.0] * 40] * 10)
    out = train_until(algo, target=18.0, max_seconds=60, max_iterations=4)
    assert not out.reached and out.seconds is None and out.iterations == 4
    assert out.window_mean == pytest.approx(5.0)


def test_train_until_without_a_target_runs_to_its_limit_and_checks_its_arguments():
    algo = FakeAlgo([[50.0] * 100] * 5)
    out = train_until(algo, target=None, max_seconds=None, max_iterations=3)
    assert not out.reached and out.iterations == 3 and out.episodes == 300
    with pytest.raises(ValueError, match="needs a target"):
        train_until(FakeAlgo([]), target=None, max_seconds=None)
    with pytest.raises(ValueError, match="agent must be one of"):
        train_until(FakeAlgo([[1.0]]), agent="agent3", max_iterations=1)


def test_iterate_yields_one_row_and_the_windows_per_train_call():
    algo = FakeAlgo([[10.0, 20.0], [], [30.0] * 3])
    steps = list(iterate(algo, 3, window=4))
    assert algo.calls == 3 and len(steps) == 3
    rows = [step.row for step in steps]
    assert [row["iteration"] for row in rows] == [1, 2, 3]
    assert [row["env_steps"] for row in rows] == [1000, 2000, 3000]
    assert [row["episodes"] for row in rows] == [2, 0, 3]
    # The window keeps the last 4 episodes of agent1 (20, 30, 30, 30).
    # The row keys name the window (window_key): agent1_last4 for window=4.
    assert [row["agent1_last4"] for row in rows] == pytest.approx([15.0, 15.0, 27.5])
    assert math.isnan(rows[0]["agent2_last4"])  # FakeAlgo reports no agent2 returns
    assert "agent1_last100" not in rows[0]
    assert all(row["wall_s"] >= 0 for row in rows)
    assert [r["wall_s"] for r in rows] == sorted(r["wall_s"] for r in rows)
    # Each step carries RLlib's result dict and the same windows object.
    assert steps[2].result["training_iteration"] == 3
    assert steps[0].windows is steps[2].windows and steps[2].windows["agent1"].episodes == 5


def test_iterate_without_a_count_runs_until_the_caller_stops():
    algo = FakeAlgo([[1.0]] * 10)
    for done, step in enumerate(iterate(algo), start=1):  # noqa: B007 (read after the loop)
        if done == 4:
            break
    assert algo.calls == 4 and step.row["iteration"] == 4


def test_iterate_stops_after_the_iteration_that_passes_max_seconds(monkeypatch):
    from handson_rl.training import loop

    clock = iter([100.0, 101.0, 105.0, 112.0, 113.0])  # start, then once per iteration
    monkeypatch.setattr(loop.time, "perf_counter", lambda: next(clock))
    algo = FakeAlgo([[1.0]] * 10)
    rows = [step.row for step in iterate(algo, 10, max_seconds=10)]
    assert algo.calls == 3 and [row["wall_s"] for row in rows] == [1.0, 5.0, 12.0]


def test_iterate_strict_windows_explains_missing_per_episode_returns():
    class NoReturns:
        def train(self):
            return {"env_runners": {"num_episodes": 5}}

    steps = iterate(NoReturns(), 1, strict_windows=True)
    with pytest.raises(KeyError, match="record_episode_returns"):
        next(steps)
    row = next(iterate(NoReturns(), 1)).row  # not strict: NaN, no error
    assert math.isnan(row["agent1_last100"])


# ------------------------------------------------------- real (tiny) training


def test_summarize_and_window_on_real_results(ray_session):
    # Course settings, but tiny: 2 runners x 2 envs and 400 steps per iteration,
    # so each iteration finishes exactly 4 episodes (100 steps each).
    config = arena_ppo_config(
        seed=0,
        num_envs_per_env_runner=2,
        train_batch_size=400,
        minibatch_size=200,
        num_epochs=1,
        fcnet_hiddens=[16],
    )
    algo = config.build_algo()
    try:
        window = ReturnWindow(size=6)
        rows = []
        for _ in range(2):
            result = algo.train()
            runners = result["env_runners"]
            per_episode = runners[EPISODE_RETURNS_KEY]
            # One return per finished episode, for both agents, merged over both
            # runners, and consistent with RLlib's own per-iteration means.
            assert len(per_episode["agent1"]) == len(per_episode["agent2"]) == 4
            for agent in ("agent1", "agent2"):
                assert np.mean(per_episode[agent]) == pytest.approx(
                    runners["agent_episode_returns_mean"][agent], abs=1e-4
                )
            window.update(result)
            rows.append(summarize(result))
    finally:
        algo.stop()
    row = rows[-1]
    assert set(row) == {
        "iteration",
        "env_steps",
        "episodes",
        "return",
        "agent1",
        "agent2",
        "time_s",
    }
    assert row["iteration"] == 2 and row["env_steps"] == 800 and row["episodes"] == 4
    assert row["return"] == pytest.approx(row["agent1"] + row["agent2"], abs=1e-4)
    assert -100 <= row["agent1"] <= 99 and -10 <= row["agent2"] <= 100
    assert row["time_s"] > 0
    # The window holds the latest 6 of the 8 episodes.
    assert window.full and window.episodes == 8 and len(window.returns) == 6


@pytest.mark.slow
def test_course_setup_reaches_agent1_18_at_full_length(ray_session):
    # The course's claim (chapter 3, bench/time_to_target.py): agent1's mean return
    # over its last 100 episodes reaches 18 within 30 s (median of 3 seeds) on 2
    # idle cores. One seed, with a generous cap for noisy CI machines.
    algo = arena_ppo_config(seed=0).build_algo()
    try:
        out = train_until(algo, target=18.0, max_seconds=90)
    finally:
        algo.stop()
    assert out.reached, (
        f"agent1's last-100-episode mean was {out.window_mean:.1f} after "
        f"{out.elapsed:.0f} s and {out.env_steps:,} env steps"
    )
    last = out.history[-1]
    assert last["window_mean"] >= 18.0 and out.env_steps < 150_000
