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


def _stats(a1, a2, sem=0.5):
    return {
        name: {"agent1": {"mean": a1[i], "sem": sem}, "agent2": {"mean": a2[i], "sem": sem}}
        for i, name in enumerate(MATCHUPS)
    }


def test_verdicts_hold_or_fail_on_the_numbers():
    good = learning_verdicts(_stats([30, 35, 0, -0.5], [-5, -9, -6, -9]))
    assert [held for _, held, _ in good] == [True, True, True]
    # agent1 no better than random against random agent2; agent2 no better than random.
    bad = learning_verdicts(_stats([30, 0.5, 0, -0.5], [-9.5, -9, -6, -9]))
    assert [held for _, held, _ in bad] == [True, False, False]
    assert "within the noise" in str(bad[1][2]) and "+0.5 vs random vs random -0.5" in str(
        bad[1][2]
    )
    # The same gap is beyond the noise with small standard errors, within it with large ones.
    assert learning_verdicts(_stats([30, 3, 0, 0], [-5, -9, -6, -9], sem=0.5))[1][1]
    assert not learning_verdicts(_stats([30, 3, 0, 0], [-5, -9, -6, -9], sem=2.0))[1][1]


def test_the_pretrained_agents_pass_every_verdict():
    trained = trained_policies(load_pretrained(), seed=100)
    random = random_policies(seed=200)
    players = {"trained": trained, "random": random}
    means = {}
    for name, (who1, who2) in MATCHUPS.items():
        policies = {"agent1": players[who1]["agent1"], "agent2": players[who2]["agent2"]}
        stats = mean_returns(policies, episodes=100, seed=10_000)
        means[name] = stats
    failed = [
        (claim, str(verdict)) for claim, held, verdict in learning_verdicts(means) if not held
    ]
    assert not failed, failed
