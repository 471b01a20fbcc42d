"""Trained RLlib modules as policies with the arena's ``act(observation) -> action``.

Exercise 1's loop calls ``policies[agent_id].act(obs[agent_id])``; a random
policy (:class:`handson_rl.arena.rollout.RandomPolicy`), a trained RLlib module
(:class:`ModulePolicy`) and a hand-written rule all fit in it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
from ray.rllib.core.columns import Columns

from handson_rl.arena.env import AGENTS, DEFAULT_CONFIG
from handson_rl.training.config import MODULE_OF_AGENT
from handson_rl.training.config import one_hot as _encode

#: Cells of the default board (10 x 10): the size of each half of the network input.
N_CELLS = DEFAULT_CONFIG["width"] * DEFAULT_CONFIG["height"]


def one_hot(observation, n_cells: int = N_CELLS) -> np.ndarray:
    """The network input for an arena observation ``[own cell, other cell]``.

    The encoding the course's config trains with (its connector
    :class:`handson_rl.training.config.OneHotObservations`, the same vectors as
    RLlib's ``FlattenObservations``): a one-hot vector of length ``n_cells`` per
    component, concatenated (length ``2 * n_cells``).
    """
    obs = np.asarray(observation)
    if obs.shape != (2,) or obs.dtype.kind not in "iu":
        raise ValueError(
            f"An arena observation is two cell indices [own, other]; got {observation!r}."
        )
    return _encode(observation, (n_cells, n_cells))


def action_logits(module, observation, n_cells: int = N_CELLS) -> torch.Tensor:
    """The module's action logits (one per action) for one observation."""
    batch = {Columns.OBS: torch.from_numpy(one_hot(observation, n_cells))[None]}
    with torch.no_grad():
        out = module.forward_inference(batch)
    return out[Columns.ACTION_DIST_INPUTS][0]


def action_probabilities(module, observation, n_cells: int = N_CELLS) -> np.ndarray:
    """Softmax of :func:`action_logits`: the policy's probability for each action."""
    return torch.softmax(action_logits(module, observation, n_cells), dim=-1).numpy()


class ModulePolicy:
    """A trained RLlib module as a policy for Exercise 1's loop.

    ``explore=True`` (the default) samples from the action probabilities: the
    stochastic policy PPO trained, and what RLlib's own evaluation does unless
    told ``explore=False``. ``explore=False`` always takes the most likely
    action (greedy), which can score far lower than the policy that was trained.

    Inside ``with policy.memoized():`` the policy remembers the probabilities it
    computed for each observation, so a repeated observation costs a lookup
    instead of a forward pass (:func:`handson_rl.arena.rollout.mean_returns` uses
    it). The module must not change inside the block; outside it nothing is kept.
    """

    def __init__(
        self, module, n_cells: int = N_CELLS, explore: bool = True, seed: int | None = None
    ):
        self.module = module
        self.n_cells = n_cells
        self.explore = explore
        self.rng = np.random.default_rng(seed)
        self._memo: dict | None = None

    def probabilities(self, observation) -> np.ndarray:
        """The module's probability for each action in ``observation``."""
        if self._memo is None:
            return action_probabilities(self.module, observation, self.n_cells)
        obs = np.asarray(observation)
        key = (obs.dtype.str, obs.shape, obs.tobytes())
        probs = self._memo.get(key)
        if probs is None:  # computed (and checked by one_hot) the first time only
            probs = action_probabilities(self.module, obs, self.n_cells)
            probs.flags.writeable = False
            self._memo[key] = probs
        return probs

    @property
    def memoizing(self) -> bool:
        """True inside a :meth:`memoized` block (probabilities are being remembered)."""
        return self._memo is not None

    @contextlib.contextmanager
    def memoized(self) -> Iterator[ModulePolicy]:
        """Remember the probabilities per observation until the block ends."""
        if self._memo is not None:  # nested: the outer block's memory serves
            yield self
            return
        self._memo = {}
        try:
            yield self
        finally:
            self._memo = None

    def act(self, observation) -> int:
        probs = self.probabilities(observation)
        if self.explore:
            return int(self.rng.choice(len(probs), p=probs / probs.sum()))
        return int(np.argmax(probs))


def trained_policies(modules: dict, seed: int = 7, explore: bool = True) -> dict:
    """A :class:`ModulePolicy` per agent from ``{"p1": module, "p2": module}``."""
    return {
        agent: ModulePolicy(modules[MODULE_OF_AGENT[agent]], explore=explore, seed=seed + i)
        for i, agent in enumerate(AGENTS)
    }
