"""The course's pre-trained agents: made by a command, loaded by chapter 12.

Instructors whose room is too slow to train still get trained agents to show:
``pretrained/arena_ppo/`` (in the repository) holds the two modules, p1 and p2,
trained with the course's PPO setup, plus ``training.json`` saying how. Only the
modules are kept (no optimizer state, no env runner state): about 0.2 MB, enough to
play and evaluate, restored with ``RLModule.from_checkpoint`` and no Ray at all.

Re-make them (a few minutes on 2 cores) with
``python -m handson_rl.maintainers.make_pretrained``, then the videos with
``python -m handson_rl.maintainers.videos``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from handson_rl.paths import PRETRAINED_DIR
from handson_rl.training.config import MODULE_OF_AGENT


class PretrainedError(FileNotFoundError):
    """The pre-trained modules are missing or unreadable; the message says what to do."""


def load_pretrained(path: str | Path = PRETRAINED_DIR) -> dict:
    """``{"p1": RLModule, "p2": RLModule}`` from a directory written by :func:`make`."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    path = Path(path)
    modules = {}
    for module_id in MODULE_OF_AGENT.values():
        folder = path / module_id
        if not (folder / "module_state.pt").exists() and not any(folder.glob("module_state*")):
            raise PretrainedError(
                f"No pre-trained module {module_id!r} in {str(path)!r}. The course ships "
                "them in pretrained/arena_ppo/; if they are missing (e.g. a partial "
                "clone), make them with `python -m handson_rl.maintainers.make_pretrained`."
            )
        modules[module_id] = RLModule.from_checkpoint(str(folder))
    return modules


@lru_cache(maxsize=1)
def _pretrained_modules() -> dict:
    from handson_rl.training.quiet import quiet_ray

    quiet_ray()  # RLlib's own DeprecationWarning on loading a module is noise here
    return load_pretrained()


def trained_policy(agent: str, modules: Mapping | None = None, seed: int = 0):
    """``agent``'s trained module (from ``modules``, else the pre-trained ones) as a policy.

    The policy samples its actions with its own generator seeded by ``seed``
    (:class:`~handson_rl.training.policies.ModulePolicy`); the pre-trained modules
    are loaded once per process.
    """
    from handson_rl.training.policies import ModulePolicy

    modules = _pretrained_modules() if modules is None else modules
    return ModulePolicy(modules[MODULE_OF_AGENT[agent]], seed=seed)


def info(path: str | Path = PRETRAINED_DIR) -> dict:
    """What ``training.json`` says about how the modules were trained."""
    file = Path(path) / "training.json"
    if not file.exists():
        raise PretrainedError(
            f"No {file.name} in {str(path)!r}; re-make with `python -m handson_rl.maintainers.make_pretrained`."
        )
    return json.loads(file.read_text())
