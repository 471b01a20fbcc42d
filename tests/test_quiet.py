"""quiet_ray() hides Ray's noise and nothing else; course code uses no deprecated Ray API.

(a) A fresh Python process that starts Ray the way the notebooks do and trains one
    tiny PPO iteration on a remote env runner prints none of the known noise.
(b) In that same process, a warning and an exception raised by the learner's own
    env code on the remote env runner still show.
(c) The course package's main paths (config, training, checkpoints, policies) run
    with every DeprecationWarning recorded, both the ``warnings.warn`` kind and the
    kind RLlib *logs* ("DeprecationWarning: ..." through ``logger.warning``). The
    test fails if one of them was triggered by course code calling a deprecated
    API; deprecations RLlib triggers deep inside itself (such as the
    ``RLModule(config=...)`` one) are allowed: the stack tells them apart.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from handson_rl.training.quiet import NOISE_PATTERNS, NoiseFilter, is_noise

ROOT = Path(__file__).resolve().parents[1]

#: What the known noise looks like in the output (docs/conventions.md, "Noise"), literally.
KNOWN_NOISE = (
    "Token authentication is enabled",
    "on the new API stack",
    "max_restarts > 0",  # only without env runner restarts: see CPP_RESTART_NOTICE
    "RLModule(config=[RLModuleConfig object])",
    "Install gputil",
    "Trainable.setup took",
    "already in registry",
)
#: Ray's C++ core prints this for env runners Ray may restart; no Python or Ray
#: logging setting hides it without hiding all C++ errors (see handson_rl.training.quiet).
CPP_RESTART_NOTICE = "max_restarts > 0"


def _start(script: str) -> subprocess.Popen:
    env = {**os.environ, "COURSE_BUDGET": "smoke", "PYTHONUNBUFFERED": "1"}
    # The child decides what is quiet, not whatever the test runner inherited.
    for var in ("RAY_BACKEND_LOG_LEVEL", "RAY_DEDUP_LOGS_SKIP_REGEX", "PYTHONWARNINGS"):
        env.pop(var, None)
    # Output to files, not pipes: a full pipe would stall one script while the
    # test waits for the other.
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, env=env, stdout=out, stderr=err
    )
    proc.files = (out, err)
    return proc


def _finish(proc: subprocess.Popen, timeout: int = 600) -> subprocess.CompletedProcess:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    texts = []
    for file in proc.files:
        file.seek(0)
        texts.append(file.read())
        file.close()
    return subprocess.CompletedProcess(proc.args, proc.returncode, *texts)


# --- the filter itself ---------------------------------------------------------------


@pytest.mark.parametrize("noise", [n for n in KNOWN_NOISE if n != CPP_RESTART_NOTICE])
def test_every_known_noise_has_a_pattern(noise):
    examples = {
        "Token authentication is enabled": "Token authentication is enabled for this Ray cluster. Set RAY_AUTH_MODE=disabled to opt out.",
        "on the new API stack": "You are running PPO on the new API stack! This is the new default behavior",
        "RLModule(config=[RLModuleConfig object])": "(MultiAgentEnvRunner pid=15455) DeprecationWarning: `RLModule(config=[RLModuleConfig object])` has been deprecated. Use `RLModule(observation_space=..)` instead.",
        "Install gputil": "Install gputil for GPU system monitoring.",
        "Trainable.setup took": "Trainable.setup took 12.345 seconds. If your trainable is slow to initialize",
        "already in registry": "Overriding environment MultiAgentArena already in registry.",
    }
    assert is_noise(examples[noise]), f"no pattern hides {examples[noise]!r}"


@pytest.mark.parametrize(
    "real",
    [
        "UserWarning: LEARNER-WARNING from my env",
        "RuntimeError: LEARNER-ENV-BOOM in my env",
        "DeprecationWarning: `config.training(num_sgd_iter=..)` has been deprecated.",
        "Traceback (most recent call last):",
        "ArenaActionError: agent1's action 7 is not in Discrete(4)",
        "The actor died unexpectedly before finishing this task.",
    ],
)
def test_real_messages_are_not_noise(real):
    assert not is_noise(real)
    record = logging.LogRecord("ray.rllib", logging.WARNING, __file__, 1, real, None, None)
    assert NoiseFilter().filter(record)


def test_patterns_compile_and_are_specific():
    import re

    for pattern in NOISE_PATTERNS:
        compiled = re.compile(pattern)
        assert not compiled.search(""), f"{pattern!r} matches everything"


# --- (a) + (b): a fresh process, Ray started as the notebooks start it -----------------

#: Prepended to the scripts: start Ray as the course's own code does (retried when
#: Ray's start-up times out on an overloaded machine); the scripts shut it down.
START_RAY = r"""
import contextlib

