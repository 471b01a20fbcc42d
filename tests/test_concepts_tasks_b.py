"""The answers of chapters 7, 10 and 11's concept checks (issue 24, part B), each
checked against the installed Ray/RLlib. The mechanism (every choice explained,
the right answer recorded) is tested for all questions in test_concepts.py."""

from __future__ import annotations

import os

import numpy as np
import pytest

from handson_rl.arena.env import MultiAgentArena
from handson_rl.exercises.concepts import QUESTIONS


def _answer(qid: str) -> str:
    return QUESTIONS[qid].answer


def test_ch7_a_trial_of_the_course_config_reserves_three_cpus():
    from handson_rl.tools.tuning import trial_cpus
    from handson_rl.training.config import arena_ppo_config

    assert _answer("ch7-trial-cpus") == "b"
    assert trial_cpus(arena_ppo_config()) == 3.0
    assert trial_cpus(arena_ppo_config(num_env_runners=0)) == 1.0


def test_ch10_forty_minibatch_updates_for_both_modules_together():
    from ray.rllib.policy.sample_batch import MultiAgentBatch, SampleBatch
    from ray.rllib.utils.minibatch_utils import MiniBatchCyclicIterator

    assert _answer("ch10-sgd-steps") == "b"
    batch = MultiAgentBatch(
        {m: SampleBatch({"obs": np.zeros((2000, 2))}) for m in ("p1", "p2")}, env_steps=2000
    )
    minibatches = list(MiniBatchCyclicIterator(batch, num_epochs=10, minibatch_size=500))
    assert len(minibatches) == 40
    assert all(
        {m: len(b) for m, b in mb.policy_batches.items()} == {"p1": 500, "p2": 500}
        for mb in minibatches
    )


@pytest.mark.ray
def test_ch10_a_third_one_cpu_actor_waits_without_an_error(ray_session):
    import ray

    assert _answer("ch10-third-runner") == "c"

    @ray.remote(num_cpus=1)
    class Runner:
        def ping(self):
            return "ok"

    two = [Runner.remote() for _ in range(2)]
    try:
        assert ray.get([r.ping.remote() for r in two], timeout=60) == ["ok", "ok"]
        third = Runner.remote()
        ready, pending = ray.wait([third.ping.remote()], timeout=3)
        assert ready == [] and len(pending) == 1  # pending, no error
        ray.kill(two[0])
        assert ray.get(pending[0], timeout=60) == "ok"  # starts once a CPU is free
        ray.kill(third)
    finally:
        for actor in two:
            ray.kill(actor)


class _Recorder(MultiAgentArena):
    """The arena, recording the process and the number of each step()."""

    steps: list = []

    def step(self, action_dict):
        _Recorder.steps.append(os.getpid())
        return super().step(action_dict)


@pytest.mark.ray
def test_ch11_with_zero_env_runners_the_build_steps_the_env_here(ray_session):
    from ray.tune.registry import register_env

    from handson_rl.training.config import arena_ppo_config

    assert _answer("ch11-same-process") == "b" and _answer("ch11-first-step") == "b"
    register_env("recorder_24b", lambda config: _Recorder(config))
    _Recorder.steps = []
    config = arena_ppo_config(num_env_runners=0, num_envs_per_env_runner=1).environment(
        "recorder_24b"
    )
    assert _Recorder.steps == []  # .environment(...) made no env
    algo = config.build_algo()
    try:
        assert len(_Recorder.steps) >= 1  # the env checker's step, before any train()
        assert set(_Recorder.steps) == {os.getpid()}  # in this process
    finally:
        algo.stop()
