"""What ``ray.init()`` spends its seconds on, and what connecting to a running Ray saves.

    python bench/ray_start.py [--runs 5]

Each run is a fresh Python process (as a new notebook kernel is) that imports Ray,
starts or joins Ray, and builds the course's algorithm (two env runner actors).
Two ways, alternating run by run:

- ``new``: ``ray.init(num_cpus=2, include_dashboard=False)``, what every chapter
  does: a new one-machine Ray instance per kernel.
- ``connect``: ``ray.init(address=...)`` to a Ray head node this script started
  once beforehand (``ray start --head --num-cpus=2 --include-dashboard=false``,
  through ``handson_rl.tools.cluster``): a Ray that outlives the kernels,
  which the course could ask learners to start once instead of per chapter.
- ``preload``: ``new``, plus Ray's undocumented ``_system_config`` entry
  ``preload_python_modules`` (torch and RLlib's env runner), which makes the
  workers Ray starts ahead of time import them before an actor needs them.

Each run then builds the algorithm and trains one iteration: a preloading worker
still busy importing would show there.

For the ``new`` runs it also lists every process ``ray.init`` started (from the
process tree of the kernel, read from Linux's /proc): when it started, counted
from the start of the first one (Ray's GCS server), and the CPU time it had used
when the algorithm was built.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cpu_load  # bench/ is the script's folder
import psutil
from cpu_load import OtherLoad

PHASES = ("imports", "ray.init", "build", "1st iter")
PRELOAD = ["torch", "ray.rllib.env.multi_agent_env_runner", "handson_rl.training.config"]


def _process_name(cmdline: list[str]) -> str:
    if not cmdline:
        return "?"
    if cmdline[0].startswith("ray::"):
        return cmdline[0].split()[0].split(".")[0]  # ray::MultiAgentEnvRunner.apply -> the actor
    for part in cmdline:
        if part.endswith(".py"):
            return Path(part).name
    return Path(cmdline[0]).name


def descendants() -> list[dict]:
    """This process's descendants (psutil): name, start and CPU seconds.

    ``started`` is the process's creation time (only differences mean anything);
    ``cpu`` is user + system time so far.
    """
    found = []
    for process in cpu_load.descendants():
        try:
            with process.oneshot():
                cmdline, started = process.cmdline(), process.create_time()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found.append(
            {
                "name": _process_name(cmdline),
                "started": started,
                "cpu": cpu_load.process_cpu_seconds(process, children=False),
            }
        )
    return found


def child(mode: str, address: str | None) -> None:
    start = time.time()
    import ray

    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.quiet import quiet_ray
    from handson_rl.training.session import connect

    quiet_ray()
    imported = time.time()
    if mode == "new":
        ray.init(num_cpus=2, include_dashboard=False)
    elif mode == "preload":
        ray.init(
            num_cpus=2, include_dashboard=False, _system_config={"preload_python_modules": PRELOAD}
        )
    else:
        connect(address)
    up = time.time()
    algo = arena_ppo_config(seed=0).build_algo()
    built = time.time()
    processes = []
    if mode == "new":
        processes = descendants()
        first = min(p["started"] for p in processes)
        for p in processes:
            p["started"] -= first
    before_train = time.time()
    algo.train()
    trained = time.time()
    algo.stop()
    ray.shutdown()
    print(
        json.dumps(
            {
                "imports": imported - start,
                "ray.init": up - imported,
                "build": built - up,
                "1st iter": trained - before_train,
                "processes": processes,
            }
        ),
        flush=True,
    )


def run_child(mode: str, address: str | None, env: dict | None) -> dict:
    args = [sys.executable, __file__, "--child", mode] + ([address] if address else [])
    with OtherLoad() as load:
        proc = subprocess.run(
            args, capture_output=True, text=True, cwd=Path(__file__).parent, env=env
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} run failed:\n{proc.stderr[-3000:]}")
    row = json.loads(lines[-1])
    row["other_cpu"] = load.seconds
    return row


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1] if len(args.child) > 1 else None)
        return {}

    from handson_rl.tools.cluster import start_local_cluster

    rows: dict[str, list[dict]] = {"new": [], "connect": [], "preload": []}
    with start_local_cluster(num_nodes=1, cpus_per_node=2, dashboard=False) as cluster:
        for i in range(args.runs):
            for mode in rows:
                row = run_child(
                    mode,
                    cluster.address if mode == "connect" else None,
                    cluster.env() if mode == "connect" else None,
                )
                rows[mode].append(row)
                print(
                    f"run {i} {mode:8} "
                    + " ".join(f"{p} {row[p]:4.1f} s" for p in PHASES)
                    + f"   other CPU {row['other_cpu']:.1f} s",
                    flush=True,
                )

    print(f"\nmedians over {args.runs} fresh processes each:")
    print(f"{'mode':8} " + " ".join(f"{p:>9}" for p in PHASES) + f" {'sum':>9}")
    for mode, mine in rows.items():
        medians = [statistics.median(r[p] for r in mine) for p in PHASES]
        print(f"{mode:8} " + " ".join(f"{m:8.1f}s" for m in medians) + f" {sum(medians):8.1f}s")

    print("\nprocesses a new ray.init() starts, and the env runners the build starts (median over")
    print("the 'new' runs; started = seconds after the first process, Ray's GCS server, started;")
    print("cpu = CPU seconds used by the time the algorithm was built):")
    by_name: dict[str, list[dict]] = {}
    for row in rows["new"]:
        seen: dict[str, int] = {}
        for proc in row["processes"]:
            seen[proc["name"]] = seen.get(proc["name"], 0) + 1
            by_name.setdefault(f"{proc['name']} #{seen[proc['name']]}", []).append(proc)
    order = sorted(by_name, key=lambda n: statistics.median(p["started"] for p in by_name[n]))
    print(f"{'process':32} {'started':>8} {'cpu':>7} {'in runs':>8}")
    for name in order:
        procs = by_name[name]
        print(
            f"{name:32} {statistics.median(p['started'] for p in procs):7.2f}s"
            f" {statistics.median(p['cpu'] for p in procs):6.2f}s {len(procs):>8}"
        )
    return rows


if __name__ == "__main__":
    main()
