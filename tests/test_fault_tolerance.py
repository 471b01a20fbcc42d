"""FlakyArena crashes as configured, and training survives the crashes."""

import time

import pytest

from handson_rl.arena.env import AGENT1, AGENT2, ArenaConfigError
from handson_rl.training.config import flaky_ppo_config
from handson_rl.training.flaky import EnvCrash, FlakyArena
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
    from handson_rl.training import flaky

    def schedule(**where):
        return _steps_until_crash(
            FlakyArena(_Context({"crash_prob": 0.01, "crash_seed": 7}, **where))
        )

    flaky._INSTANCES.clear()
    first = [schedule(worker_index=w, vector_index=v) for w in (1, 2) for v in (0, 1)]
    assert len(set(first)) > 1  # each runner and sub-env on its own schedule
    again = schedule(worker_index=1)  # a re-created env does not replay the crash
    flaky._INSTANCES.clear()
    assert [schedule(worker_index=w, vector_index=v) for w in (1, 2) for v in (0, 1)] == first
    assert again != first[0]


def test_first_crash_replays_flaky_arenas_draws(monkeypatch):
    from handson_rl.training import flaky

    for board in (0, 1):
        for restarts_before in (0, 2):
            flaky._INSTANCES.clear()
            monkeypatch.setattr(flaky, "current_actor_restarts", lambda n=restarts_before: n)
            envs = [
                FlakyArena(_Context({"crash_prob": 0.01, "crash_seed": 5}, worker_index=1))
                for _ in range(board + 1)
            ]
            assert envs[-1].board == board and envs[-1].runner_restarts == restarts_before
            expected = flaky.first_crash(
                0.01, 5, worker_index=1, board=board, restarts=restarts_before
            )
            assert _steps_until_crash(envs[-1]) == expected
    # A restarted runner draws another schedule.
    assert flaky.first_crash(0.01, 5, worker_index=1) != flaky.first_crash(
        0.01, 5, worker_index=1, restarts=1
    )


def test_chapter_11_crash_schedules_tell_the_story_its_prose_tells():
    # Chapter 11, first remote error: crash_prob 0.05, crash_seed 9, one runner with
    # 4 boards; the first crash comes after the env checker's step, at board 0's
    # 8th step() call (sampled step 7 of the first episode).
    from handson_rl.training.flaky import first_crash

    first = [first_crash(0.05, 9, worker_index=1, board=b) for b in range(4)]
    assert min(first) == first[0] == 8

    # Fault tolerance: crash_prob 0.0005, crash_seed 1639, two runners with 2 boards,
    # 16 iterations of 400 steps: at most 3,200 steps per board. Only runner 2's
    # board 0 crashes, at its 214th call (third iteration: 1 + 213 sampled steps);
    # runner 1, and runner 2 once restarted, would crash only after the run.
    def crash(runner, board, restarts_before=0):
        return first_crash(0.0005, 1639, worker_index=runner, board=board, restarts=restarts_before)

    assert crash(2, 0) == 214 and crash(2, 1) > 214
    later = [crash(1, 0), crash(1, 1), crash(2, 0, 1), crash(2, 1, 1)]
    assert all(steps is None or steps > 3200 for steps in later), later


def test_rllib_does_not_tell_an_env_its_runner_was_restarted():
    # FlakyArena asks Ray for its runner's restarts because RLlib 2.60's env
    # runners build the EnvContext without ``recreated_worker`` (only the old API
    # stack's RolloutWorker passes it), and gives every board the same context.
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
    # to work (a "restart"). crash_prob 0.0005 with seed 1639, as in chapter 11:
    # runner 2 crashes in the third iteration, and nothing else crashes for far
    # longer than this test runs (test_chapter_11_crash_schedules_...).
    config = flaky_ppo_config(
        crash_prob=0.0005,
        crash_seed=1639,
        seed=0,
        num_env_runners=2,
        num_envs_per_env_runner=2,
        train_batch_size=400,
        minibatch_size=400,
        num_epochs=1,
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
    assert restarts(results[-1]) == 1, ft  # one crash, one restart: the new schedule holds
    assert env_steps(results[-1]) > before, ft
    healthy = [healthy_runners(r) for r in results]
    assert healthy[:2] == [2, 2] and 1 in healthy and healthy[-1] == 2, ft  # 2, 1, then 2 again


def test_sub_environment_restarts_keep_the_runner_alive(ray_session):
    config = flaky_ppo_config(
        crash_prob=0.002,
        crash_seed=1,
        seed=0,
        num_env_runners=0,
        num_envs_per_env_runner=2,
        train_batch_size=400,
        minibatch_size=400,
        num_epochs=1,
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
