"""Exercise 4's checker on the answers learners actually write: each wrong answer
gets a first line that names its mistake (before anything trains: the fast tier),
and a module with the three ``_forward_*`` methods instead of ``_forward`` passes
the whole check, which trains a tiny PPO (``ray``)."""

import numpy as np
import pytest
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import ValueFunctionAPI
from ray.rllib.core.rl_module.torch import TorchRLModule
from torch import nn

from handson_rl.exercises.common import ExerciseError
from handson_rl.exercises.exercise4 import check_exercise4


def _mlp(obs_size, activation=nn.Tanh):
    return nn.Sequential(
        nn.Linear(obs_size, 64),
        activation(),
        nn.Linear(64, 64),
        activation(),
        nn.Linear(64, 64),
        activation(),
    )


class Right(TorchRLModule, ValueFunctionAPI):
    def setup(self):
        obs_size, n = self.observation_space.shape[0], self.action_space.n  # n is np.int64
        self.encoder = _mlp(obs_size)
        self.policy_head = nn.Linear(64, n)
        self.value_encoder = _mlp(obs_size)
        self.value_head = nn.Linear(64, 1)

    def _forward(self, batch, **kwargs):
        return {Columns.ACTION_DIST_INPUTS: self.policy_head(self.encoder(batch[Columns.OBS]))}

    def compute_values(self, batch, embeddings=None):
        return self.value_head(self.value_encoder(batch[Columns.OBS])).squeeze(-1)


class ThreeForwards(TorchRLModule, ValueFunctionAPI):
    """Right, written with the three passes instead of _forward."""

    setup = Right.setup
    compute_values = Right.compute_values

    def _logits(self, batch):
        return {Columns.ACTION_DIST_INPUTS: self.policy_head(self.encoder(batch[Columns.OBS]))}

    def _forward_inference(self, batch, **kwargs):
        return self._logits(batch)

    def _forward_exploration(self, batch, **kwargs):
        return self._logits(batch)

    def _forward_train(self, batch, **kwargs):
        return self._logits(batch)


class TwoForwards(ThreeForwards):
    _forward_inference = TorchRLModule._forward_inference


class TanhWithoutParentheses(Right):
    def setup(self):
        super().setup()
        obs_size = self.observation_space.shape[0]
        self.encoder = nn.Sequential(nn.Linear(obs_size, 64), nn.Tanh, nn.Linear(64, 64))


class TanhStoredWithoutParentheses(Right):
    def setup(self):
        super().setup()
        self.act = nn.Tanh

    def _forward(self, batch, **kwargs):
        return {
            Columns.ACTION_DIST_INPUTS: self.policy_head(self.act(self.encoder(batch[Columns.OBS])))
        }


class BuildInsteadOfSetup(TorchRLModule, ValueFunctionAPI):
    build = Right.setup
    _forward = Right._forward
    compute_values = Right.compute_values


class NoForward(TorchRLModule, ValueFunctionAPI):
    setup = Right.setup
    compute_values = Right.compute_values


class TooFewLayersNumpySizes(Right):
    def setup(self):
        super().setup()
        n = self.action_space.n
        self.encoder = nn.Sequential(
            nn.Linear(self.observation_space.shape[0], np.int64(64)), nn.Tanh()
        )
        self.policy_head = nn.Linear(64, n)


WRONG = {
    TanhWithoutParentheses: "nn.Tanh is written without parentheses",
    TanhStoredWithoutParentheses: "A layer class was called on a tensor: was an activation stored without parentheses",
    BuildInsteadOfSetup: "BuildInsteadOfSetup defines build(), but RLlib never calls it",
    NoForward: "NoForward has no _forward(self, batch, **kwargs)",
    TwoForwards: "TwoForwards defines _forward_exploration, _forward_train but not _forward_inference",
    TooFewLayersNumpySizes: "Your policy network has 2 linear layer(s) with output sizes [64, 4]",
}
HINTS = {
    TanhWithoutParentheses: "Building TanhWithoutParentheses for a Box(200,) observation and 4 actions raised TypeError",
    TanhStoredWithoutParentheses: "TanhStoredWithoutParentheses.forward_inference(batch) raised TypeError",
}


@pytest.mark.parametrize("answer", list(WRONG), ids=lambda c: c.__name__)
def test_wrong_answer_gets_its_own_first_line(answer):
    with pytest.raises(ExerciseError) as caught:
        check_exercise4(answer)
    message = str(caught.value)
    assert message.splitlines()[0].startswith(WRONG[answer]), message
    assert answer not in HINTS or HINTS[answer] in message
    assert "np." not in message


def test_the_learners_setup_line_is_the_frame_shown():
    with pytest.raises(ExerciseError) as caught:
        check_exercise4(TanhWithoutParentheses)
    assert [(f, name) for f, _, name in caught.value.learner_frames()] == [(__file__, "setup")]


def test_three_forwards_pass_the_checks_before_training():
    from handson_rl.exercises import exercise4

    module = exercise4.check_exercise4_module(ThreeForwards, (64, 64, 64))
    assert isinstance(module, ThreeForwards)
    with pytest.raises(ExerciseError):  # the structure is checked against the sizes asked for
        exercise4.check_exercise4_module(ThreeForwards, (32, 32))


@pytest.mark.ray
def test_three_forwards_train_with_ppo_and_pass(ray_session, capsys):
    summary = check_exercise4(ThreeForwards, iterations=1)  # one iteration: weights change
    assert "Exercise 4 passed" in capsys.readouterr().out
    assert summary["env_steps"] == 400
