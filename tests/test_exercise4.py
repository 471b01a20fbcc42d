"""Exercise 4's checker: accepts a right module, explains each typical mistake.

Wrong answers fail before the checker trains anything (no Ray: the fast tier);
the right answers run the whole check, which trains a tiny PPO (``ray``).
"""

import pytest
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import ValueFunctionAPI
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.core.rl_module.torch import TorchRLModule
from torch import nn

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise4 import check_exercise4
from handson_rl.training.models import ArenaPolicyValueModule, mlp


class RightAnswer(TorchRLModule, ValueFunctionAPI):
    """Separate policy and value networks, three hidden layers of 64 each."""

    def setup(self):
        obs_size, n = self.observation_space.shape[0], self.action_space.n
        self.encoder = mlp(obs_size, [64, 64, 64], "tanh")
        self.policy_head = nn.Linear(64, n)
        self.value_encoder = mlp(obs_size, [64, 64, 64], "tanh")
        self.value_head = nn.Linear(64, 1)

    def _forward(self, batch, **kwargs):
        return {Columns.ACTION_DIST_INPUTS: self.policy_head(self.encoder(batch[Columns.OBS]))}

    def compute_values(self, batch, embeddings=None):
        return self.value_head(self.value_encoder(batch[Columns.OBS])).squeeze(-1)


class WithEmbeddings(RightAnswer):
    """Also right: _forward_train hands the value features to compute_values."""

    def _forward_train(self, batch, **kwargs):
        out = self._forward(batch)
        out[Columns.EMBEDDINGS] = self.value_encoder(batch[Columns.OBS])
        return out

    def compute_values(self, batch, embeddings=None):
        if embeddings is None:
            embeddings = self.value_encoder(batch[Columns.OBS])
        return self.value_head(embeddings).squeeze(-1)


class NoValueAPI(TorchRLModule):
    setup = RightAnswer.setup
    _forward = RightAnswer._forward


class NoComputeValues(TorchRLModule, ValueFunctionAPI):
    setup = RightAnswer.setup
    _forward = RightAnswer._forward


class OverridesForward(RightAnswer):
    _forward = TorchRLModule._forward

    def forward(self, batch, **kwargs):
        return RightAnswer._forward(self, batch)


class StubLeft(RightAnswer):
    def setup(self):
        raise NotImplementedError("Exercise 4: build the layers")


class ReturnsTensor(RightAnswer):
    def _forward(self, batch, **kwargs):
        return self.policy_head(self.encoder(batch[Columns.OBS]))


class ValuesNotSqueezed(RightAnswer):
    def compute_values(self, batch, embeddings=None):
        return self.value_head(self.value_encoder(batch[Columns.OBS]))


class HardCodedSizes(RightAnswer):
    def setup(self):
        self.encoder = mlp(200, [64, 64, 64], "tanh")
        self.policy_head = nn.Linear(64, 4)
        self.value_encoder = mlp(200, [64, 64, 64], "tanh")
        self.value_head = nn.Linear(64, 1)


class SharedEncoder(RightAnswer):
    def compute_values(self, batch, embeddings=None):
        return self.value_head(self.encoder(batch[Columns.OBS])).squeeze(-1)


class TwoLayers(RightAnswer):
    def setup(self):
        obs_size, n = self.observation_space.shape[0], self.action_space.n
        self.encoder = mlp(obs_size, [64, 64], "tanh")
        self.policy_head = nn.Linear(64, n)
        self.value_encoder = mlp(obs_size, [64, 64, 64], "tanh")
        self.value_head = nn.Linear(64, 1)


class NoActivation(RightAnswer):
    def setup(self):
        super().setup()
        obs_size = self.observation_space.shape[0]
        self.encoder = nn.Sequential(nn.Linear(obs_size, 64), nn.Linear(64, 64), nn.Linear(64, 64))


class NaNLogits(RightAnswer):
    def _forward(self, batch, **kwargs):
        out = super()._forward(batch)
        out[Columns.ACTION_DIST_INPUTS] = out[Columns.ACTION_DIST_INPUTS] * float("nan")
        return out


class WrongEmbeddings(RightAnswer):
    """Returns the policy's features as embeddings, and compute_values uses them."""

    def _forward_train(self, batch, **kwargs):
        features = self.encoder(batch[Columns.OBS])
        return {
            Columns.ACTION_DIST_INPUTS: self.policy_head(features),
            Columns.EMBEDDINGS: features,
        }

    def compute_values(self, batch, embeddings=None):
        if embeddings is None:
            embeddings = self.value_encoder(batch[Columns.OBS])
        return self.value_head(embeddings).squeeze(-1)


def _spec():
    return RLModuleSpec(module_class=RightAnswer)


@pytest.mark.parametrize(
    "answer, message",
    [
        (_spec, "pass the module class itself"),
        (lambda: 42, "Pass your module class"),
        (lambda: nn.Linear, "is not an RLModule"),
        (lambda: NoValueAPI, "has no value function"),
        (lambda: NoComputeValues, "does not implement compute_values"),
        (lambda: OverridesForward, "Rename it to _forward"),
        (lambda: StubLeft, "replace the stub in setup"),
        (lambda: ReturnsTensor, "returned a tensor"),
        (lambda: ValuesNotSqueezed, r"squeeze\(-1\)"),
        (lambda: HardCodedSizes, "Read the sizes from the spaces"),
        (lambda: SharedEncoder, "share 3 linear layer"),
        (lambda: TwoLayers, "policy network has 3 linear layer"),
        (lambda: NoActivation, "linear function of its input"),
        (lambda: NaNLogits, "NaN or infinite"),
        (lambda: WrongEmbeddings, "value network's features"),
    ],
)
def test_typical_mistakes_are_explained(answer, message):
    with pytest.raises(ExerciseError, match=message):
        check_exercise4(answer())


def test_an_instance_is_explained():
    import gymnasium as gym
    import numpy as np

    instance = RLModuleSpec(
        module_class=RightAnswer,
        observation_space=gym.spaces.Box(0.0, 1.0, (200,), np.float32),
        action_space=gym.spaces.Discrete(4),
    ).build()
    with pytest.raises(ExerciseError, match="You passed an instance of RightAnswer"):
        check_exercise4(instance)


def test_hidden_sizes_are_a_parameter():
    # The course's own module has [64, 64] by default and separate networks.
    with pytest.raises(ExerciseError, match=r"hidden layers \[64, 64, 64\]"):
        check_exercise4(ArenaPolicyValueModule)


@pytest.mark.parametrize("answer", [RightAnswer, WithEmbeddings])
def test_right_answers_pass(ray_session, answer, capsys):
    summary = check_exercise4(answer)
    assert "Exercise 4 passed" in capsys.readouterr().out
    assert summary["weights"] == 2 * (200 * 64 + 64 + 2 * (64 * 64 + 64)) + 64 * 4 + 4 + 64 + 1
    assert summary["env_steps"] == 800
    assert torch.isfinite(torch.tensor([summary["policy_loss"], summary["vf_loss"]])).all()


def test_course_module_passes_with_its_own_sizes(ray_session):
    check_exercise4(ArenaPolicyValueModule, hidden_sizes=(64, 64))
