"""What handson_rl.training.ray_internals relies on in Ray still exists and works.

``ray_internals`` is the course's only use of Ray's private APIs. Each test here
fails when a Ray upgrade moves, renames or changes what one function reaches for,
so the upgrade breaks here, loudly, not somewhere in a notebook. None starts Ray.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fresh_python import run_python

from handson_rl.training import ray_internals

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PRIVATE_NAMES = ("._private", "._raylet", "._global_registry", "_train_batch_size_per_learner")


def _python(code: str) -> subprocess.CompletedProcess:
    return run_python(code, env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())})


def test_every_function_has_a_test_here():
    public = {n for n, v in vars(ray_internals).items() if callable(v) and not n.startswith("_")}
    public -= {"annotations"}
    tested = {n.removeprefix("test_") for n in globals() if n.startswith("test_")}
    assert public == {
        "refresh_auth_config",
        "add_worker_log_skip_regex",
        "restart_local_sampling",
        "current_actor_restarts",
        "worker_output_to",
        "asha_milestones",
    }
    assert all(any(name in t for t in tested) for name in public)


# --- refresh_auth_config --------------------------------------------------------------


def test_refresh_auth_config_needs_raylet_config_initialize():
    from ray._raylet import Config

    assert callable(getattr(Config, "initialize", None))


def test_refresh_auth_config_turns_on_token_auth_set_after_import():
    # In a fresh process: Ray caches RAY_AUTH_MODE at import; the refresh re-reads it.
    proc = _python(
        """
        import os
        import ray
        from ray._raylet import AuthenticationMode, get_authentication_mode
        from handson_rl.training.ray_internals import refresh_auth_config

        os.environ["RAY_AUTH_MODE"] = "token"
        print("before", get_authentication_mode() == AuthenticationMode.TOKEN)
        refresh_auth_config()
        print("after", get_authentication_mode() == AuthenticationMode.TOKEN)
        """
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    # "before False" shows the cache is real (else the function would be unneeded).
    assert proc.stdout.split() == ["before", "False", "after", "True"], proc.stdout


# --- add_worker_log_skip_regex --------------------------------------------------------


@pytest.fixture
def deduplicators(monkeypatch):
    """Ray's two worker-log deduplicators; their skip_re is restored after the test."""
    from ray._private import ray_logging

    dedups = [getattr(ray_logging, name) for name in ("stdout_deduplicator", "stderr_deduplicator")]
    for dedup in dedups:
        monkeypatch.setattr(dedup, "skip_re", dedup.skip_re)
    return dedups


def _shown(dedup, lines: list[str]) -> list[str]:
    """The lines Ray's deduplicator lets through for one batch from one worker."""
    batches = dedup.deduplicate({"ip": "10.0.0.9", "pid": 4242, "lines": list(lines)})
    return [line for batch in batches for line in batch["lines"]]


def test_add_worker_log_skip_regex_needs_the_deduplicators_skip_re(deduplicators):
    for dedup in deduplicators:
        assert hasattr(dedup, "skip_re") and callable(dedup.deduplicate)
        assert dedup.skip_re is None or isinstance(dedup.skip_re, re.Pattern)


def test_add_worker_log_skip_regex_makes_ray_drop_exactly_the_noise(deduplicators):
    noise, normal = "COURSE-TEST-NOISE 17 from a worker", "a learner's own print 9f3a"
    for dedup in deduplicators:
        assert noise in _shown(dedup, [noise])  # Ray shows it before ...
    ray_internals.add_worker_log_skip_regex(r"COURSE-TEST-NOISE \d+")
    ray_internals.add_worker_log_skip_regex(r"COURSE-TEST-NOISE \d+")  # idempotent
    ray_internals.add_worker_log_skip_regex(r"OTHER-NOISE")  # patterns accumulate
    for dedup in deduplicators:
        assert dedup.skip_re.pattern.count("COURSE-TEST-NOISE") == 1
        shown = _shown(dedup, [noise + " again", "OTHER-NOISE here", normal])
        assert shown == [normal]  # ... and drops it after; other lines stay


# --- the package stays off Ray's private APIs and does not import Ray eagerly ----------


def test_asha_milestones_reads_rays_scheduler():
    from ray.tune.experiment import Trial
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    scheduler = ASHAScheduler(max_t=100, grace_period=1, reduction_factor=4)
    assert ray_internals.asha_milestones(scheduler) == [1, 4, 16, 64]
    # The milestones are where Ray's scheduler decides: a trial far below the
    # others at the first milestone is stopped there, not one iteration before.
    scheduler = ASHAScheduler(metric="r", mode="max", max_t=16, grace_period=2)
    trials = [Trial("__fake", trial_id=str(i), stub=True) for i in range(3)]
    for trial in trials:
        scheduler.on_trial_add(None, trial)
    decisions = {}
    for iteration in (1, 2):
        for trial, r in zip(trials, (10.0, 9.0, -5.0)):
            result = {"training_iteration": iteration, "r": r}
            decisions[(trial.trial_id, iteration)] = scheduler.on_trial_result(None, trial, result)
    assert ray_internals.asha_milestones(scheduler)[0] == 2
    assert decisions[("2", 1)] == "CONTINUE" and decisions[("2", 2)] == "STOP"
    with pytest.raises(TypeError, match="no ASHA brackets"):
        ray_internals.asha_milestones(FIFOScheduler())


