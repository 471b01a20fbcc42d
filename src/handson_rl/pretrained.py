"""The course's pre-trained agents: made by a command, loaded by chapter 12.

Instructors whose room is too slow to train still get trained agents to show:
``pretrained/arena_ppo/`` (in the repository) holds the two modules, p1 and p2,
trained with the course's PPO setup, plus ``training.json`` saying how. Only the
modules are kept (no optimizer state, no env runner state): about 0.2 MB, enough to
play and evaluate, restored with ``RLModule.from_checkpoint`` and no Ray at all.

Re-make them (a few minutes on 2 cores) with:

    python -m handson_rl.pretrained [--iterations 100] [--seed 0]

and then the videos with ``python -m handson_rl.videos``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from pathlib import Path

from handson_rl.training import MODULE_OF_AGENT

ROOT = Path(__file__).resolve().parents[2]
PRETRAINED_DIR = ROOT / "pretrained" / "arena_ppo"


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
                "clone), make them with `python -m handson_rl.pretrained`."
            )
        modules[module_id] = RLModule.from_checkpoint(str(folder))
    return modules


def info(path: str | Path = PRETRAINED_DIR) -> dict:
    """What ``training.json`` says about how the modules were trained."""
    file = Path(path) / "training.json"
    if not file.exists():
        raise PretrainedError(f"No {file.name} in {str(path)!r}; re-make with `python -m handson_rl.pretrained`.")
    return json.loads(file.read_text())


def _rounded(value: float):
    return None if math.isnan(value) else round(value, 2)


def make(out: str | Path = PRETRAINED_DIR, iterations: int = 100, seed: int = 0) -> dict:
    """Train the course's PPO setup for ``iterations`` and keep just the modules."""
    import ray
    import ray.rllib  # noqa: F401

    from handson_rl.quiet import quiet_ray
    from handson_rl.training import ReturnWindow, arena_ppo_config

    out = Path(out)
    quiet_ray()
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        algo = arena_ppo_config(seed=seed).build_algo()
        window1, window2 = ReturnWindow("agent1"), ReturnWindow("agent2")
        start = time.perf_counter()
        for _ in range(iterations):
            result = algo.train()
            window1.update(result)
            window2.update(result)
            print(
                f"\riteration {result['training_iteration']:>3}/{iterations}  "
                f"{time.perf_counter() - start:6.1f} s  agent1 (last 100) {window1.mean:+6.1f}  "
                f"agent2 {window2.mean:+6.1f}",
                end="",
                flush=True,
            )
        print()
        seconds = time.perf_counter() - start
        env_steps = int(result["env_runners"]["num_env_steps_sampled_lifetime"])
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for module_id in MODULE_OF_AGENT.values():
            algo.get_module(module_id).save_to_path(str(tmp / module_id))
        algo.stop()
    finally:
        ray.shutdown()
    meta = {
        "what": "MultiAgentArena PPO modules p1 (agent1) and p2 (agent2), course settings",
        "command": f"python -m handson_rl.pretrained --iterations {iterations} --seed {seed}",
        "iterations": iterations,
        "seed": seed,
        "env_steps": env_steps,
        "training_seconds": round(seconds, 1),
        "agent1_last100_mean": _rounded(window1.mean),
        "agent2_last100_mean": _rounded(window2.mean),
        "ray": ray.__version__,
    }
    (tmp / "training.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return meta


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Train and save the course's pre-trained agents.")
    parser.add_argument("--iterations", type=int, default=100, help="training iterations (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(PRETRAINED_DIR), help="where to write (default: pretrained/arena_ppo)")
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    meta = make(args.out, args.iterations, args.seed)
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