from handson_rl.training.session import ray_session

_RAY = contextlib.ExitStack()


def start_ray(**kwargs):
    _RAY.enter_context(ray_session(**kwargs))
"""

LEARNER_SCRIPT = r"""
import warnings

from handson_rl.training.quiet import quiet_ray

quiet_ray()
import ray

start_ray(num_cpus=2, include_dashboard=False)

from ray.tune.registry import register_env

from handson_rl.arena.env import MultiAgentArena
from handson_rl.training.config import arena_ppo_config


class LearnerEnv(MultiAgentArena):
    # The learner's own env: it warns on reset and, from step 300 on, crashes.
    def __init__(self, config=None):
        config = dict(config or {})
        self.explode_at = config.pop("explode_at", None)
        super().__init__(config)
        self.steps_taken = 0

    def reset(self, *, seed=None, options=None):
        warnings.warn("LEARNER-WARNING from my env", UserWarning)
        return super().reset(seed=seed, options=options)

    def step(self, actions):
        self.steps_taken += 1
        if self.explode_at is not None and self.steps_taken >= self.explode_at:
            raise RuntimeError("LEARNER-ENV-BOOM in my env")
        return super().step(actions)


register_env("LearnerArena", lambda cfg: LearnerEnv(cfg))
config = arena_ppo_config(
    seed=0, num_env_runners=1, num_envs_per_env_runner=1,
    train_batch_size=200, minibatch_size=200, num_epochs=1,
).environment("LearnerArena", env_config={"explode_at": 300})
print("=== RESTARTS", config.restart_failed_env_runners, flush=True)
algo = config.build_algo()
result = algo.train()
print("=== ITERATION 1 DONE", result["env_runners"]["num_env_steps_sampled_lifetime"], flush=True)
try:
    for _ in range(3):
        algo.train()
    print("=== NO ERROR", flush=True)
except Exception as e:
    print("=== ITERATION RAISED", type(e).__name__, flush=True)
    print(str(e)[:3000], flush=True)
algo.stop()
ray.shutdown()
print("=== DONE", flush=True)
"""


@pytest.fixture(scope="module")
def scripts():
    """Both scripts at once: each spends most of its time waiting for its own Ray."""
    procs = {
        "learner": _start(START_RAY + LEARNER_SCRIPT),
        "course": _start(START_RAY + COURSE_PATHS_SCRIPT),
    }
    try:
        yield {name: _finish(proc) for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def learner_run(scripts):
    proc = scripts["learner"]
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "=== DONE" in proc.stdout, (
        f"the script failed (exit {proc.returncode}):\n{out[-5000:]}"
    )
    return out


@pytest.mark.ray
def test_known_noise_is_hidden(learner_run):
    assert "=== ITERATION 1 DONE" in learner_run
    noise = list(KNOWN_NOISE)
    if "=== RESTARTS True" in learner_run:
        # The course config lets Ray restart env runners: the C++ notice remains.
        noise.remove(CPP_RESTART_NOTICE)
    shown = [n for n in noise if n in learner_run]
    lines = [line for line in learner_run.splitlines() if any(n in line for n in shown)]
    assert not shown, "noise still shows:\n" + "\n".join(lines)


@pytest.mark.ray
def test_learner_warning_on_remote_runner_still_shows(learner_run):
    lines = [line for line in learner_run.splitlines() if "LEARNER-WARNING" in line]
    assert lines, "a warnings.warn in the learner's env did not show"
    assert any("MultiAgentEnvRunner pid=" in line for line in lines), (
        "the warning did not come through from the remote env runner:\n" + "\n".join(lines)
    )


@pytest.mark.ray
def test_learner_exception_on_remote_runner_still_shows(learner_run):
    assert "LEARNER-ENV-BOOM" in learner_run, (
        "an exception raised in the learner's env on a remote env runner did not show:\n"
        + learner_run[-4000:]
    )


# --- (c): course code must not call deprecated APIs ------------------------------------

COURSE_PATHS_SCRIPT = r"""
import json, logging, sys, tempfile, traceback, warnings

from handson_rl.training.quiet import quiet_ray

quiet_ray()  # as the notebooks do; the recorder below sees past its filters
import numpy as np
import ray
import ray._common.deprecation
import ray.util
import ray.util.debug

# RLlib logs each deprecation once per process (log_once): see every occurrence, so
# an RLlib-internal use cannot hide a later use by course code.
for _module in (ray._common.deprecation, ray.util, ray.util.debug):
    _module.log_once = lambda key: True
EVENTS = []


def _stack():
    return [[f.filename, f.lineno, f.name] for f in traceback.extract_stack()[:-2]]


