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
STATUSES = {"Gone", "Raises", "Warns", "Alias", "Legacy", "Ignored"}


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


def warns_and_maps(old_name: str, attr: str, value, *builders) -> None:
    """Each builder (old code) logs a DeprecationWarning naming ``old_name`` and
    still sets the new setting ``attr`` to ``value``."""
    for build in builders:
        with logged_deprecations() as records:
            config = build()
        assert getattr(config, attr) == value
        assert any(old_name in r for r in records), records


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
    from ray.rllib import algorithms
    from ray.rllib.algorithms import ppo
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


def check_framework_tf(request):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner

    assert PPOConfig().framework_str == "torch"
    PPOConfig().environment("CartPole-v1").framework("torch").validate()
    assert PPOConfig().get_default_learner_class() is PPOTorchLearner
    tf_config = PPOConfig().environment("CartPole-v1").framework("tf")
    raises(ValueError, tf_config.validate, "Cannot use `framework=tf` with the new API stack")
    assert importlib.util.find_spec("tensorflow") is None, "TensorFlow is in the course's venv"
    tf2_config = PPOConfig().environment("CartPole-v1").framework("tf2")
    raises(ImportError, tf2_config.validate, "no installation was found")
    for fw in ("tf", "tf2"):
        no_learner = PPOConfig().framework(fw).get_default_learner_class
        raises(ValueError, no_learner, "TensorFlow is no longer supported on the new API stack")
    return "Raises"


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


