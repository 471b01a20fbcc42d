"""Cold start: from a fresh Python process to a trained agent1, phase by phase.

    python bench/cold_start.py [--seeds 5,6,7,8,9] [--variants course,local,appo]
                               [--target 18] [--max-seconds 120] [--json FILE]

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
- ``inductor``: the course's settings with torch's own
  ``torch.use_deterministic_algorithms``, which loads torch's compiler
  (TorchInductor) in every seeded process; ``course`` sets the same switch without
  it (``handson_rl/training/torch_seeding.py``).
- ``appo``: APPO (asynchronous sampling) as ``bench/time_to_target.py`` sets it up
  (one env runner, one learner actor): the lever that would change the algorithm.

The summary gives each phase's median over the seeds (5 by default, one fresh
process each) and the load average before and after; ``--json`` also writes every
run to a file (e.g. ``bench/results/cold_start.json``).

Runs go one after another; "other CPU" is what the rest of the machine used during
each run (see ``cpu_load.py``): figures are only meaningful on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

from cpu_load import OtherLoad

VARIANTS = {
    "course": {},
    "local": {"num_env_runners": 0, "num_envs_per_env_runner": 32},
    "inductor": {},
    "appo": None,  # time_to_target.appo_config()
}
#: Environment variables a variant's process (and its Ray workers) starts with.
VARIANT_ENV = {"inductor": {"HANDSON_RL_TORCH_SEEDING": "torch"}}
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
    if VARIANTS[variant] is None:
        from time_to_target import appo_config

        config = appo_config(seed=seed)
    else:
        config = arena_ppo_config(seed=seed, **VARIANTS[variant])
    algo = config.build_algo()
    marks["built"] = time.time()
    out = train_until(algo, target, max_seconds)
    marks["trained"] = time.time()
    algo.stop()
    ray.shutdown()
    print(
        json.dumps({"marks": marks, "reached": out.reached, "env_steps": out.env_steps}), flush=True
    )


def run_one(seed: int, variant: str, target: float, max_seconds: float) -> dict:
    with OtherLoad() as load:
        launched = time.time()
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--seeds",
                str(seed),
                "--variants",
                variant,
                "--target",
                str(target),
                "--max-seconds",
                str(max_seconds),
            ],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            env={**os.environ, **VARIANT_ENV.get(variant, {})},
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith('{"marks"')]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"cold start seed {seed} failed:\n{proc.stderr[-3000:]}")
    data = json.loads(lines[-1])
    m = data["marks"]
    return {
        "seed": seed,
        "variant": variant,
        "reached": data["reached"],
        "env_steps": data["env_steps"],
        "start": m["first_line"] - launched,
        "imports": m["imported"] - m["first_line"],
        "ray.init": m["ray_up"] - m["imported"],
        "build": m["built"] - m["ray_up"],
        "train": m["trained"] - m["built"],
        "total": m["trained"] - launched,
        "other_cpu": load.seconds,
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="5,6,7,8,9")
    parser.add_argument("--variants", default="course,local")
    parser.add_argument("--target", type=float, default=18.0)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument(
        "--json", help="also write every run, the medians and the load to this file"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    args.variants = args.variants.split(",")
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variant(s) {sorted(unknown)}; choose from {sorted(VARIANTS)}")
    return args


def medians(rows: list[dict], variant: str) -> dict[str, float]:
    """Each phase's median over ``variant``'s runs (a run that missed the target counts as infinite in total)."""
    mine = [r for r in rows if r["variant"] == variant]
    return {
        p: statistics.median(r[p] if (p != "total" or r["reached"]) else float("inf") for r in mine)
        for p in PHASES
    }


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    if args.child:
        child(args.seeds[0], args.variants[0], args.target, args.max_seconds)
        return []
    load_before = os.getloadavg()[0]
    rows = []
    print(f"Cold start to agent1 last-100 mean >= {args.target} (fresh process per run)\n")
    print(
        f"{'variant':8} {'seed':>4} "
        + " ".join(f"{p:>9}" for p in PHASES)
        + f" {'env steps':>10} {'other CPU':>10}"
    )
    for seed in args.seeds:  # the variants in turn for each seed: paired under the same load
        for variant in args.variants:
            row = run_one(seed, variant, args.target, args.max_seconds)
            rows.append(row)
            total = f"{row['total']:8.1f}s" if row["reached"] else "  not rchd"
            print(
                f"{variant:8} {seed:>4} "
                + " ".join(f"{row[p]:8.1f}s" for p in PHASES[:-1])
                + f" {total} {row['env_steps']:>10,} {row['other_cpu']:9.1f}s",
                flush=True,
            )
    load_after = os.getloadavg()[0]
    print(f"\n{'variant':8} " + " ".join(f"{'median ' + p:>14}" for p in PHASES))
    summary = {variant: medians(rows, variant) for variant in args.variants}
    for variant, med in summary.items():
        print(f"{variant:8} " + " ".join(f"{med[p]:13.1f}s" for p in PHASES))
    print(
        f"medians of {len(args.seeds)} fresh processes per variant; load average (1 min) "
        f"before {load_before:.2f}, after {load_after:.2f}; {os.cpu_count()} cores"
    )
    if args.json:
        write_json(args, rows, summary, (load_before, load_after))
    return rows


def write_json(args, rows: list[dict], summary: dict, load: tuple[float, float]) -> None:
    from datetime import datetime

    data = {
        "command": " ".join(["python bench/cold_start.py", *args.argv]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "load_before": round(load[0], 2),
        "load_after": round(load[1], 2),
        "target": args.target,
        "medians": summary,
        "runs": rows,
    }
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