class Recorder(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        if "DeprecationWarning" in message or "deprecated" in message.lower():
            key = (id(record), message)
            if key not in SEEN:
                SEEN.add(key)
                EVENTS.append({"kind": "log", "message": message[:400], "stack": _stack()})


SEEN = set()
recorder = Recorder()
for name in ("", "ray", "ray.rllib", "ray.tune", "ray._common.deprecation"):
    logging.getLogger(name).addHandler(recorder)


def showwarning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning)):
        EVENTS.append({
            "kind": "warning", "category": category.__name__, "message": str(message)[:400],
            "filename": filename, "lineno": lineno, "stack": _stack(),
        })


start_ray(num_cpus=1, include_dashboard=False)
with warnings.catch_warnings():
    warnings.simplefilter("always")
    warnings.showwarning = showwarning

    # Self-check of the recorder: course-like code (a file under handson_rl/)
    # calling a deprecated RLlib option must be recorded and blamed.
    selftest = compile(
        "from ray.rllib.algorithms.ppo import PPOConfig\n"
        "def use_old_name():\n"
        "    return PPOConfig().training(num_sgd_iter=2)\n",
        "/fake/src/handson_rl/_selftest.py", "exec",
    )
    namespace = {}
    exec(selftest, namespace)
    namespace["use_old_name"]()
    print("=== SELFTEST DONE", flush=True)
    EVENTS.append({"kind": "marker", "message": "SELFTEST DONE", "stack": []})

    from handson_rl.training import checkpoints, config as training, policies
    from handson_rl.arena.rollout import RandomPolicy
    from handson_rl.training.loop import train

    config = training.arena_ppo_config(
        seed=0, num_env_runners=0, num_envs_per_env_runner=2,
        train_batch_size=200, minibatch_size=200, num_epochs=1,
    )
    algo = config.build_algo()
    history = train(algo, 1, "deprecation check")
    path = algo.save_to_path(tempfile.mkdtemp(prefix="quiet_test_"))
    checkpoints.describe(path)
    restored = checkpoints.load_algorithm(path)
    restored.stop()
    module = checkpoints.load_module(path, "p1")
    policies.action_probabilities(module, np.array([0, 99]))
    policies.ModulePolicy(module, seed=0).act(np.array([0, 99]))
    RandomPolicy(algo.get_module("p1").action_space, seed=0).act(np.array([0, 99]))
    algo.stop()

ray.shutdown()
print("=== EVENTS " + json.dumps(EVENTS), flush=True)
"""

#: Frames that only deliver a warning, never cause one.
MACHINERY = ("/ray/_common/deprecation.py", "/logging/__init__.py", "/warnings.py", "<string>")


def blamed_on_course(event: dict) -> bool:
    """True when course code (a file in handson_rl/) called the deprecated thing.

    That is: the innermost ``handson_rl`` frame is at most two library frames
    (e.g. ``PPOConfig.training`` -> ``AlgorithmConfig.training``) away from where
    the deprecation was raised or logged. RLlib's internal deprecations are raised
    many frames deep inside Ray (``build_algo`` -> ... -> ``RLModule.__init__``).
    """
    frames = [f for f in event["stack"] if not any(m in f[0] for m in MACHINERY)]
    if event["kind"] == "warning" and "/handson_rl/" in event.get("filename", ""):
        return True
    for depth, (filename, _, _) in enumerate(reversed(frames)):
        if "/handson_rl/" in filename:
            return depth <= 2
    return False


@pytest.fixture(scope="module")
def course_events(scripts):
    proc = scripts["course"]
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"the course paths failed (exit {proc.returncode}):\n{out[-5000:]}"
    line = next(x for x in proc.stdout.splitlines() if x.startswith("=== EVENTS "))
    events = json.loads(line[len("=== EVENTS ") :])
    marker = next(i for i, e in enumerate(events) if e["kind"] == "marker")
    return events[:marker], events[marker + 1 :]


@pytest.mark.ray
def test_the_deprecation_check_catches_course_code(course_events):
    selftest, _ = course_events
    caught = [e for e in selftest if "num_sgd_iter" in e["message"]]
    assert caught, f"the recorder missed a logged RLlib deprecation: {selftest}"
    assert all(blamed_on_course(e) for e in caught)


@pytest.mark.ray
def test_course_code_calls_no_deprecated_api(course_events):
    _, events = course_events
    blamed = [e for e in events if blamed_on_course(e)]
    report = "\n\n".join(
        e["message"]
        + "\n  called from "
        + " <- ".join(f"{Path(f).name}:{n} {fn}" for f, n, fn in reversed(e["stack"][-6:]))
        for e in blamed
    )
    assert not blamed, "course code triggers deprecation warnings:\n" + report


#: Deprecations RLlib 2.60 triggers inside itself on the course's paths (beyond
#: quiet.NOISE_PATTERNS). A Ray upgrade that adds one fails the test below: review
#: it (is it noise a learner will see? then add it to NOISE_PATTERNS) and list it.
KNOWN_INTERNAL_DEPRECATIONS = ("RLModuleConfig",)


@pytest.mark.ray
def test_rllib_internal_deprecations_are_only_known_ones(course_events):
    """RLlib's own deprecations are allowed, but the list is reviewed when it grows."""
    _, events = course_events
    internal = {e["message"][:80] for e in events if not blamed_on_course(e)}
    unknown = {
        m
        for m in internal
        if not is_noise(m) and not any(known in m for known in KNOWN_INTERNAL_DEPRECATIONS)
    }
    assert not unknown, (
        "RLlib-internal deprecations neither in quiet.NOISE_PATTERNS nor in "
        "KNOWN_INTERNAL_DEPRECATIONS:\n  " + "\n  ".join(sorted(unknown))
    )


