"""RLlib's torch seeding without loading torch's compiler (torch 2.13).

Every chapter seeds its training (``config.debugging(seed=...)``). RLlib then calls
``torch.use_deterministic_algorithms(True)`` in each process it seeds: the
notebook's own, every env runner, every learner
(``ray/rllib/utils/torch_utils.py``, ``set_torch_seed``). In torch 2.13 that
function first runs ``import torch._inductor.config``, to set TorchInductor's
``deterministic`` flag. TorchInductor is the compiler behind ``torch.compile``;
importing it loads TorchDynamo and SymPy in every new env runner process, before
it samples a single step (2.7 s of the 2.8 s that constructing one
``MultiAgentEnvRunner`` took under cProfile on a 2-core machine;
``bench/cold_start.py``'s ``inductor`` variant times whole builds). The course
never compiles a model.

:func:`install` replaces ``torch.use_deterministic_algorithms`` in this process
with :func:`use_deterministic_algorithms`: it sets the same switch for torch's
operations (``torch._C._set_deterministic_algorithms``, the original's other
line) and hands over to the original whenever TorchInductor is already loaded,
so a process that compiles gets exactly torch's behaviour. The course's config
module (:mod:`handson_rl.training.config`) calls :func:`install` when it is
imported; that is also how it reaches the env runners: each imports that module
to unpickle its config, before RLlib seeds it. ``tests/test_torch_seeding.py``
fails when a torch upgrade changes what the original does.
"""

from __future__ import annotations

import os
import sys

import torch

#: Set to ``torch`` to keep torch's own function (``bench/cold_start.py``'s
#: ``inductor`` variant compares the two; Ray's workers inherit it).
ENV_VAR = "HANDSON_RL_TORCH_SEEDING"

#: torch's own function, kept for processes where TorchInductor is loaded.
ORIGINAL = getattr(
    torch.use_deterministic_algorithms, "original", torch.use_deterministic_algorithms
)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """``torch.use_deterministic_algorithms``, without importing TorchInductor for it."""
    if "torch._inductor.config" in sys.modules:
        ORIGINAL(mode, warn_only=warn_only)
    else:
        torch._C._set_deterministic_algorithms(mode, warn_only=warn_only)


use_deterministic_algorithms.original = ORIGINAL  # type: ignore[attr-defined]


def install() -> None:
    """Put :func:`use_deterministic_algorithms` in torch's place (idempotent).

    Not when the environment variable ``HANDSON_RL_TORCH_SEEDING`` is ``torch``.
    """
    if os.environ.get(ENV_VAR, "") != "torch":
        torch.use_deterministic_algorithms = use_deterministic_algorithms
