"""Facts about Ray 2.60 that the chapters state, checked against the installed Ray.

Each test names the chapter whose prose relies on it. They build no algorithm and
start no Ray cluster (the token tests run ``ray`` CLI calls in a throw-away home
folder), so they belong to the fast tier.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from fresh_python import run_python

ROOT = Path(__file__).resolve().parents[1]


# --- chapter 3 --------------------------------------------------------------------------


def test_ppo_has_an_adaptive_kl_penalty_by_default():
    import torch
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner

    config = PPOConfig()
    assert (config.use_kl_loss, config.kl_coeff, config.kl_target) == (True, 0.2, 0.01)
    loss = inspect.getsource(PPOTorchLearner.compute_loss_for_module)
    assert "if config.use_kl_loss:" in loss
    assert "total_loss += self.curr_kl_coeffs_per_module[module_id] * mean_kl_loss" in loss
    assert "LEARNER_RESULTS_KL_KEY: mean_kl_loss" in loss  # reported as mean_kl_loss
    # The adaptation chapter 3 states: x1.5 above twice the target, x0.5 below half.
    logged = {}
    learner = SimpleNamespace(
        curr_kl_coeffs_per_module={"p1": torch.tensor(0.2)},
        metrics=SimpleNamespace(log_value=lambda key, value, **kw: logged.update({key: value})),
    )
    target = SimpleNamespace(kl_target=0.01)
    for kl, expected in ((0.03, 0.3), (0.015, 0.3), (0.004, 0.15)):
        PPOTorchLearner._update_module_kl_coeff(learner, module_id="p1", config=target, kl_loss=kl)
        assert logged[("p1", "curr_kl_coeff")] == pytest.approx(expected)


def test_an_env_class_travels_with_the_config_and_each_runner_registers_it():
    import cloudpickle
    from ray.rllib.env.multi_agent_env_runner import MultiAgentEnvRunner

    from handson_rl.arena import MultiAgentArena
    from handson_rl.training.config import arena_ppo_config

    config = arena_ppo_config()
    assert config.env is MultiAgentArena  # the class, no name
    assert cloudpickle.loads(cloudpickle.dumps(config)).env is MultiAgentArena
    make_env = inspect.getsource(MultiAgentEnvRunner.make_env)
    assert "`gym.register` has to be called on each worker" in make_env
    assert 'gym.register(\n            "rllib-multi-agent-env-v0"' in make_env


def test_the_course_batch_is_per_learner_and_the_plain_one_total():
    from ray.rllib.algorithms.ppo import PPOConfig

    from handson_rl.training.config import arena_ppo_config

    course, plain = arena_ppo_config(), PPOConfig().training(train_batch_size=2000)
    assert course._train_batch_size_per_learner == 2000 and course.num_learners == 0
    assert course.total_train_batch_size == plain.total_train_batch_size == 2000
    course.learners(num_learners=2)
    plain.learners(num_learners=2)
    assert (course.total_train_batch_size, plain.total_train_batch_size) == (4000, 2000)


# --- chapter 5 and 9 --------------------------------------------------------------------


def _default_ppo_module(model_config):
    import gymnasium as gym
    from ray.rllib.algorithms.ppo.ppo_catalog import PPOCatalog
    from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import DefaultPPOTorchRLModule
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    return RLModuleSpec(
        module_class=DefaultPPOTorchRLModule,
        catalog_class=PPOCatalog,
        observation_space=gym.spaces.Box(0.0, 1.0, (200,), np.float32),
        action_space=gym.spaces.Discrete(4),
        model_config=model_config,
    ).build()


def test_forward_train_returns_no_values_compute_values_does():
    import torch
    from ray.rllib.connectors.learner import general_advantage_estimation
    from ray.rllib.core.columns import Columns

    module = _default_ppo_module({"fcnet_hiddens": [64, 64], "vf_share_layers": False})
    batch = {Columns.OBS: torch.rand(5, 200)}
    with torch.no_grad():
        out = module.forward_train(batch)
        values = module.compute_values(batch, embeddings=out[Columns.EMBEDDINGS])
        again = module.compute_values(batch)
    assert set(out) == {Columns.ACTION_DIST_INPUTS, Columns.EMBEDDINGS}
    assert tuple(values.shape) == (5,) and torch.allclose(values, again)
    # The learner calls compute_values: for the advantages, and in the loss.
    assert "module.compute_values(batch[mid])" in inspect.getsource(general_advantage_estimation)


def test_default_model_config_shares_the_encoder_unless_told_not_to():
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    assert DefaultModelConfig().vf_share_layers is True
    shared = _default_ppo_module(dataclasses.asdict(DefaultModelConfig(fcnet_hiddens=[128] * 3)))
    separate = _default_ppo_module(
        dataclasses.asdict(DefaultModelConfig(fcnet_hiddens=[128] * 3, vf_share_layers=False))
    )
    assert hasattr(shared.encoder, "encoder") and not hasattr(shared.encoder, "actor_encoder")
    assert hasattr(separate.encoder, "actor_encoder") and hasattr(
        separate.encoder, "critic_encoder"
    )


def test_ppo_standardises_the_advantages():
    # Chapter 9: the policy loss's size says little about its gradient.
    from ray.rllib.connectors.learner import general_advantage_estimation

    source = inspect.getsource(general_advantage_estimation)
    assert "module_advantages = (module_advantages - module_advantages.mean()) / max(" in source


# --- chapter 8 --------------------------------------------------------------------------


def test_agent1s_return_counts_a_collision_instead_of_a_new_cell():
    from handson_rl.arena import MultiAgentArena

    env = MultiAgentArena()
    rng = np.random.default_rng(0)
    saw_both = 0
    for episode in range(200):
        env.reset(seed=episode)
        new = collisions = both = 0
        done = False
        while not done:
            _, _, _, truncated, infos = env.step(
                {"agent1": int(rng.integers(4)), "agent2": int(rng.integers(4))}
            )
            new += infos["agent1"]["new_field"]
            collisions += infos["agent1"]["collision"]
            both += infos["agent1"]["new_field"] and infos["agent1"]["collision"]
            done = truncated["__all__"]
        assert env.returns["agent1"] == pytest.approx(
            1.5 * new - 0.5 * collisions - 50 - 1.5 * both
        )
        saw_both += both
    assert saw_both > 0  # the case the correction is for does happen


# --- chapter 10 -------------------------------------------------------------------------


def _in_fresh_home(home: Path, code: str, **env) -> subprocess.CompletedProcess:
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), **env}
    return run_python(code, env=environment, timeout=180)


def test_ray_start_uses_a_token_but_never_makes_one(tmp_path):
    from ray.scripts import scripts

    start = inspect.getsource(scripts.start.callback)  # `ray start`
    head, rest = start.split("maybe_enable_token_auth_if_token_available()", 1)
    assert "if head:" in head  # the call sits in the head node's branch ...
    assert (
        rest.count("ensure_token_if_auth_enabled(system_config, create_token_if_missing=False)")
        == 2
    )
    assert "maybe_enable_token_auth_if_token_available" not in rest  # ... and only there

    check = """
        from ray._private.authentication.authentication_token_setup import (
            ensure_token_if_auth_enabled, maybe_enable_token_auth_if_token_available)
        print("enabled:", maybe_enable_token_auth_if_token_available(warn_if_disabled=False))
        try:
            ensure_token_if_auth_enabled(None, create_token_if_missing=False)
            print("start: ok")
        except Exception as error:
            print("start: refused,", type(error).__name__)
    """
    # A fresh machine: no token. Mode unset -> authentication off; mode token -> refused.
    assert "enabled: False" in _in_fresh_home(tmp_path, check).stdout
    refused = _in_fresh_home(tmp_path, check, RAY_AUTH_MODE="token").stdout
    assert "start: refused, AuthenticationError" in refused, refused
    # `ray get-auth-token --generate` writes the token (and prints it); then the head turns it on.
    from handson_rl.tools.cluster import ensure_auth_token

    ensure_auth_token(env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    token_file = tmp_path / ".ray" / "auth_token"
    token = token_file.read_text()
    assert len(token) >= 16
    ensure_auth_token(env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    assert token_file.read_text() == token  # an existing token is left alone
    assert "enabled: True" in _in_fresh_home(tmp_path, check).stdout
    assert "start: ok" in _in_fresh_home(tmp_path, check, RAY_AUTH_MODE="token").stdout


def test_a_local_storage_path_fails_a_worker_nodes_first_checkpoint(tmp_path):
    from ray.train._internal.storage import StorageContext
    from ray.tune import Checkpoint

    storage = StorageContext(storage_path=str(tmp_path / "results"), experiment_dir_name="exp")
    storage.trial_dir_name = "trial"
    storage.current_checkpoint_index = 0
    # What a worker node sees of the head's local folder: not the marker file Tune
    # wrote there when the experiment started.
    for marker in (tmp_path / "results" / "exp").glob(".validate_storage_marker*"):
        marker.unlink()
    local = tmp_path / "checkpoint"
    local.mkdir()
    (local / "weights").write_text("...")
    with pytest.raises(
        RuntimeError, match="A local path on the head node is not accessible by worker nodes"
    ):
        storage.persist_current_checkpoint(Checkpoint.from_directory(str(local)))


# --- chapter 11 -------------------------------------------------------------------------


@pytest.mark.parametrize("restart_sub_envs", [True, False])
def test_step_failed_recreate_env_error_is_quiet_only_with_sub_environment_restarts(
    restart_sub_envs, caplog
):
    from ray.rllib.env.env_runner import ENV_STEP_FAILURE, EnvRunner, StepFailedRecreateEnvError
    from ray.rllib.utils.metrics.metrics_logger import MetricsLogger

    class Env:
        def step(self, actions):
            raise StepFailedRecreateEnvError("the simulator went away")

    recreated = []
    runner = SimpleNamespace(
        env=Env(),
        metrics=MetricsLogger(),
        config=SimpleNamespace(restart_failed_sub_environments=restart_sub_envs),
        make_env=lambda: recreated.append(True),
        _log_env_steps=lambda **kwargs: None,
    )
    with caplog.at_level(logging.ERROR, logger="ray.rllib"):
        if restart_sub_envs:
            assert EnvRunner._try_env_step(runner, {}) == ENV_STEP_FAILURE
        else:
            with pytest.raises(RuntimeError) as raised:
                EnvRunner._try_env_step(runner, {})
            assert isinstance(raised.value.__cause__, StepFailedRecreateEnvError)
    logged = [r for r in caplog.records if "Environment step failed" in r.getMessage()]
    assert (len(logged), len(recreated)) == ((0, 1) if restart_sub_envs else (1, 0))
