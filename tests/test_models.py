"""The course's custom RLModule: shapes, values, errors, and PPO building and training with it."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.rl_module import RLModuleSpec

from handson_rl.training.config import arena_ppo_config
from handson_rl.training.models import (
    DEFAULT_MODEL_CONFIG,
    ArenaPolicyValueModule,
    arena_module_spec,
    count_parameters,
)

OBS_SPACE = gym.spaces.Box(0.0, 1.0, (200,), np.float32)
ACT_SPACE = gym.spaces.Discrete(4)


def _module(**model_config):
    return RLModuleSpec(
        module_class=ArenaPolicyValueModule,
        observation_space=OBS_SPACE,
        action_space=ACT_SPACE,
        model_config=model_config,
    ).build()


def _one_hot_batch(n=5, seed=0):
    rng = np.random.default_rng(seed)
    obs = torch.zeros(n, 200)
    obs[torch.arange(n), torch.as_tensor(rng.integers(0, 100, n))] = 1.0
    obs[torch.arange(n), torch.as_tensor(100 + rng.integers(0, 100, n))] = 1.0
    return {Columns.OBS: obs}


@pytest.mark.parametrize("shared", [False, True])
def test_forward_passes_have_the_right_shapes(shared):
    module = _module(shared_encoder=shared)
    batch = _one_hot_batch()
    for forward in (module.forward_inference, module.forward_exploration):
        out = forward(batch)
        assert out[Columns.ACTION_DIST_INPUTS].shape == (5, 4)
    train = module.forward_train(batch)
    assert train[Columns.ACTION_DIST_INPUTS].shape == (5, 4)
    assert train[Columns.EMBEDDINGS].shape == (5, 64)
    values = module.compute_values(batch)
    assert values.shape == (5,)
    # Handing the features back gives the same values without running the encoder again.
    torch.testing.assert_close(
        module.compute_values(batch, embeddings=train[Columns.EMBEDDINGS]), values
    )


def test_initial_policy_is_close_to_uniform():
    torch.manual_seed(0)
    logits = _module().forward_inference(_one_hot_batch(50))[Columns.ACTION_DIST_INPUTS]
    probs = torch.softmax(logits, dim=-1)
    assert torch.allclose(probs, torch.full_like(probs, 0.25), atol=0.1)


def test_defaults_are_rllibs_default_network():
    """Separate policy and value encoders of [64, 64] with tanh, one linear layer per
    head: the same layers (and weight count) as RLlib's default PPO module under the
    course config."""
    import dataclasses

    from ray.rllib.algorithms.ppo.ppo_catalog import PPOCatalog
    from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import DefaultPPOTorchRLModule
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    from handson_rl.training.config import COURSE_SETTINGS

    ours = _module()
    assert DEFAULT_MODEL_CONFIG == {
        "hidden_sizes": COURSE_SETTINGS["fcnet_hiddens"],
        "activation": "tanh",
        "shared_encoder": False,
    }
    assert DefaultModelConfig().fcnet_activation == "tanh"
    rllib = RLModuleSpec(
        module_class=DefaultPPOTorchRLModule,
        catalog_class=PPOCatalog,
        observation_space=OBS_SPACE,
        action_space=ACT_SPACE,
        model_config=dataclasses.asdict(
            DefaultModelConfig(
                fcnet_hiddens=COURSE_SETTINGS["fcnet_hiddens"],
                vf_share_layers=COURSE_SETTINGS["vf_share_layers"],
            )
        ),
    ).build()

    def layers(module):
        return [
            (type(m).__name__, getattr(m, "in_features", None), getattr(m, "out_features", None))
            for m in module.modules()
            if isinstance(m, (torch.nn.Linear, torch.nn.Tanh, torch.nn.ReLU))
        ]

    assert sorted(layers(ours)) == sorted(layers(rllib))
    assert count_parameters(ours) == count_parameters(rllib) == 34_373
    assert isinstance(ours.encoder[1], torch.nn.Tanh) and ours.value_encoder is not None


def test_shared_encoder_drops_the_value_encoder():
    shared, separate = _module(shared_encoder=True), _module()
    assert shared.value_encoder is None
    assert count_parameters(separate) - count_parameters(shared) == 200 * 64 + 64 + 64 * 64 + 64
    # The value's gradient now reaches the policy's encoder.
    batch = _one_hot_batch()
    shared.compute_values(batch).sum().backward()
    assert shared.encoder[0].weight.grad.abs().sum() > 0
    separate.compute_values(batch).sum().backward()
    assert separate.encoder[0].weight.grad is None


def test_model_config_sizes_the_network():
    small = _module(hidden_sizes=[32], activation="relu")
    assert [m.out_features for m in small.encoder if isinstance(m, torch.nn.Linear)] == [32]
    assert isinstance(small.encoder[1], torch.nn.ReLU) and isinstance(
        small.value_encoder[1], torch.nn.ReLU
    )
    # 2 x (200*32+32) encoders, 32*4+4 policy head, 32+1 value head.
    assert count_parameters(small) == 2 * (200 * 32 + 32) + 32 * 4 + 4 + 32 + 1
    default = _module()
    assert [
        m.out_features for m in default.encoder if isinstance(m, torch.nn.Linear)
    ] == DEFAULT_MODEL_CONFIG["hidden_sizes"]


@pytest.mark.parametrize(
    "model_config, message",
    [
        ({"hiden_sizes": [64]}, "does not know model_config key"),
        ({"activation": "sigmoidal"}, "Unknown activation"),
        ({"hidden_sizes": []}, "at least one layer"),
        ({"hidden_sizes": [64, 0]}, "positive ints"),
        ({"shared_encoder": "yes"}, "True or False"),
    ],
)
def test_bad_model_config_is_explained(model_config, message):
    with pytest.raises(ValueError, match=message):
        _module(**model_config)


def test_unencoded_observations_are_explained():
    with pytest.raises(ValueError, match="One-hot encode"):
        RLModuleSpec(
            module_class=ArenaPolicyValueModule,
            observation_space=gym.spaces.MultiDiscrete([100, 100]),
            action_space=ACT_SPACE,
        ).build()


def test_module_spec_gives_each_agent_its_own_network():
    spec = arena_module_spec({"p2": {"hidden_sizes": [32]}})
    assert spec.rl_module_specs["p1"].model_config == DEFAULT_MODEL_CONFIG
    assert spec.rl_module_specs["p2"].model_config["hidden_sizes"] == [32]
    with pytest.raises(ValueError, match="Unknown module id"):
        arena_module_spec({"p3": {}})


def test_ppo_builds_and_trains_with_the_custom_module(ray_session):
    config = arena_ppo_config(
        seed=0,
        num_env_runners=0,
        num_envs_per_env_runner=2,
        train_batch_size=200,
        minibatch_size=200,
        num_epochs=1,
    ).rl_module(
        rl_module_spec=arena_module_spec({"p2": {"hidden_sizes": [32], "activation": "tanh"}})
    )
    algo = config.build_algo()
    try:
        p1, p2 = algo.get_module("p1"), algo.get_module("p2")
        assert isinstance(p1, ArenaPolicyValueModule) and isinstance(p2, ArenaPolicyValueModule)
        assert p1.encoder[0].out_features == 64 and p2.encoder[0].out_features == 32
        before = [w.detach().clone() for w in p1.parameters()]
        result = algo.train()
        after = list(algo.get_module("p1").parameters())
    finally:
        algo.stop()
    assert result["env_runners"]["num_episodes"] == 2
    assert any(not torch.equal(b, a.detach()) for b, a in zip(before, after)), (
        "p1's weights did not change"
    )
    learner = result["learners"]["p1"]
    assert np.isfinite(learner["vf_loss"]) and np.isfinite(learner["policy_loss"])
