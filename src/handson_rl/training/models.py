"""A custom PyTorch RLModule for the arena: policy and value networks, configurable.

RLlib's default module for PPO (``DefaultPPOTorchRLModule``, built by
``PPOCatalog`` from ``DefaultModelConfig``) is, for a flat observation and
``vf_share_layers=False`` as the course sets it:

- a policy encoder: an MLP of ``fcnet_hiddens`` units with ``fcnet_activation``
  (tanh by default) after every layer, then the policy head ``pi``: one linear
  layer to one logit per action;
- a value encoder of the same shape, with its own weights, then the value head
  ``vf``: one linear layer to one number;
- PyTorch's default initialisation for every layer.

:class:`ArenaPolicyValueModule` is the same network written by hand, in about 40
lines, so that chapter 9 can start from "ours = the default" and change one thing
at a time. Its ``model_config`` (defaults in :data:`DEFAULT_MODEL_CONFIG`):

- ``hidden_sizes``: units per hidden layer (default ``[64, 64]``, the course's
  ``fcnet_hiddens``);
- ``activation``: ``"tanh"`` (default, as RLlib), ``"relu"``, ``"elu"`` or ``"silu"``;
- ``shared_encoder``: ``False`` (default, as the course's ``vf_share_layers=False``)
  gives the value function its own encoder; ``True`` makes the policy and value
  heads read the same features.

What PPO needs from a module (and where this one provides it):

- ``setup()`` builds the layers, reading the spaces (``self.observation_space``,
  ``self.action_space``) and the settings (``self.model_config``, a plain dict);
- ``_forward(batch)`` returns ``{Columns.ACTION_DIST_INPUTS: logits}``: RLlib turns
  the logits into a categorical distribution to sample actions and to compute the
  policy loss;
- ``compute_values(batch, embeddings=None)`` (the ``ValueFunctionAPI``) returns one
  value per observation, for the advantages (GAE) and the value loss.
  ``_forward_train`` also returns the value encoder's features as
  ``Columns.EMBEDDINGS``, so the learner hands them back to ``compute_values`` and
  no encoder runs twice.

Plug it in per module with ``RLModuleSpec(module_class=ArenaPolicyValueModule,
model_config={...})`` (see :func:`arena_module_spec`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium as gym
import torch
from ray.rllib.core.columns import Columns
from ray.rllib.core.rl_module.apis import ValueFunctionAPI
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
from ray.rllib.core.rl_module.rl_module import RLModuleSpec
from ray.rllib.core.rl_module.torch import TorchRLModule
from torch import nn

#: Activation names accepted in ``model_config["activation"]``.
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "elu": nn.ELU, "silu": nn.SiLU}
#: Keys of RLlib's DefaultModelConfig, which RLlib adds to every module's model_config.
_RLLIB_KEYS = {f.name for f in dataclasses.fields(DefaultModelConfig)}
#: The settings :class:`ArenaPolicyValueModule` reads, with their defaults: the
#: defaults make it the same network as RLlib's default module under the course config.
DEFAULT_MODEL_CONFIG = {"hidden_sizes": [64, 64], "activation": "tanh", "shared_encoder": False}


def mlp(in_size: int, hidden_sizes: Sequence[int], activation: str = "tanh") -> nn.Sequential:
    """Linear layers of ``hidden_sizes`` units, each followed by ``activation``."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
    layers: list[nn.Module] = []
    size = in_size
    for units in hidden_sizes:
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"hidden_sizes must be positive ints, got {list(hidden_sizes)}.")
        layers += [nn.Linear(size, units), ACTIVATIONS[activation]()]
        size = units
    return nn.Sequential(*layers)


