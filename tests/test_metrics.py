"""The arena metrics callback, its result keys, and the TensorBoard files Tune writes."""

import math
from pathlib import Path

import numpy as np
import pytest
from ray.rllib.env.multi_agent_episode import MultiAgentEpisode
from ray.rllib.utils.metrics.metrics_logger import MetricsLogger

from handson_rl.arena.env import AGENT1, AGENT2, MultiAgentArena
from handson_rl.tools.tensorboard import EventFileError, read_scalars
from handson_rl.training.config import agent_to_module, arena_ppo_config
from handson_rl.training.metrics import (
    COLLISIONS,
    METRIC_KEYS,
    NEW_FIELDS,
    ArenaMetrics,
    count_step_events,
    metric_history,
)


def test_count_step_events_reads_agent1s_info_once():
    assert count_step_events(
        {AGENT1: {"new_field": True, "collision": False}, AGENT2: {"collision": False}}
    ) == (1, 0)
    # A collision is in both agents' infos but is one event.
    assert count_step_events(
        {AGENT1: {"new_field": False, "collision": True}, AGENT2: {"collision": True}}
    ) == (0, 1)
    assert count_step_events({}) == (0, 0)


def _play_through_callback(callback, seed, logger):
    """One random episode, with the hooks called as RLlib's env runner calls them."""
    env = MultiAgentArena()
    episode = MultiAgentEpisode(
        observation_space=env.observation_spaces,
        action_space=env.action_spaces,
        agent_to_module_mapping_fn=agent_to_module,
    )
    obs, infos = env.reset(seed=seed)
    episode.add_env_reset(observations=obs, infos=infos)
    callback.on_episode_start(episode=episode, metrics_logger=logger, env_index=0)
    rng = np.random.default_rng(seed)
    collisions = 0
    while not episode.is_done:
        actions = {a: int(rng.integers(4)) for a in (AGENT1, AGENT2)}
        obs, rewards, terms, truncs, infos = env.step(actions)
        collisions += infos[AGENT2]["collision"]
        episode.add_env_step(
            observations=obs,
            actions=actions,
            rewards=rewards,
            infos=infos,
            terminateds=terms,
            truncateds=truncs,
        )
        callback.on_episode_step(episode=episode, metrics_logger=logger, env_index=0)
    callback.on_episode_end(
        episode=episode, metrics_logger=logger, env_index=0, prev_episode_chunks=[]
    )
    return env, collisions


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_callback_counts_what_the_env_saw(seed):
    logger = MetricsLogger()
    env, collisions = _play_through_callback(ArenaMetrics(), seed, logger)
    # agent1's start cell counts as visited, so it discovered len(visited) - 1 cells.
    assert logger.peek(NEW_FIELDS) == len(env.visited) - 1
    assert logger.peek(COLLISIONS) == collisions


def test_callback_logs_the_mean_over_episodes():
    logger = MetricsLogger()
    callback = ArenaMetrics()  # one object for all episodes, as on an env runner
    counts = []
    for seed in (3, 4, 5):
        env, _ = _play_through_callback(callback, seed, logger)
        counts.append(len(env.visited) - 1)
    assert len(set(counts)) > 1  # different episodes, so the mean means something
    assert float(logger.peek(NEW_FIELDS)) == pytest.approx(np.mean(counts))
    assert float(logger.reduce()[NEW_FIELDS]) == pytest.approx(np.mean(counts))


def test_metric_history_marks_iterations_without_episodes_as_nan():
    results = [
        {"training_iteration": 1, "env_runners": {"num_env_steps_sampled_lifetime": 100}},
        {
            "training_iteration": 2,
            "env_runners": {
                "num_env_steps_sampled_lifetime": 200,
                NEW_FIELDS: 12.5,
                COLLISIONS: 2.0,
            },
        },
    ]
    rows = metric_history(results)
    assert rows[0]["iteration"] == 1 and math.isnan(rows[0][NEW_FIELDS])
    assert rows[1] == {"iteration": 2, "env_steps": 200, NEW_FIELDS: 12.5, COLLISIONS: 2.0}


def test_read_scalars_finds_what_tensorboardx_wrote(tmp_path):
    from tensorboardX import SummaryWriter

    with SummaryWriter(str(tmp_path)) as writer:
        for step in (1, 2, 3):
            writer.add_scalar("ray/tune/env_runners/collisions", step / 2, global_step=step)
    scalars = read_scalars(tmp_path)
    assert scalars["env_runners/collisions"] == [(1, 0.5), (2, 1.0), (3, 1.5)]
    assert "ray/tune/env_runners/collisions" in read_scalars(tmp_path, strip_prefix=False)


def test_read_scalars_explains_an_empty_or_missing_directory(tmp_path):
    with pytest.raises(EventFileError, match="Only runs under Ray Tune"):
        read_scalars(tmp_path)
    with pytest.raises(EventFileError, match="does not exist"):
        read_scalars(tmp_path / "nope")
    bad = tmp_path / "events.out.tfevents.bad"
    bad.write_bytes(b"\x01\x02")
    with pytest.raises(EventFileError, match="not a readable event file"):
        read_scalars(bad)


# ------------------------------------------------------- real (tiny) training


def _tiny_config():
    # 0 env runners x 2 envs, 200 steps per iteration: exactly 2 episodes per iteration.
    return arena_ppo_config(
        seed=0,
        num_env_runners=0,
        num_envs_per_env_runner=2,
        train_batch_size=200,
        minibatch_size=200,
        num_epochs=1,
        fcnet_hiddens=[16],
    ).callbacks(ArenaMetrics)


def test_metrics_arrive_in_the_result_dict(ray_session):
    algo = _tiny_config().build_algo()
    try:
        results = [algo.train() for _ in range(2)]
    finally:
        algo.stop()
    for result in results:
        runners = result["env_runners"]
        assert 0 <= runners[NEW_FIELDS] <= 99
        assert 0 <= runners[COLLISIONS] <= 100
        # agent2 earns +1 per collision and -0.1 otherwise: its mean return pins down
        # the mean collision count exactly.
        assert runners["agent_episode_returns_mean"][AGENT2] == pytest.approx(
            1.1 * runners[COLLISIONS] - 10.0, abs=1e-6
        )
    rows = metric_history(results)
    assert [r["iteration"] for r in rows] == [1, 2]


def test_tune_writes_the_metrics_to_tensorboard_files(ray_session, tmp_path):
    from ray import tune
    from ray.rllib.algorithms.ppo import PPO

    tuner = tune.Tuner(
        PPO,
        param_space=_tiny_config(),
        run_config=tune.RunConfig(
            storage_path=str(tmp_path), name="metrics", stop={"training_iteration": 2}, verbose=0
        ),
    )
    grid = tuner.fit()
    assert not grid.errors
    trial_dir = Path(grid[0].path)
    assert list(trial_dir.glob("events.out.tfevents.*"))
    scalars = read_scalars(tmp_path)
    progress = grid[0].metrics_dataframe
    for key in METRIC_KEYS:
        tag = f"env_runners/{key}"
        assert len(scalars[tag]) == 2
        # TensorBoard holds the same numbers as the result dicts (progress.csv).
        assert [v for _, v in scalars[tag]] == pytest.approx(list(progress[tag]), rel=1e-6)
