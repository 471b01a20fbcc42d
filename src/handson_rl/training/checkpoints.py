"""Saving and loading trained algorithms and modules, with clear errors."""

from __future__ import annotations

import os
from pathlib import Path

from handson_rl.training.config import MODULE_OF_AGENT

# Where a PPO checkpoint keeps each module (RLlib 2.60's layout).
MODULE_SUBDIR = Path("learner_group") / "learner" / "rl_module"


class CheckpointError(FileNotFoundError):
    """A path that is not a usable RLlib checkpoint; the message says why."""


def _check_dir(path) -> Path:
    path = Path(os.fspath(path)).expanduser()
    if not path.exists():
        raise CheckpointError(
            f"No checkpoint at {str(path)!r}: that path does not exist. Use the path "
            "that `algo.save_to_path()` returned (or `result.checkpoint.path` from Tune)."
        )
    if not path.is_dir():
        raise CheckpointError(f"{str(path)!r} is a file; a checkpoint is a directory.")
    if not (path / "rllib_checkpoint.json").exists():
        found = sorted(p.name for p in path.iterdir())[:8]
        raise CheckpointError(
            f"{str(path)!r} is not an RLlib checkpoint directory (no rllib_checkpoint.json; "
            f"it holds {found}). Point to the directory `algo.save_to_path()` wrote."
        )
    return path


def load_algorithm(path):
    """``Algorithm.from_checkpoint(path)`` after checking that ``path`` is a checkpoint.

    Like the course config's ``build_algo()``, it first makes sure the CPUs the
    restored algorithm's env runners need are free (stopping algorithms built or
    restored earlier in this process, or failing within seconds with a
    ``NotEnoughCPUsError``; see :mod:`handson_rl.training.cpus`): Ray would
    otherwise wait for them forever.
    """
    from ray.rllib.algorithms.algorithm import Algorithm

    from handson_rl.training.cpus import make_room, track

    path = _check_dir(path)
    make_room(_request_of(path), what="The algorithm in this checkpoint")
    algo = Algorithm.from_checkpoint(str(path))
    track(algo)
    return algo


def _request_of(path: Path):
    """The CPUs the algorithm saved at ``path`` will ask for (none if unreadable)."""
    import pickle

    from ray.rllib.algorithms.algorithm_config import AlgorithmConfig

    from handson_rl.training.cpus import CPURequest, remote_cpus

    try:
        with open(path / "class_and_ctor_args.pkl", "rb") as f:
            args = pickle.load(f)["ctor_args_and_kwargs"][0]
        return remote_cpus(AlgorithmConfig.from_state(args[0]))
    except Exception:  # noqa: BLE001 - no estimate: restore as RLlib would, unchecked
        return CPURequest(0.0, [])


def module_path(path, module_id: str) -> Path:
    """The directory inside an algorithm checkpoint that holds one module."""
    root = _check_dir(path)
    modules = root / MODULE_SUBDIR
    if not modules.is_dir():
        raise CheckpointError(
            f"{str(root)!r} has no {MODULE_SUBDIR}/ directory: is it an algorithm "
            "checkpoint (from `algo.save_to_path()`)?"
        )
    target = modules / module_id
    if not target.is_dir():
        have = sorted(p.name for p in modules.iterdir() if p.is_dir())
        raise CheckpointError(
            f"No module {module_id!r} in this checkpoint; it has {have}. "
            f"(The course maps agents to modules as {MODULE_OF_AGENT}.)"
        )
    return target


def load_module(path, module_id: str):
    """A bare RLModule (no algorithm, no Ray) restored from an algorithm checkpoint."""
    from ray.rllib.core.rl_module.rl_module import RLModule

    return RLModule.from_checkpoint(str(module_path(path, module_id)))


def describe(path, max_depth: int = 6) -> str:
    """A tree of the checkpoint directory with file sizes, for reading in a notebook.

    The default depth reaches inside each module's directory
    (``learner_group/learner/rl_module/p1/``), where its weights are.
    """
    root = _check_dir(path)
    lines = [f"{root.name}/"]

    def walk(folder: Path, depth: int, indent: str):
        entries = sorted(folder.iterdir(), key=lambda p: (p.is_file(), p.name))
        for entry in entries:
            if entry.is_dir():
                lines.append(f"{indent}{entry.name}/")
                if depth < max_depth:
                    walk(entry, depth + 1, indent + "    ")
            else:
                size = entry.stat().st_size
                lines.append(f"{indent}{entry.name}  ({size / 1024:.1f} KiB)")

    walk(root, 1, "    ")
    return "\n".join(lines)