def check_evaluation_num_workers(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    assert PPOConfig().evaluation(evaluation_num_env_runners=2).evaluation_num_env_runners == 2
    warns_and_maps(
        "evaluation_num_workers",
        "evaluation_num_env_runners",
        2,
        lambda: PPOConfig().evaluation(evaluation_num_workers=2),
        lambda: PPOConfig.from_dict({"evaluation_num_workers": 2}),
    )
    raises(ValueError, lambda: PPOConfig().evaluation_num_workers)
    raises(ValueError, lambda: setattr(PPOConfig(), "evaluation_num_workers", 2))
    return "Warns"


def check_algo_workers(request):
    from ray.rllib.env.env_runner_group import EnvRunnerGroup

    algo = request.getfixturevalue("algo")
    assert algo.env_runner is algo.env_runner_group.local_env_runner
    assert algo.env_runner_group.foreach_env_runner(lambda er: er is algo.env_runner) == [True]
    # @Deprecated wraps a property into a plain function, so `algo.workers` is a
    # method, and calling it fails inside the decorator before its message.
    assert inspect.ismethod(algo.workers)
    raises(AttributeError, lambda: algo.workers.foreach_worker(lambda w: 1), "foreach_worker")
    raises(AttributeError, lambda: algo.workers.local_worker())
    raises(AttributeError, lambda: algo.workers())
    assert not hasattr(EnvRunnerGroup, "foreach_worker")
    raises(AttributeError, lambda: algo.env_runner_group.foreach_worker(lambda w: 1))
    return "Gone"


def check_worker_set(request):
    from ray.rllib.env.env_runner_group import EnvRunnerGroup
    from ray.rllib.evaluation.worker_set import WorkerSet

    assert callable(EnvRunnerGroup.foreach_env_runner)
    raises(ValueError, WorkerSet, "EnvRunnerGroup")
    return "Raises"


def check_rollout_worker(request):
    from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner
    from ray.rllib.env.single_agent_env_runner import SingleAgentEnvRunner
    from ray.rllib.evaluation import RolloutWorker

    assert inspect.getsource(RolloutWorker).startswith("@OldAPIStack")
    assert not issubclass(MultiAgentEnvRunner, RolloutWorker)
    assert not issubclass(SingleAgentEnvRunner, RolloutWorker)
    return "Legacy"


def check_num_sgd_iter(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    assert PPOConfig().training(num_epochs=7).num_epochs == 7
    warns_and_maps("num_sgd_iter", "num_epochs", 7, lambda: PPOConfig().training(num_sgd_iter=7))
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


def check_checkpoint_freq(request):
    from ray import tune

    new = tune.RunConfig(
        checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=10, checkpoint_at_end=True)
    )
    assert new.checkpoint_config.checkpoint_frequency == 10
    assert new.checkpoint_config.checkpoint_at_end is True
    # tune.run translates the old arguments into the CheckpointConfig it is given,
    # before it runs anything. `chdir_to_trial_dir` (removed in Ray 2.11) raises
    # right after that, so nothing runs; TUNE_DISABLE_AUTO_INIT keeps Ray from starting.
    config = tune.CheckpointConfig()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUNE_DISABLE_AUTO_INIT", "1")
        with (
            pytest.warns(DeprecationWarning) as caught,
            pytest.raises(DeprecationWarning, match="chdir_to_trial_dir"),
        ):
            tune.run(
                "PPO",
                checkpoint_freq=10,
                checkpoint_at_end=True,
                checkpoint_config=config,
                chdir_to_trial_dir=False,
            )
    assert config.checkpoint_frequency == 10 and config.checkpoint_at_end is True
    messages = [str(w.message) for w in caught]
    assert any("checkpoint_freq is deprecated" in m for m in messages), messages
    assert any("checkpoint_at_end is deprecated" in m for m in messages), messages
    # A warnings.warn(DeprecationWarning) from inside ray.tune: hidden by Python's
    # default filters, which show DeprecationWarning only for code in __main__.
    assert all(w.filename.endswith(str(Path("ray", "tune", "tune.py"))) for w in caught)
    return "Warns"


def check_best_checkpoint(request):
    from ray import tune
    from ray.tune import Checkpoint, ExperimentAnalysis, Result, ResultGrid

    run = inspect.signature(tune.run)
    assert run.return_annotation in (ExperimentAnalysis, "ExperimentAnalysis")
    old = inspect.signature(ExperimentAnalysis.get_best_checkpoint)
    assert list(old.parameters) == ["self", "trial", "metric", "mode"]
    assert "Checkpoint" in str(old.return_annotation)
    assert list(inspect.signature(ResultGrid.get_best_result).parameters)[1:3] == ["metric", "mode"]
    # A trial's Result: `.checkpoint` is its latest checkpoint, get_best_checkpoint
    # its best by a (nested, "/"-separated) metric.
    metric = "env_runners/episode_return_mean"
    good = Checkpoint.from_directory("/nonexistent/good")
    latest = Checkpoint.from_directory("/nonexistent/latest")
    result = Result(
        metrics={"env_runners": {"episode_return_mean": 1.0}},
        checkpoint=latest,
        error=None,
        path="/nonexistent",
        best_checkpoints=[
            (good, {"env_runners": {"episode_return_mean": 5.0}}),
            (latest, {"env_runners": {"episode_return_mean": 1.0}}),
        ],
    )
    assert result.checkpoint is latest
    assert result.get_best_checkpoint(metric, "max") is good
    assert good.path == "/nonexistent/good"
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


def check_custom_metrics(request):
    from ray.rllib.env.multi_agent_episode import MultiAgentEpisode
    from ray.rllib.env.single_agent_episode import SingleAgentEpisode
    from ray.rllib.utils.metrics.metrics_logger import MetricsLogger

    for episode in (MultiAgentEpisode(), SingleAgentEpisode()):
        for old in ("custom_metrics", "hist_data"):
            assert not hasattr(episode, old), f"{type(episode).__name__}.{old} exists"
    # An env runner's logger (leaf) reduced into the algorithm's (root), two iterations.
    env_runner, algorithm = MetricsLogger(), MetricsLogger(root=True)
    per_iteration = []
    for values in ([1.0, 3.0], [10.0]):
        for v in values:
            env_runner.log_value("x", v, reduce="mean")
            env_runner.log_value("x_window", v, reduce="mean", window=100)
            env_runner.log_value("x_series", v, reduce="item_series")
        algorithm.aggregate([env_runner.reduce()])
        per_iteration.append(algorithm.reduce(compile=True))
    assert [r["x"] for r in per_iteration] == [2.0, 10.0]
    assert [r["x_window"] for r in per_iteration] == [2.0, 10.0]  # not (1 + 3 + 10) / 3
    assert [list(r["x_series"]) for r in per_iteration] == [[1.0, 3.0], [10.0]]
    # Where they land after a real iteration (KwargsSpy logs them).
    result = request.getfixturevalue("trained_result")
    assert result["env_runners"]["cheatsheet_x"] == 2.0
    assert list(result["env_runners"]["cheatsheet_series"])[:1] == [2.0]
    raises(KeyError, lambda: result["custom_metrics"])
    return "Gone"


def check_custom_model(request):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.rl_module import RLModule, RLModuleSpec

    spec = RLModuleSpec(module_class=RLModule)
    PPOConfig().rl_module(rl_module_spec=spec)
    # A dict keeps PPO's separate value network; DefaultModelConfig's own default
    # shares the layers, unless vf_share_layers=False is added.
    as_dict = PPOConfig().rl_module(model_config={"fcnet_hiddens": [64, 64]}).model_config
    assert as_dict["vf_share_layers"] is False and as_dict["fcnet_hiddens"] == [64, 64]
    dataclass = PPOConfig().rl_module(model_config=DefaultModelConfig(fcnet_hiddens=[64, 64]))
    assert dataclass.model_config["vf_share_layers"] is True
    separate = DefaultModelConfig(fcnet_hiddens=[64, 64], vf_share_layers=False)
    assert PPOConfig().rl_module(model_config=separate).model_config["vf_share_layers"] is False
    old = PPOConfig().environment("CartPole-v1").training(model={"custom_model": "my_net"})
    raises(ValueError, old.validate, "custom_model")
    return "Raises"


def check_compute_action(request):
    import torch
    from ray.rllib.algorithms.algorithm import Algorithm

    assert not hasattr(Algorithm, "compute_action")
    source = inspect.getsource(Algorithm.compute_single_action)
    assert "@OldAPIStack" in source and "Deprecated" in source
    # The new way, as the row writes it: logits first, then an action.
    module = request.getfixturevalue("algo").get_module("p1")
    batch = torch.zeros((3, 200))
    batch[:, 0] = batch[:, 100 + 99] = 1.0  # one-hot: agent1 top-left, agent2 bottom-right
    with torch.no_grad():
        logits = module.forward_inference({"obs": batch})["action_dist_inputs"]
    assert tuple(logits.shape) == (3, 4) and logits.dtype == torch.float32  # one logit per action
    dist = module.get_inference_action_dist_cls().from_logits(logits)
    greedy, sampled = dist.to_deterministic().sample(), dist.sample()
    assert torch.equal(greedy, logits.argmax(dim=-1))
    assert sampled.shape == (3,) and set(sampled.tolist()) <= {0, 1, 2, 3}
    return "Gone"


def check_train_batch_size(request):
    from ray.rllib.algorithms.ppo import PPOConfig

    total = PPOConfig().training(train_batch_size=4000)
    per_learner = PPOConfig().training(train_batch_size_per_learner=4000)
    assert total.train_batch_size_per_learner == per_learner.total_train_batch_size == 4000
    total.learners(num_learners=2)
    per_learner.learners(num_learners=2)
    assert (total.train_batch_size_per_learner, total.total_train_batch_size) == (2000, 4000)
    assert (per_learner.train_batch_size_per_learner, per_learner.total_train_batch_size) == (
        4000,
        8000,
    )
    return "Legacy"


def check_num_gpus(request):
    from ray.rllib.algorithms.ppo import PPO, PPOConfig

    def gpus(config):
        bundles = PPO.default_resource_request(config.environment("CartPole-v1")).bundles
        return sum(bundle.get("GPU", 0) for bundle in bundles)

    old = PPOConfig().resources(num_gpus=1)
    assert old.num_gpus == 1 and old.num_gpus_per_learner == 0
    assert gpus(old) == 0  # accepted, and not asked for
    assert gpus(PPOConfig().learners(num_learners=1, num_gpus_per_learner=1)) == 1
    return "Ignored"


def check_preprocessor(request):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.connectors.connector_v2 import ConnectorV2
    from ray.rllib.connectors.env_to_module import FlattenObservations

    from handson_rl.training.config import OneHotObservations

    assert issubclass(OneHotObservations, ConnectorV2) and callable(FlattenObservations)
    PPOConfig().env_runners(
        env_to_module_connector=lambda env, spaces, device: OneHotObservations()
    )
    old = PPOConfig().environment("CartPole-v1").training(model={"custom_preprocessor": "my_prep"})
    raises(ValueError, old.validate, "Custom preprocessors are deprecated")
    return "Raises"


def check_policy_spec(request):
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec
    from ray.rllib.policy.policy import PolicySpec

    assert "@OldAPIStack" in inspect.getsource(PolicySpec).splitlines()[0]
    old = (
        PPOConfig()
        .environment("CartPole-v1")
        .multi_agent(
            policies={"p1": PolicySpec(), "p2": PolicySpec()},
            policy_mapping_fn=lambda agent_id, episode, **kwargs: "p1",
        )
    )
    old.validate()
    assert set(old.policies) == {"p1", "p2"}
    new = PPOConfig().multi_agent(policies=["p1", "p2"], policy_mapping_fn=lambda a, e, **k: "p1")
    new.rl_module(
        rl_module_spec=MultiRLModuleSpec(
            rl_module_specs={"p1": RLModuleSpec(), "p2": RLModuleSpec()}
        ),
        algorithm_config_overrides_per_module={"p1": PPOConfig.overrides(lr=1e-4)},
    )
    assert new.get_config_for_module("p1").lr == 1e-4
    return "Legacy"


def check_timesteps_total(request):
    from types import SimpleNamespace

    from ray.tune.experiment.trial import Trial

    result = request.getfixturevalue("trained_result")
    assert "timesteps_total" not in result
    assert result["num_env_steps_sampled_lifetime"] > 0
    # Tune's stop check: a key missing from the result never stops the trial.
    trial = SimpleNamespace(stopping_criterion={"timesteps_total": 1})
    assert Trial.should_stop(trial, dict(result)) is False
    trial = SimpleNamespace(stopping_criterion={"num_env_steps_sampled_lifetime": 1})
    assert Trial.should_stop(trial, dict(result)) is True
    return "Gone"


def check_learn_on_batch(request):
    from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner
    from ray.rllib.core.learner.learner_group import LearnerGroup
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModule
    from ray.rllib.policy.policy import Policy

    algo = request.getfixturevalue("algo")
    assert isinstance(algo.learner_group, LearnerGroup)
    assert {"batch", "episodes"} <= set(inspect.signature(algo.learner_group.update).parameters)
    assert algo.config.get_default_learner_class() is PPOTorchLearner
    assert isinstance(algo.env_runner.module, MultiRLModule)
    raises(AttributeError, lambda: algo.get_policy("p1"), "get_policy")
    raises(AttributeError, lambda: algo.get_policy(), "get_policy")
    assert "@OldAPIStack" in inspect.getsource(Policy).splitlines()[0]
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
    "evaluation-num-workers": check_evaluation_num_workers,
    "algo-workers": check_algo_workers,
    "worker-set": check_worker_set,
    "rollout-worker": check_rollout_worker,
    "framework-tf": check_framework_tf,
    "checkpoint-freq": check_checkpoint_freq,
    "best-checkpoint": check_best_checkpoint,
    "custom-metrics": check_custom_metrics,
    "learn-on-batch": check_learn_on_batch,
    "train-batch-size": check_train_batch_size,
    "num-gpus": check_num_gpus,
    "preprocessor": check_preprocessor,
    "policy-spec": check_policy_spec,
    "timesteps-total": check_timesteps_total,
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
            # For the custom-metrics row: a 2021 custom metric, the new way.
            kwargs["metrics_logger"].log_value("cheatsheet_x", 2.0, reduce="mean")
            kwargs["metrics_logger"].log_value("cheatsheet_series", 2.0, reduce="item_series")

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
        "PPOTrainer",
        "ray.rllib.agents",
        "import gym",
        '"multiagent"',
        '"num_workers"',
        '"num_sgd_iter"',
        '"sgd_minibatch_size"',
        "tune.run",
        "DefaultCallbacks",
        "user_data",
        "custom_model",
        "ModelV2",
        "compute_action",
        "trainer.save()",
        "trainer.restore",
        "episode_reward_mean",
        "trainer.workers",
        "WorkerSet",
        "RolloutWorker",
        "learn_on_batch",
        "checkpoint_freq",
        "checkpoint_at_end",
        "get_best_checkpoint",
        "custom_metrics",
        "hist_data",
        '"framework"',
        '"evaluation_num_workers"',
        '"train_batch_size"',
        "num_gpus",
        "custom_preprocessor",
        "PolicySpec",
        "timesteps_total",
    ):
        assert name in old, f"the cheat sheet does not translate {name}"
    for name in (
        "build_algo()",
        "ray.rllib.algorithms.ppo",
        "gymnasium",
        ".multi_agent(",
        "policy_mapping_fn=lambda agent_id, episode, **kwargs",
        "num_env_runners",
        "num_epochs",
        "minibatch_size",
        "tune.Tuner(",
        ".fit()",
        "RLlibCallback",
        "custom_data",
        "RLModule",
        "RLModuleSpec",
        "forward_inference",
        "get_module",
        "save_to_path",
        "Algorithm.from_checkpoint",
        "restore_from_path",
        '["env_runners"]["episode_return_mean"]',
        "env_runner_group",
        "foreach_env_runner",
        "algo.env_runner",
        "EnvRunnerGroup",
        "learner_group.update(",
        "CheckpointConfig(",
        "get_best_result(",
        "log_value(",
        '.framework("torch")',
        "evaluation_num_env_runners",
        "train_batch_size_per_learner",
        "num_gpus_per_learner",
        "env_to_module_connector",
        "ConnectorV2",
        "algorithm_config_overrides_per_module",
        "num_env_steps_sampled_lifetime",
        "vf_share_layers=False",
        "to_deterministic()",
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
