"""Figures the chapters state in prose, checked at full length."""

import numpy as np

from handson_rl.arena import MultiAgentArena


def test_random_play_baseline_stated_in_chapter_2():
    # Chapter 2: "Random play scores about -0.6 for agent1 (with a large spread)
    # and about -9 for agent2". 5,000 episodes: standard error ~0.17 for agent1.
    env = MultiAgentArena()
    rng = np.random.default_rng(12345)
    actions = rng.integers(0, 4, size=(5000, 100, 2)).tolist()
    r1, r2 = [], []
    for episode, steps in enumerate(actions):
        env.reset(seed=episode)
        for a1, a2 in steps:
            env.step({"agent1": a1, "agent2": a2})
        r1.append(env.returns["agent1"])
        r2.append(env.returns["agent2"])
    assert -1.2 < np.mean(r1) < -0.1
    assert np.std(r1) > 8  # "a large spread from episode to episode"
    assert -9.3 < np.mean(r2) < -8.7
