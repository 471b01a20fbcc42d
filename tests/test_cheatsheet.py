"""docs/old_api_cheatsheet.md says the truth about the installed Ray.

The cheat sheet's table maps each 2021 (old API stack) name to its Ray 2.60
replacement and says, in bold, what the old code does today (Gone, Raises, Warns,
Alias, Legacy). Each row names a check (last column); :data:`CHECKS` holds one
function per check, which asserts that the new name works and that the old one
behaves as the row says, and returns that behaviour. The test parses the table,
so the document and the checks cannot drift apart.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHEATSHEET = ROOT / "docs" / "old_api_cheatsheet.md"
STATUSES = {"Gone", "Raises", "Warns", "Alias", "Legacy"}


def parse_table(text: str) -> list[dict]:
    """The rows of the cheat sheet's table: old, new, status word, status text, key."""
    rows = []
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("|") and "Check" in line:
            break
    else:
        raise AssertionError("the cheat sheet has no table with a 'Check' column")
    next(lines)  # |---|---|
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"expected 4 cells, got {len(cells)}: {line}"
        old, new, status, key = cells
        m = re.match(r"\*\*(\w+)\*\*", status)
        assert m, f"status cell must start with a bold word: {status!r}"
        rows.append(
            {"old": old, "new": new, "status": m.group(1), "text": status, "key": key.strip("`")}
        )
    return rows


ROWS = parse_table(CHEATSHEET.read_text())