def test_private_ray_names_are_used_only_in_ray_internals():
    allowed = SRC / "handson_rl" / "training" / "ray_internals.py"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path != allowed
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if any(name in line for name in PRIVATE_NAMES)
    ]
    assert not found, "Ray's private APIs belong in ray_internals.py:\n" + "\n".join(found)
    text = allowed.read_text()
    assert "._private" in text and "._raylet" in text  # the check looks at the right file


def test_importing_the_package_does_not_import_ray():
    proc = _python("import sys, handson_rl; print('ray' in sys.modules)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "False"


def test_restart_local_sampling_recovers_an_env_runner_interrupted_mid_step():
    from types import SimpleNamespace

    from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner

    from handson_rl.training.config import arena_ppo_config

    runner = MultiAgentEnvRunner(
        config=arena_ppo_config(seed=0, num_env_runners=0, num_envs_per_env_runner=2)
    )
    try:
        runner.sample(num_timesteps=20)
        # What an interrupt between taking and recomputing the cached output leaves behind:
        runner._cached_to_module = None
        with pytest.raises(AssertionError):
            runner.sample(num_timesteps=20)
        algo = SimpleNamespace(env_runner_group=SimpleNamespace(local_env_runner=runner))
        assert ray_internals.restart_local_sampling(algo)
        assert sum(len(e) for e in runner.sample(num_timesteps=20)) >= 20
        assert not ray_internals.restart_local_sampling(SimpleNamespace(env_runner_group=None))
    finally:
        runner.stop()


# --- current_actor_restarts and worker_output_to (chapter 11's fault tolerance) --------


def test_current_actor_restarts_reads_the_gcs_actor_table_like_ray_does():
    # Ray's own was_current_actor_reconstructed reads NumRestarts from the same table.
    import inspect

    from ray._private import state
    from ray.runtime_context import RuntimeContext

    assert callable(state.actors)
    assert '"NumRestarts": actor_table_data.num_restarts' in inspect.getsource(state)
    source = inspect.getsource(RuntimeContext.was_current_actor_reconstructed.fget)
    assert "actors(actor_id=" in source and 'actor_info["NumRestarts"]' in source
    # Outside Ray, or in the driver: 0.
    assert ray_internals.current_actor_restarts() == 0


@pytest.mark.ray
def test_current_actor_restarts_counts_the_restarts_of_an_actor(ray_session):
    import os

    import ray

    @ray.remote(max_restarts=1, num_cpus=0)
    class Counter:
        def restarts(self):
            return ray_internals.current_actor_restarts()

        def die(self):
            os._exit(1)

    actor = Counter.remote()
    assert ray.get(actor.restarts.remote()) == 0
    actor.die.remote()
    for _ in range(100):  # the restart takes a moment
        try:
            assert ray.get(actor.restarts.remote(), timeout=30) == 1
            break
        except ray.exceptions.RayActorError:
            import time

            time.sleep(0.3)
    else:
        raise AssertionError("the actor did not come back")
    ray.kill(actor)
    assert ray.get(Counter.remote().restarts.remote()) == 0


def test_worker_output_to_swaps_and_restores_rays_printers():
    import ray._private.worker as ray_worker
    from ray._private.ray_logging import global_worker_stdstream_dispatcher as dispatcher

    original = object()
    saved_handlers, saved_print = list(dispatcher.handlers), ray_worker.print_to_stdstream
    dispatcher.handlers = [("ray_print_logs", original), ("other", original)]
    lines = []
    try:
        with ray_internals.worker_output_to(lines.append):
            handler = dict(dispatcher.handlers)["ray_print_logs"]
            assert handler is not original and dict(dispatcher.handlers)["other"] is original
            assert ray_worker.print_to_stdstream is not saved_print
            batch = {
                "lines": ["hello", "world"],
                "pid": 42,
                "ip": "127.0.0.2",
                "actor_name": "MultiAgentEnvRunner",
                "is_err": True,
            }
            handler(batch)
            ray_worker.print_to_stdstream(
                {"lines": ["A worker died"], "pid": "raylet", "is_err": False}, ignore_prefix=False
            )
        assert dispatcher.handlers == [("ray_print_logs", original), ("other", original)]
        assert ray_worker.print_to_stdstream is saved_print
    finally:
        dispatcher.handlers, ray_worker.print_to_stdstream = saved_handlers, saved_print
    assert lines[0].startswith("(MultiAgentEnvRunner pid=42") and lines[0].endswith("hello")
    assert lines[1].endswith("world") and "\x1b" not in "".join(lines)
    assert lines[2].startswith("(raylet)") and lines[2].endswith("A worker died")
