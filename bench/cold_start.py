"""Cold start: from a fresh Python process to a trained agent1, phase by phase.

    python bench/cold_start.py [--seeds 5,6,7,8,9] [--variants course,local]
                               [--target 18] [--max-seconds 120]

A learner's first training run pays more than the training: a new kernel imports
Ray and RLlib, starts Ray, builds the algorithm (and its env-runner actors), and
only then trains. Each run here is a fresh ``python`` subprocess, as a new kernel
is, and reports:

- ``start``: from launching the process to its first line (the interpreter);
- ``imports``: ``import ray`` and the course's training modules;
- ``ray.init``: ``ray.init(num_cpus=2, include_dashboard=False)``, what chapter 3 calls;
- ``build``: ``arena_ppo_config(seed=...).build_algo()`` (with the variant's settings);
- ``train``: ``train_until`` agent1's last-100-episode mean >= the target;
- ``total``: from launch to the end of the iteration that reached the target.

Variants (the levers measured, not guessed):

- ``course``: the course's settings as they are (2 env runners x 16 envs).
- ``local``: 0 env runners x 32 envs: sampling in the main process, no env-runner
  actors to start.

Runs go one after another; "other CPU" is what the rest of the machine used during
each run (see ``_load.py``): figures are only meaningful on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _load import OtherLoad

VARIANTS = {
    "course": {},
    "local": {"num_env_runners": 0, "num_envs_per_env_runner": 32},
}
PHASES = ("start", "imports", "ray.init", "build", "train", "total")


def child(seed: int, variant: str, target: float, max_seconds: float) -> None:
    """One cold start, in this (fresh) process; prints one JSON line of phase times."""
    marks = {"first_line": time.time()}
    import ray

    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.loop import train_until
    from handson_rl.training.quiet import quiet_ray

    quiet_ray()
    marks["imported"] = time.time()
    ray.init(num_cpus=2, include_dashboard=False)
    marks["ray_up"] = time.time()
    algo = arena_ppo_config(seed=seed, **VARIANTS[variant]).build_algo()
    marks["built"] = time.time()
    out = train_until(algo, target, max_seconds)
    marks["trained"] = time.time()
    algo.stop()
    ray.shutdown()
    print(json.dumps({"marks": marks, "reached": out.reached, "env_steps": out.env_steps}), flush=True)


def run_one(seed: int, variant: str, target: float, max_seconds: float) -> dict:
    with OtherLoad() as load:
        launched = time.time()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--seeds", str(seed), "--variants", variant,
             "--target", str(target), "--max-seconds", str(max_seconds)],
            capture_output=True, text=True, cwd=Path(__file__).parent,
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{"marks"')]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"cold start seed {seed} failed:\n{proc.stderr[-3000:]}")
    data = json.loads(lines[-1])
    m = data["marks"]
    return {
        "seed": seed, "variant": variant, "reached": data["reached"], "env_steps": data["env_steps"],
        "start": m["first_line"] - launched, "imports": m["imported"] - m["first_line"],
        "ray.init": m["ray_up"] - m["imported"], "build": m["built"] - m["ray_up"],
        "train": m["trained"] - m["built"], "total": m["trained"] - launched,
        "other_cpu": load.seconds,
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="5,6,7,8,9")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--target", type=float, default=18.0)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variant(s) {sorted(unknown)}; choose from {sorted(VARIANTS)}")
    if args.child:
        child(seeds[0], variants[0], args.target, args.max_seconds)
        return []
    rows = []
    print(f"Cold start to agent1 last-100 mean >= {args.target} (fresh process per run)\n")
    header = f"{'variant':8} {'seed':>4} " + " ".join(f"{p:>9}" for p in PHASES) + f" {'env steps':>10} {'other CPU':>10}"
    print(header)
    for variant in variants:
        for seed in seeds:
            row = run_one(seed, variant, args.target, args.max_seconds)
            rows.append(row)
            total = f"{row['total']:8.1f}s" if row["reached"] else "  not rchd"
            print(
                f"{variant:8} {seed:>4} "
                + " ".join(f"{row[p]:8.1f}s" for p in PHASES[:-1])
                + f" {total} {row['env_steps']:>10,} {row['other_cpu']:9.1f}s",
                flush=True,
            )
    print(f"\n{'variant':8} " + " ".join(f"{'median ' + p:>14}" for p in PHASES))
    for variant in variants:
        mine = [r for r in rows if r["variant"] == variant]
        medians = []
        for p in PHASES:
            values = [r[p] if (p != "total" or r["reached"]) else float("inf") for r in mine]
            medians.append(statistics.median(values))
        print(f"{variant:8} " + " ".join(f"{m:13.1f}s" for m in medians))
    return rows


if __name__ == "__main__":
    main()
