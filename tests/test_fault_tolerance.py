"""FlakyArena crashes as configured, and training survives the crashes."""

import time

import pytest

from handson_rl.arena.env import AGENT1, AGENT2, ArenaConfigError
from handson_rl.arena.flaky import EnvCrash, FlakyArena
from handson_rl.training.config import flaky_ppo_config
from handson_rl.training.results import env_steps, healthy_runners, restarts


class _Context(dict):
    """Stands in for RLlib's EnvContext: a dict with worker/vector indices."""

    def __init__(self, data, worker_index=0, vector_index=0):
        super().__init__(data)
        self.worker_index = worker_index
        self.vector_index = vector_index


def _steps_until_crash(env, limit=5000):
    env.reset(seed=0)
    for t in range(limit):
        if env.episode_over:
            env.reset()
        try:
            env.step({AGENT1: 1, AGENT2: 3})
        except EnvCrash:
            return t
    return None


def test_crash_prob_0_never_crashes_and_1_always_does():
    assert _steps_until_crash(FlakyArena({"crash_prob": 0.0}), limit=300) is None
    env = FlakyArena({"crash_prob": 1.0})
    env.reset(seed=0)
    with pytest.raises(EnvCrash, match="crashed"):
        env.step({AGENT1: 1, AGENT2: 3})
    assert env.crashes == 1 and env.timestep == 0  # the crash changed nothing


def test_crashes_are_seeded_per_runner_and_sub_env():
    from handson_rl.arena import flaky

    def schedule(**where):
        return _steps_until_crash(FlakyArena(_Context({"crash_prob": 0.01, "crash_seed": 7}, **where)))

    flaky._INSTANCES.clear()
    first = [schedule(worker_index=w, vector_index=v) for w in (1, 2) for v in (0, 1)]
    assert len(set(first)) > 1  # each runner and sub-env on its own schedule
    again = schedule(worker_index=1)  # a re-created env does not replay the crash
    flaky._INSTANCES.clear()
    assert [schedule(worker_index=w, vector_index=v) for w in (1, 2) for v in (0, 1)] == first
    assert again != first[0]


def test_rllib_does_not_tell_an_env_its_runner_was_restarted():
    # FlakyArena's docstring and chapter 11 say a restarted env runner replays its
    # crash schedule because RLlib 2.60's env runners build the EnvContext without
    # ``recreated_worker`` (only the old API stack's RolloutWorker passes it).
    import inspect

    from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner

    for runner in (MultiAgentEnvRunner, SingleAgentEnvRunner):
        source = inspect.getsource(runner)
        assert "EnvContext(" in source and "recreated_worker" not in source, runner


def test_flaky_arena_passes_the_game_config_through_and_checks_its_own():
    assert FlakyArena({"width": 5, "crash_prob": 0.0}).width == 5
    with pytest.raises(ArenaConfigError, match="Unknown env_config"):
        FlakyArena({"crash_probability": 0.1})
    with pytest.raises(ValueError, match="crash_prob must be a probability"):
        FlakyArena({"crash_prob": 2.0})


def test_config_turns_fault_tolerance_on():
    config = flaky_ppo_config(crash_prob=0.01, num_env_runners=2)
    assert config.restart_failed_env_runners is True
    assert config.delay_between_env_runner_restarts_s == 0.0
    assert config.env_config == {"crash_prob": 0.01, "crash_seed": 0}


def test_training_completes_despite_crashing_env_runners(ray_session):
    # A crash ends the runner's process; Ray starts a new one, and RLlib puts it back
    # to work (a "restart"). crash_prob 0.0005 with seed 1: the first crash comes in
    # the first few iterations, and the runners then sample long enough between
    # crashes to show training goes on (more often crashes only make this slower).
    config = flaky_ppo_config(
        crash_prob=0.0005, crash_seed=1, seed=0, num_env_runners=2, num_envs_per_env_runner=2,
        train_batch_size=400, minibatch_size=400, num_epochs=1,
    )
    algo = config.build_algo()
    results = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            results.append(algo.train())
            if restarts(results[-1]) >= 1 and healthy_runners(results[-1]) >= 1:
                break
            time.sleep(0.5)  # while no runner is healthy, iterations are empty
        before = env_steps(results[-1])
        for _ in range(15):  # and training goes on after the restart
            results.append(algo.train())
            if env_steps(results[-1]) > before:
                break
            time.sleep(0.5)  # a restarted runner needs a moment before it samples
    finally:
        algo.stop()
    ft = [r["fault_tolerance"] for r in results]
    assert restarts(results[-1]) >= 1, ft
    assert env_steps(results[-1]) > before, ft


def test_sub_environment_restarts_keep_the_runner_alive(ray_session):
    config = flaky_ppo_config(
        crash_prob=0.002, crash_seed=1, seed=0, num_env_runners=0, num_envs_per_env_runner=2,
        train_batch_size=400, minibatch_size=400, num_epochs=1,
    ).fault_tolerance(restart_failed_sub_environments=True)
    algo = config.build_algo()
    try:
        for _ in range(5):
            result = algo.train()
            if result["env_runners"].get("num_env_step_failures", 0) >= 1:
                break
    finally:
        algo.stop()
    assert result["env_runners"].get("num_env_step_failures", 0) >= 1
    assert env_steps(result) >= 400 * result["training_iteration"]
