"""Chapter 12's verdicts: in words for the learner, asserted here for the course's agents."""

from __future__ import annotations

from handson_rl.arena.rollout import (
    MATCHUPS,
    learning_verdicts,
    mean_returns,
    random_policies,
)
from handson_rl.training.policies import trained_policies
from handson_rl.training.pretrained import load_pretrained


def _means(a1, a2):
    return {name: {"agent1": a1[i], "agent2": a2[i]} for i, name in enumerate(MATCHUPS)}


def test_verdicts_hold_or_fail_on_the_numbers():
    good = learning_verdicts(_means([30, 35, 0, -0.5], [-5, -9, -6, -9]))
    assert [held for _, held, _ in good] == [True, True, True]
    # agent1 no better than random against random agent2; agent2 no better than random.
    bad = learning_verdicts(_means([30, 2, 0, -0.5], [-9.5, -9, -6, -9]))
    assert [held for _, held, _ in bad] == [True, False, False]
    assert bad[1][2] == "+2.0 vs -0.5"


def test_the_pretrained_agents_pass_every_verdict():
    trained = trained_policies(load_pretrained(), seed=100)
    random = random_policies(seed=200)
    players = {"trained": trained, "random": random}
    means = {}
    for name, (who1, who2) in MATCHUPS.items():
        policies = {"agent1": players[who1]["agent1"], "agent2": players[who2]["agent2"]}
        stats = mean_returns(policies, episodes=100, seed=10_000)
        means[name] = {agent: stats[agent]["mean"] for agent in ("agent1", "agent2")}
    failed = [(claim, evidence) for claim, held, evidence in learning_verdicts(means) if not held]
    assert not failed, failed