@contextmanager
def logged_deprecations():
    """Collect RLlib's logged DeprecationWarnings (it logs them instead of warning)."""
    records: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record):
            msg = record.getMessage()
            if "DeprecationWarning" in msg and msg not in records:
                records.append(msg)

    handler = Grab()
    loggers = [logging.getLogger(n) for n in ("", "ray", "ray.rllib", "ray._common.deprecation")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield records
    finally:
        for lg in loggers:
            lg.removeHandler(handler)


def raises(exc, fn, match=None):
    with pytest.raises(exc, match=match):
        fn()


# --- one check per row -------------------------------------------------------------


def check_agents(request):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("ray.rllib.agents")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("ray.rllib.agents.ppo")
    from ray.rllib.algorithms.ppo import PPO, PPOConfig  # noqa: F401

    return "Gone"


def check_trainer(request):
    import ray.rllib.algorithms as algorithms
    import ray.rllib.algorithms.ppo as ppo
    from ray.rllib.algorithms.ppo import PPOConfig

    assert not hasattr(ppo, "PPOTrainer") and not hasattr(algorithms, "PPOTrainer")
    assert callable(PPOConfig.build_algo)
    # config.build() is a deprecated wrapper that points to build_algo.
    assert "build_algo" in inspect.getsource(PPOConfig.build)
    assert "Deprecated" in inspect.getsource(PPOConfig.build)
    return "Gone"


def check_gym(request):
    assert importlib.util.find_spec("gym") is None, "`gym` is installed in the course's venv"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("gym")
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    assert len(env.reset(seed=0)) == 2  # (obs, info)
    assert len(env.step(env.action_space.sample())) == 5  # obs, r, terminated, truncated, info
    env.close()
    return "Gone"


def check_config_dict(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    old = PPOConfig.from_dict({"num_workers": 3, "multiagent": {"policies": {"p1", "p2"}}})
    assert old.num_env_runners == 3
    assert set(old.policies) == {"p1", "p2"}
    new = (
        PPOConfig()
        .env_runners(num_env_runners=3)
        .multi_agent(policies={"p1", "p2"}, policy_mapping_fn=lambda a, e, **kw: "p1")
    )
    assert new.num_env_runners == 3 and set(new.policies) == {"p1", "p2"}
    raises(TypeError, lambda: PPOConfig().training(lrr=1e-3))  # a typo fails loudly
    return "Legacy"


def check_mapping_fn(request):
    from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

    new = MultiAgentEpisode(agent_to_module_mapping_fn=lambda agent_id, episode, **kw: "p1")
    assert new.module_for("agent1") == "p1"
    old = MultiAgentEpisode(agent_to_module_mapping_fn=lambda agent_id: "p1")
    raises(TypeError, lambda: old.module_for("agent1"))
    return "Raises"


def check_num_workers(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    assert PPOConfig().env_runners(num_env_runners=2).num_env_runners == 2
    raises(ValueError, lambda: PPOConfig().env_runners(num_rollout_workers=2), "num_env_runners")
    raises(ValueError, lambda: PPOConfig().rollouts(num_rollout_workers=2))
    return "Raises"


def check_num_envs_per_worker(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    assert PPOConfig().env_runners(num_envs_per_env_runner=8).num_envs_per_env_runner == 8
    raises(
        ValueError,
        lambda: PPOConfig().env_runners(num_envs_per_worker=8),
        "num_envs_per_env_runner",
    )
    return "Raises"


def check_num_sgd_iter(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    assert PPOConfig().training(num_epochs=7).num_epochs == 7
    with logged_deprecations() as records:
        config = PPOConfig().training(num_sgd_iter=7)
    assert config.num_epochs == 7
    assert any("num_sgd_iter" in r for r in records), records
    return "Warns"


def check_sgd_minibatch_size(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    assert PPOConfig().training(minibatch_size=128).minibatch_size == 128
    raises(TypeError, lambda: PPOConfig().training(sgd_minibatch_size=128))
    return "Raises"


def check_tune_run(request):
    from ray import tune
    from ray.tune import ResultGrid

    assert callable(tune.run)
    assert callable(tune.Tuner.fit) and tune.RunConfig
    assert inspect.signature(tune.Tuner.fit).return_annotation in (ResultGrid, "ResultGrid")
    return "Legacy"


def check_callbacks(request):
    from ray.rllib.algorithms.callbacks import DefaultCallbacks
    from ray.rllib.callbacks.callbacks import RLlibCallback

    assert DefaultCallbacks is RLlibCallback
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("ray.rllib.agents.callbacks")
    # What a real training run passes to on_episode_end (see the `algo` fixture).
    request.getfixturevalue("trained_result")
    passed = {name for name, was_set in SPIED_KWARGS.items() if was_set}
    assert {"episode", "env_runner", "metrics_logger", "env", "rl_module"} <= passed, passed
    assert not {"worker", "base_env", "policies"} & passed, passed
    return "Alias"


def check_user_data(request):
    from ray.rllib.env.multi_agent_episode import MultiAgentEpisode

    episode = MultiAgentEpisode()
    episode.custom_data["visited"] = 3
    assert episode.custom_data == {"visited": 3}
    raises(AttributeError, lambda: episode.user_data)
    return "Gone"


def check_custom_model(request):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.rl_module import RLModule, RLModuleSpec

    spec = RLModuleSpec(module_class=RLModule)
    PPOConfig().rl_module(rl_module_spec=spec)
    PPOConfig().rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[64, 64]))
    old = PPOConfig().environment("CartPole-v1").training(model={"custom_model": "my_net"})
    raises(ValueError, old.validate, "custom_model")
    return "Raises"


def check_compute_action(request):
    from ray.rllib.algorithms.algorithm import Algorithm
    from ray.rllib.core.rl_module.rl_module import RLModule

    assert not hasattr(Algorithm, "compute_action")
    assert callable(Algorithm.get_module) and callable(RLModule.forward_inference)
    source = inspect.getsource(Algorithm.compute_single_action)
    assert "@OldAPIStack" in source and "Deprecated" in source
    return "Gone"


def check_save_restore(request):
    from ray.rllib.algorithms.algorithm import Algorithm

    algo = request.getfixturevalue("algo")
    path = algo.save_to_path(tempfile.mkdtemp(prefix="cheatsheet_"))
    assert Path(path, "rllib_checkpoint.json").exists()
    algo.restore_from_path(path)
    restored = Algorithm.from_checkpoint(path)
    try:
        assert set(restored.config.policies) == {"p1", "p2"}
    finally:
        restored.stop()
    old = algo.save()  # Tune's Trainable API: a TrainingResult, not a path
    assert not isinstance(old, (str, Path)) and hasattr(old, "checkpoint")
    algo.restore(old)
    return "Legacy"


def check_episode_reward_mean(request):
    result = request.getfixturevalue("trained_result")
    assert "episode_return_mean" in result["env_runners"]
    assert "agent_episode_returns_mean" in result["env_runners"]
    assert "episode_reward_mean" not in result
    assert "episode_reward_mean" not in result["env_runners"]
    return "Gone"


CHECKS = {
    "agents": check_agents,
    "trainer": check_trainer,
    "gym": check_gym,
    "config-dict": check_config_dict,
    "mapping-fn": check_mapping_fn,
    "num-workers": check_num_workers,
    "num-envs-per-worker": check_num_envs_per_worker,
    "num-sgd-iter": check_num_sgd_iter,
    "sgd-minibatch-size": check_sgd_minibatch_size,
    "tune-run": check_tune_run,
    "callbacks": check_callbacks,
    "user-data": check_user_data,
    "custom-model": check_custom_model,
    "compute-action": check_compute_action,
    "save-restore": check_save_restore,
    "episode-reward-mean": check_episode_reward_mean,
}


# --- a small trained algorithm, for the rows that need one ------------------------

#: The keyword arguments RLlib passed to KwargsSpy's on_episode_end (name: not None?).
SPIED_KWARGS: dict = {}


def _kwargs_spy():
    from ray.rllib.callbacks.callbacks import RLlibCallback

    class KwargsSpy(RLlibCallback):
        def on_episode_end(self, **kwargs):
            # Only names and whether they were set: the config (and so this
            # class) is pickled into every checkpoint.
            SPIED_KWARGS.update({name: value is not None for name, value in kwargs.items()})

    return KwargsSpy


@pytest.fixture(scope="module")
def algo(ray_session):
    from handson_rl.training.config import arena_ppo_config

    config = arena_ppo_config(
        seed=0,
        num_env_runners=0,
        num_envs_per_env_runner=1,
        train_batch_size=200,
        minibatch_size=200,
        num_epochs=1,
    ).callbacks(_kwargs_spy())  # num_env_runners=0: it runs in this process
    algorithm = config.build_algo()
    try:
        yield algorithm
    finally:
        algorithm.stop()


@pytest.fixture(scope="module")
def trained_result(algo):
    return algo.train()


# --- the tests ---------------------------------------------------------------------


def test_every_row_has_a_check_and_every_check_a_row():
    keys = [row["key"] for row in ROWS]
    assert len(keys) == len(set(keys)), f"duplicate check keys: {keys}"
    assert set(keys) == set(CHECKS), (
        f"rows without a check: {sorted(set(keys) - set(CHECKS))}; "
        f"checks without a row: {sorted(set(CHECKS) - set(keys))}"
    )
    assert {row["status"] for row in ROWS} <= STATUSES


def test_the_table_covers_the_2021_course():
    old = " ".join(row["old"] for row in ROWS)
    new = " ".join(row["new"] for row in ROWS)
    for name in (
        "PPOTrainer", "ray.rllib.agents", "import gym", '"multiagent"', '"num_workers"',
        '"num_sgd_iter"', '"sgd_minibatch_size"', "tune.run", "DefaultCallbacks",
        "user_data", "custom_model", "ModelV2", "compute_action", "trainer.save()",
        "trainer.restore", "episode_reward_mean",
    ):
        assert name in old, f"the cheat sheet does not translate {name}"
    for name in (
        "build_algo()", "ray.rllib.algorithms.ppo", "gymnasium", ".multi_agent(",
        "policy_mapping_fn=lambda agent_id, episode, **kwargs", "num_env_runners",
        "num_epochs", "minibatch_size", "tune.Tuner(", ".fit()", "RLlibCallback",
        "custom_data", "RLModule", "RLModuleSpec", "forward_inference", "get_module",
        "save_to_path", "Algorithm.from_checkpoint", "restore_from_path",
        '["env_runners"]["episode_return_mean"]',
    ):
        assert name in new, f"the cheat sheet does not mention {name}"


def _row_param(row):
    """A row whose check trains (it asks for the ``algo`` fixture) needs Ray."""
    check = CHECKS.get(row["key"])
    trains = check is not None and "getfixturevalue" in inspect.getsource(check)
    return pytest.param(row, id=row["key"], marks=[pytest.mark.ray] if trains else [])


@pytest.mark.parametrize("row", [_row_param(row) for row in ROWS])
def test_row(row, request):
    check = CHECKS.get(row["key"])
    assert check is not None, f"no check for row {row['key']!r}"
    found = check(request)
    assert found == row["status"], (
        f"The cheat sheet says {row['old']} is **{row['status']}** on this Ray, "
        f"but the check found **{found}**: update the row."
    )


def test_the_cheatsheet_is_linked():
    readme = (ROOT / "README.md").read_text()
    assert "docs/old_api_cheatsheet.md" in readme
    lesson = (ROOT / "lessons" / "03_training_ppo.py").read_text()
    assert "old_api_cheatsheet.md" in lesson
