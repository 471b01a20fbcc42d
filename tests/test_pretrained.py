"""The committed pre-trained agents and the GIFs in videos/ made from them."""

from __future__ import annotations

import json

import pytest
import ray

from handson_rl.arena.env import MultiAgentArena
from handson_rl.arena.rollout import RandomPolicy, mean_returns
from handson_rl.maintainers.make_pretrained import make
from handson_rl.maintainers.videos import VIDEOS_DIR, stale
from handson_rl.training.policies import trained_policies
from handson_rl.training.pretrained import (
    PRETRAINED_DIR,
    PretrainedError,
    info,
    load_pretrained,
)


@pytest.fixture(scope="module")
def modules():
    return load_pretrained()


def test_pretrained_modules_restore_on_the_pinned_ray(modules):
    assert set(modules) == {"p1", "p2"}
    meta = info()
    assert meta["ray"] == ray.__version__, (
        "re-make with `python -m handson_rl.maintainers.make_pretrained`"
    )
    size = sum(f.stat().st_size for f in PRETRAINED_DIR.rglob("*") if f.is_file())
    assert size < 1_000_000, f"the pre-trained agents should stay small, are {size} bytes"


def test_trained_agent1_beats_a_random_agent1_against_the_same_opponent(modules):
    trained = trained_policies(modules, seed=11)
    random_agent1 = RandomPolicy(MultiAgentArena().get_action_space("agent1"), seed=5)
    versus_trained_agent2 = mean_returns(
        {"agent1": trained["agent1"], "agent2": trained["agent2"]}, 100, seed=500
    )
    random_vs_same = mean_returns(
        {"agent1": random_agent1, "agent2": trained["agent2"]}, 100, seed=500
    )
    margin = versus_trained_agent2["agent1"]["mean"] - random_vs_same["agent1"]["mean"]
    assert margin > 10, (versus_trained_agent2, random_vs_same)
    # Chapter 12's agent2 claim: the trained agent2 catches the trained agent1
    # more often than a random agent2 does.
    random_agent2 = RandomPolicy(MultiAgentArena().get_action_space("agent2"), seed=6)
    versus_random_agent2 = mean_returns(
        {"agent1": trained["agent1"], "agent2": random_agent2}, 100, seed=500
    )
    assert versus_trained_agent2["agent2"]["mean"] > versus_random_agent2["agent2"]["mean"] + 1


def test_missing_pretrained_dir_says_how_to_make_it(tmp_path):
    with pytest.raises(PretrainedError, match="python -m handson_rl.maintainers.make_pretrained"):
        load_pretrained(tmp_path)
    with pytest.raises(PretrainedError, match="training.json"):
        info(tmp_path)


def test_committed_videos_are_the_output_of_the_command():
    assert (VIDEOS_DIR / "trained_episode.gif").exists()
    assert stale() == [], "run `python -m handson_rl.maintainers.videos` and commit videos/"


def test_the_command_trains_and_writes_loadable_modules(no_local_ray, tmp_path):
    # No Ray in this process before: the command starts its own and stops it.
    meta = make(tmp_path / "agents", iterations=1, seed=3)
    assert meta["iterations"] == 1 and meta["env_steps"] > 0
    assert json.loads((tmp_path / "agents" / "training.json").read_text())["seed"] == 3
    assert set(load_pretrained(tmp_path / "agents")) == {"p1", "p2"}
    assert not ray.is_initialized()
