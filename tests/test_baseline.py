"""The random-play baseline: computed from the game, drawn dashed on every learning curve."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from handson_rl.arena.baseline import random_play  # noqa: E402
from handson_rl.arena.rollout import mean_returns, random_policies  # noqa: E402
from handson_rl.tools.plotting import (  # noqa: E402
    BASELINE_GID,
    KEY_ALIASES,
    add_random_baseline,
    baseline_for,
    plot_metrics,  # noqa: E402
    plot_returns,
)
from handson_rl.tools.tuning import plot_trials  # noqa: E402
from handson_rl.training.results import AGENT1_RETURN, COMBINED_RETURN  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_random_play_is_mean_returns_of_random_policies():
    play = random_play(episodes=150)
    ref = mean_returns(random_policies(seed=7), episodes=150, seed=0)
    for agent in ("agent1", "agent2"):
        assert play[agent]["mean"] == pytest.approx(ref[agent]["mean"])
        assert play[agent]["sem"] == pytest.approx(ref[agent]["sem"])
    assert play["combined"]["mean"] == pytest.approx(
        play["agent1"]["mean"] + play["agent2"]["mean"]
    )
    # agent2's rewards are +1.0 per collision and -0.1 otherwise: the counts agree with the returns.
    assert play["agent2"]["mean"] == pytest.approx(1.1 * play["collisions"]["mean"] - 10)
    assert play["episodes"] == 150
    assert random_play(episodes=150) == play  # remembered, and a copy each time
    play["agent1"]["mean"] = 99
    assert random_play(episodes=150)["agent1"]["mean"] != 99


def test_budget_and_bad_input(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    assert random_play()["episodes"] == 200
    with pytest.raises(ValueError, match="positive int"):
        random_play(episodes=0)
    assert baseline_for("no such curve") is None
    assert baseline_for(COMBINED_RETURN) == random_play()["combined"]["mean"]


def _dashed(ax):
    return {
        line.get_gid(): line
        for line in ax.get_lines()
        if (line.get_gid() or "").startswith(BASELINE_GID)
    }


def _history():
    return [{"env_steps": 1000 * i, "agent1": 2.0 * i, "agent2": -9 + 0.2 * i} for i in range(12)]


def test_every_return_curve_has_its_dashed_baseline(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")
    ax = plot_returns(_history())
    lines = _dashed(ax)
    assert set(lines) == {f"{BASELINE_GID}:agent1", f"{BASELINE_GID}:agent2"}
    for agent in ("agent1", "agent2"):
        line = lines[f"{BASELINE_GID}:{agent}"]
        assert line.get_linestyle() == "--"
        assert line.get_ydata()[0] == pytest.approx(random_play()[agent]["mean"])
        assert "random play" in line.get_label() and "200 episodes" in line.get_label()
    # A second set of curves on the same axes (chapter 4) does not draw them twice.
    plot_returns(_history(), ax=ax, label_prefix="shared: ", linestyle=":")
    assert len([line for line in ax.get_lines() if line.get_gid()]) == 2
    assert not _dashed(plot_returns(_history(), baseline=False))


def test_tune_curves_and_metric_panels_have_it_too(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "smoke")

    class Result:
        error = None
        config = {"lr": 1e-3}
        metrics_dataframe = pd.DataFrame(
            {
                "training_iteration": [1, 2, 3],
                COMBINED_RETURN: [-10.0, 0.0, 10.0],
                AGENT1_RETURN: [-1.0, 5.0, 9.0],
            }
        )

    ax = plot_trials([Result()], COMBINED_RETURN)
    (line,) = _dashed(ax).values()
    assert line.get_ydata()[0] == pytest.approx(random_play()["combined"]["mean"])
    ax = plot_trials([Result()], AGENT1_RETURN)
    assert list(_dashed(ax)) == [f"{BASELINE_GID}:agent1"]

    history = [
        {"env_steps": 1000 * i, "agent1_new_fields": 30.0 + i, "collisions": 1.0 + 0.1 * i}
        for i in range(8)
    ]
    axes = plot_metrics(history)
    assert [list(_dashed(a)) for a in axes] == [
        [f"{BASELINE_GID}:agent1_new_fields"],
        [f"{BASELINE_GID}:collisions"],
    ]
    assert _dashed(axes[1])[f"{BASELINE_GID}:collisions"].get_ydata()[0] == pytest.approx(
        random_play()["collisions"]["mean"]
    )


def test_every_alias_names_a_statistic():
    stats = set(random_play(episodes=20))
    assert set(KEY_ALIASES.values()) <= stats
    _, ax = plt.subplots()
    assert add_random_baseline(ax, "not a curve") is None and not ax.get_lines()