class ArenaPolicyValueModule(TorchRLModule, ValueFunctionAPI):
    """Policy encoder + policy head, value encoder + value head, for PPO on a flat observation.

    With its defaults it is RLlib's default PPO network under the course config
    (separate encoders of ``[64, 64]`` with tanh, one linear layer per head,
    PyTorch's default initialisation). ``model_config`` keys: ``hidden_sizes``,
    ``activation``, ``shared_encoder`` (see the module docstring). Other keys are
    an error, so a typo does not pass silently (except the keys of RLlib's
    ``DefaultModelConfig``, which RLlib adds itself).
    """

    def setup(self):
        settings = {**DEFAULT_MODEL_CONFIG, **(self.model_config or {})}
        # RLlib also merges the algorithm-wide DefaultModelConfig settings
        # (fcnet_hiddens, ...) into every module's model_config: ignore those.
        unknown = sorted(set(settings) - set(DEFAULT_MODEL_CONFIG) - _RLLIB_KEYS)
        if unknown:
            raise ValueError(
                f"ArenaPolicyValueModule does not know model_config key(s) {unknown}; "
                f"it reads {sorted(DEFAULT_MODEL_CONFIG)}."
            )
        space = self.observation_space
        if not (isinstance(space, gym.spaces.Box) and len(space.shape) == 1):
            raise ValueError(
                f"ArenaPolicyValueModule needs a flat observation vector, got the space "
                f"{self.observation_space}. One-hot encode the arena's observations "
                "first (arena_ppo_config() does)."
            )
        hidden = list(settings["hidden_sizes"])
        if not hidden:
            raise ValueError("hidden_sizes needs at least one layer, e.g. [64, 64].")
        if not isinstance(settings["shared_encoder"], bool):
            raise ValueError(
                f"shared_encoder must be True or False, got {settings['shared_encoder']!r}."
            )
        obs_size = int(self.observation_space.shape[0])
        self.shared_encoder = settings["shared_encoder"]

        self.encoder = mlp(obs_size, hidden, settings["activation"])
        self.policy_head = nn.Linear(hidden[-1], int(self.action_space.n))
        # The value function's own encoder, or none: then it reads self.encoder's features.
        self.value_encoder = (
            None if self.shared_encoder else mlp(obs_size, hidden, settings["activation"])
        )
        self.value_head = nn.Linear(hidden[-1], 1)

    def _value_features(self, obs: torch.Tensor, policy_features: torch.Tensor | None = None):
        if self.value_encoder is None:
            return self.encoder(obs) if policy_features is None else policy_features
        return self.value_encoder(obs)

    def _forward(self, batch: dict, **kwargs) -> dict:
        """Acting (exploration and inference): logits only."""
        features = self.encoder(batch[Columns.OBS])
        return {Columns.ACTION_DIST_INPUTS: self.policy_head(features)}

    def _forward_train(self, batch: dict, **kwargs) -> dict:
        """Training: logits, plus the value features for :meth:`compute_values`."""
        obs = batch[Columns.OBS]
        features = self.encoder(obs)
        return {
            Columns.ACTION_DIST_INPUTS: self.policy_head(features),
            Columns.EMBEDDINGS: self._value_features(obs, features),
        }

    def compute_values(self, batch: dict, embeddings: Any = None) -> torch.Tensor:
        """One value per observation, shape ``(batch_size,)``."""
        if embeddings is None:
            embeddings = self._value_features(batch[Columns.OBS])
        return self.value_head(embeddings).squeeze(-1)


def arena_module_spec(model_configs: Mapping[str, Mapping] | None = None) -> MultiRLModuleSpec:
    """A :class:`ArenaPolicyValueModule` for each of ``p1`` and ``p2``.

    ``model_configs`` maps a module id to its ``model_config``, e.g.
    ``{"p1": {"activation": "relu"}}``; what a module's config leaves out comes from
    :data:`DEFAULT_MODEL_CONFIG`, and a module left out gets it whole.
    """
    model_configs = dict(model_configs or {})
    unknown = sorted(set(model_configs) - {"p1", "p2"})
    if unknown:
        raise ValueError(f"Unknown module id(s) {unknown}; the arena's modules are ['p1', 'p2'].")
    return MultiRLModuleSpec(
        rl_module_specs={
            mid: RLModuleSpec(
                module_class=ArenaPolicyValueModule,
                model_config={**DEFAULT_MODEL_CONFIG, **model_configs.get(mid, {})},
            )
            for mid in ("p1", "p2")
        }
    )


def count_parameters(module: nn.Module) -> int:
    """Number of trainable weights in a torch module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
