"""Re-make the course's pre-trained agents in ``pretrained/arena_ppo/``.

    python -m handson_rl.maintainers.make_pretrained [--iterations 100] [--seed 0]

Trains the course's PPO setup and keeps just the two modules plus
``training.json`` saying how (chapter 12 loads them with
:func:`handson_rl.training.pretrained.load_pretrained`). Then re-make the GIFs:
``python -m handson_rl.maintainers.videos``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import ray

from handson_rl.paths import PRETRAINED_DIR
from handson_rl.training.config import MODULE_OF_AGENT, arena_ppo_config
from handson_rl.training.loop import train
from handson_rl.training.results import rounded
from handson_rl.training.session import ray_session


def make(out: str | Path = PRETRAINED_DIR, iterations: int = 100, seed: int = 0) -> dict:
    """Train the course's PPO setup for ``iterations`` and keep just the modules."""
    out = Path(out)
    with ray_session(num_cpus=2):
        algo = arena_ppo_config(seed=seed).build_algo()
        try:
            history = train(algo, iterations, label="pre-trained agents")
            tmp = out.with_name(out.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            for module_id in MODULE_OF_AGENT.values():
                algo.get_module(module_id).save_to_path(str(tmp / module_id))
        finally:
            algo.stop()
    last = history[-1]
    meta = {
        "what": "MultiAgentArena PPO modules p1 (agent1) and p2 (agent2), course settings",
        "command": f"python -m handson_rl.maintainers.make_pretrained --iterations {iterations} --seed {seed}",
        "iterations": iterations,
        "seed": seed,
        "env_steps": int(last["env_steps"] or 0),
        "training_seconds": round(last["wall_s"], 1),
        "agent1_last100_mean": rounded(last["agent1_last100"], 2),
        "agent2_last100_mean": rounded(last["agent2_last100"], 2),
        "ray": ray.__version__,
    }
    (tmp / "training.json").write_text(json.dumps(meta, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return meta


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Train and save the course's pre-trained agents.")
    parser.add_argument(
        "--iterations", type=int, default=100, help="training iterations (default 100)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", default=str(PRETRAINED_DIR), help="where to write (default: pretrained/arena_ppo)"
    )
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")
    meta = make(args.out, args.iterations, args.seed)
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