# --- tensorboardX's NaN warning (chapter 7) and ray_output_to_file (chapter 11) ---------


def test_tensorboardx_nan_warning_is_hidden_where_it_is_made(caplog):
    # tensorboardX.x2num has no handler: its records reach Python's last-resort
    # handler, which no handler filter covers, so the filter sits on that logger
    # and the record is never passed on (caplog, on the root, does not get it).
    from handson_rl.training.quiet import quiet_ray

    quiet_ray()
    x2num = logging.getLogger("tensorboardX.x2num")
    with caplog.at_level(logging.WARNING):
        x2num.warning("NaN or Inf found in input tensor.")
        x2num.warning("LEARNER-VISIBLE tensorboardX warning")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["LEARNER-VISIBLE tensorboardX warning"]


def test_ray_output_to_file_catches_all_three_kinds_and_restores_them(tmp_path, capfd):
    import ray._private.worker as ray_worker

    from handson_rl.training.quiet import quiet_ray, ray_output_to_file

    quiet_ray()
    rllib = logging.getLogger("ray.rllib.utils.actor_manager")
    path = tmp_path / "out" / "ray.log"
    with ray_output_to_file(path, settle=0) as log:
        rllib.error("Ray error (...), taking actor 2 out of service.")
        logging.getLogger("ray.tune").warning("a Tune warning")
        os.write(2, b"[C++] core_worker.cc:2465: max_restarts > 0\n")  # what C++ writes
        ray_worker.print_to_stdstream(
            {"lines": ["A worker died or was killed"], "pid": "raylet", "is_err": False},
            ignore_prefix=False,
        )
    out, err = capfd.readouterr()
    assert "taking actor" not in err + out and "core_worker" not in err + out
    assert "A worker died" not in err + out and "Tune warning" not in err + out
    assert log.path == path and str(log).startswith("4 lines of Ray's messages")
    assert log.count(r"taking actor \d+ out of service") == 1
    assert log.matches("core_worker") == ["[C++] core_worker.cc:2465: max_restarts > 0"]
    assert log.count(r"^\(raylet\) A worker died") == 1 and log.count("a Tune warning") == 1

    # Afterwards everything prints again, and an error in the block is not swallowed.
    def restored():
        loggers = [logging.getLogger(n) for n in ("ray", "ray.rllib", "ray.tune", "")]
        handlers = [h for lg in loggers for h in lg.handlers]
        assert not any(type(f).__name__ == "_Divert" for h in handlers for f in h.filters)
        assert not any(type(h).__name__ == "_ToFile" for h in handlers)
        assert ray_worker.print_to_stdstream.__name__ == "print_to_stdstream"
        os.write(2, b"fd2 after the block\n")
        assert "fd2 after the block" in capfd.readouterr().err

    restored()
    with pytest.raises(ZeroDivisionError):
        with ray_output_to_file(tmp_path / "again.log", settle=0):
            _ = 1 / 0
    restored()


def test_ray_output_to_file_can_leave_worker_lines_on_the_page(tmp_path, capfd):
    import ray._private.worker as ray_worker

    from handson_rl.training.quiet import quiet_ray, ray_output_to_file

    quiet_ray()
    saved = ray_worker.print_to_stdstream
    with ray_output_to_file(tmp_path / "stop.log", workers=False) as log:
        logging.getLogger("ray.rllib").error("Failed to stop workers!")
        assert ray_worker.print_to_stdstream is saved  # worker lines still print
        os.write(2, b"fd2 stays on the page\n")
    assert log.count("Failed to stop workers!") == 1 and log.count("fd2") == 0
    assert "fd2 stays on the page" in capfd.readouterr().err
