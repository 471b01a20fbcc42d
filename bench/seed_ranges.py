"""Chapters 3, 4, 6, 8 and 12's results over many seeds: the ranges their prose quotes.

    python bench/seed_ranges.py [--seeds 0-9] [--out bench/results/seeds_ch03_04_06_12.json]
    COURSE_BUDGET=smoke python bench/seed_ranges.py --seeds 0 --out outputs/seeds_smoke.json
    python bench/seed_ranges.py --parts ch08 --out bench/results/seeds_ch08.json

For each seed, the same computations the chapters' cells make with
``COURSE_SEED=<seed>``, through the same functions (``handson_rl.training.measures``):

- a shared-module run (chapter 4): ``shared_module_config(seed)``, 2 x 10 iterations;
- one run of the course's config with chapter 6's evaluation settings, measured
  along the way: untrained evaluation (ch 6); after 10 and 20 iterations the
  returns and the modules' action probabilities (ch 4's one-module-each run,
  which trains 10 + 10 iterations); after 30 the trained evaluation, the last
  iteration, the 200-episode sampled/greedy comparison and the seeded episode (ch 6);
  one more iteration, then the first-3 and last-5 iteration means (ch 3, which
  trains 30 + 1), and chapter 12's match-ups over 300 episodes for these
  31-iteration agents (chapter 12's own agents trained longer: the pre-trained
  ones 80 iterations; ``--ch12-iterations 80`` trains on to that first, which
  costs 49 more iterations per seed).

- chapter 8's Tune run with its custom metrics (``--parts ch08``, its own file:
  ``bench/results/seeds_ch08.json``): 40 iterations, how much new cells,
  collisions and agent1's return rose from the first quarter of the iterations to
  the last, and the last quarter's means.

All seeds' main runs come first, then all seeds' shared runs (``--parts``), so
that a run cut short by a busy machine has every seed for the main measurements.
Runs of parts or seeds made separately (e.g. in parallel, each with its own
``--out``) are joined with ``--merge a.json b.json ... --out FILE``: per key, the
values in seed order; a seed measured twice for the same key is an error.

Chapters 3, 4 and 6 each train a run of their own with the same config and seed;
here one run serves all three (a run is a run: the 20 iterations of chapter 4's
run and the first 20 of chapter 6's are the same training process, not the same
numbers). Results go, per key, into ``ranges`` (one value per seed), with the
load average before and after in ``meta``; the file is rewritten after each
seed, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "seeds_ch03_04_06_12.json"
ACTIONS = ("up", "right", "down", "left")
MATCHUP_KEYS = {
    "trained vs trained": "trained_vs_trained",
    "trained agent1 vs random agent2": "trained_vs_random",
    "random agent1 vs trained agent2": "random_vs_trained",
}


def parse_seeds(text: str) -> list[int]:
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    if not seeds:
        raise SystemExit("--seeds: give seeds like 0-9 or 0,1,2")
    return seeds


def modules_of(algo, ids=("p1", "p2")) -> dict:
    """The learner's copy of each module, through a checkpoint, as chapters 6 and 12 load them."""
    from handson_rl.training.checkpoints import load_module

    with tempfile.TemporaryDirectory() as tmp:
        path = algo.save_to_path(tmp)
        return {m: load_module(path, m) for m in ids}


def probe(record, prefix: str, module) -> None:
    from handson_rl.training.measures import share_toward, step_onto_other
    from handson_rl.training.policies import action_probabilities

    for action, p in zip(ACTIONS, action_probabilities(module, [44, 45])):
        record(
            f"ch04.input44.{prefix}.{action}",
            p,
            f"{prefix}'s probability of '{action}' on input [44, 45]",
        )
    record(
        f"ch04.onto.{prefix}",
        step_onto_other(module),
        f"{prefix}: mean probability of stepping onto the other agent",
    )
    record(
        f"ch04.toward.{prefix}",
        share_toward(module),
        f"{prefix}: mean probability on moves towards the other agent",
    )


def shared_run(seed: int, record, B) -> None:
    from handson_rl.training.loop import train
    from handson_rl.training.measures import last_returns, shared_module_config

    algo = shared_module_config(seed=seed).build_algo()
    history = train(algo, 2 * B["ch04_iterations"], label=f"seed {seed} shared")
    for agent, value in last_returns(history, n=5).items():
        record(
            f"ch04.shared.{agent}",
            value,
            f"one shared module: {agent}'s mean over the last 5 of 20 iterations",
        )
    probe(record, "shared", algo.get_module("shared"))
    algo.stop()


def ch08_run(seed: int, record, B) -> None:
    """Chapter 8's Tune run (the chapter's config, callbacks and stop rule) and its quarters."""
    from ray import tune
    from ray.rllib.algorithms.ppo import PPO

    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.measures import QUARTER_KEYS, ch08_key, quarter_rise, quarters
    from handson_rl.training.metrics import ArenaMetrics, history_from_dataframe
    from handson_rl.training.results import ITERATION

    config = arena_ppo_config(
        seed=seed,
        num_env_runners=0,
        num_envs_per_env_runner=B["ch08_envs"],
        train_batch_size=B["ch08_batch"],
        minibatch_size=B["ch08_batch"],
    ).callbacks(ArenaMetrics)
    with tempfile.TemporaryDirectory() as storage:
        grid = tune.Tuner(
            PPO,
            param_space=config,
            run_config=tune.RunConfig(
                storage_path=storage,
                name="ch08",
                stop={ITERATION: B["ch08_iterations"]},
                verbose=0,
            ),
        ).fit()
        history = history_from_dataframe(grid[0].metrics_dataframe)
    for key, what in QUARTER_KEYS.items():
        record(
            ch08_key("rise", key),
            quarter_rise(history, key),
            f"{what}: the last quarter's mean minus the first quarter's, over {len(history)} iterations",
        )
        found = quarters(history, key)
        if found is not None:
            record(
                ch08_key("last", key),
                sum(found[1]) / len(found[1]),
                f"{what}: the last quarter's mean",
            )


def _record_ch04(algo, record, B, label: str) -> list:
    """Chapter 4's run, a module each: 10 + 10 iterations, returns and the modules' probabilities."""
    from handson_rl.training.loop import train
    from handson_rl.training.measures import last_returns

    history = train(algo, B["ch04_iterations"], label=label)
    for agent, value in last_returns(history).items():
        record(
            f"ch04.phase1.{agent}",
            value,
            f"a module each: {agent}'s mean over the last 3 of 10 iterations",
        )
    train(algo, B["ch04_iterations"], label=label, history=history)
    for agent, value in last_returns(history).items():
        record(
            f"ch04.phase2.{agent}",
            value,
            f"a module each: {agent}'s mean over the last 3 of 20 iterations",
        )
    for agent, value in last_returns(history, n=5).items():
        record(
            f"ch04.separate.{agent}",
            value,
            f"a module each: {agent}'s mean over the last 5 of 20 iterations",
        )
    for module_id in ("p1", "p2"):
        probe(record, module_id, algo.get_module(module_id))
    return history


def _record_sampled_or_greedy(p: dict, record, B) -> None:
    """Chapter 6's sampled vs greedy comparison of the trained modules."""
    from handson_rl.training.measures import sampled_or_greedy

    for way, stats in sampled_or_greedy(p["p1"], p["p2"], B["compare_episodes"]).items():
        key = {
            "sampled (default)": "sampled",
            "greedy": "greedy",
            "greedy agent1 only": "greedy_agent1_only",
        }[way]
        for agent, s in stats.items():
            record(
                f"ch06.{key}.{agent}",
                s["mean"],
                f"{way}: {agent}'s mean over {B['compare_episodes']} episodes",
            )
            record(f"ch06.{key}_sem.{agent}", s["sem"], f"{way}: standard error of {agent}'s mean")


def _record_ch06(algo, history: list, record, B) -> None:
    """Chapter 6 on the trained agents: evaluation, last iteration, sampled vs greedy, the seeded episode."""
    from handson_rl.arena import MultiAgentArena
    from handson_rl.arena.rollout import play_episode
    from handson_rl.training.measures import catches, evaluate
    from handson_rl.training.policies import ModulePolicy

    for agent, value in evaluate(algo).items():
        record(
            f"ch06.trained_eval.{agent}",
            value,
            f"{agent} after {B['iterations']} iterations, evaluation (sampled)",
        )
    for agent in ("agent1", "agent2"):
        record(
            f"ch06.last_iter.{agent}",
            history[-1][agent],
            f"{agent}, last training iteration ({B['iterations']})",
        )
    p = modules_of(algo)
    _record_sampled_or_greedy(p, record, B)
    returns, _ = play_episode(
        MultiAgentArena(),
        {"agent1": ModulePolicy(p["p1"], seed=1), "agent2": ModulePolicy(p["p2"], seed=2)},
        seed=0,
    )
    for agent, value in returns.items():
        record(f"ch06.episode.{agent}", value, f"the seeded episode (seed 0): {agent}'s return")
    record(
        "ch06.episode.collisions",
        round(catches(returns["agent2"])),
        "the seeded episode: collisions",
    )


def _record_ch03(algo, history: list, record) -> None:
    """Chapter 3's extra iteration, then its first-3 and last-5 iteration means."""
    from handson_rl.training.measures import first_and_last
    from handson_rl.training.results import summarize

    history.append(summarize(algo.train()))  # chapter 3's extra iteration
    for part, means in first_and_last(history).items():
        for agent, value in means.items():
            record(
                f"ch03.{part}.{agent}",
                value,
                f"{agent}'s mean over the {part} {3 if part == 'first' else 5} iterations of 31",
            )


def _record_ch12(algo, history: list, record, B, label: str) -> None:
    """Chapter 12's match-ups (after training on to ``ch12_iterations``); stops ``algo``."""
    from handson_rl.training.loop import train
    from handson_rl.training.measures import matchup_stats

    if B["ch12_iterations"] > len(history):
        train(algo, B["ch12_iterations"] - len(history), label=label, history=history)
    stats = matchup_stats(modules_of(algo), B["ch12_episodes"])
    algo.stop()
    for name, key in MATCHUP_KEYS.items():
        for agent, s in stats[name].items():
            record(
                f"ch12.{key}.{agent}",
                s["mean"],
                f"{name}, agents after {len(history)} iterations: {agent}'s mean over {B['ch12_episodes']} episodes",
            )
    record(
        "ch12.agent1_random_minus_trained_opponent",
        stats["trained agent1 vs random agent2"]["agent1"]["mean"]
        - stats["trained vs trained"]["agent1"]["mean"],
        "trained agent1's mean against a random agent2 minus against the trained agent2",
    )


def main_run(seed: int, record, B) -> None:
    from handson_rl.training.config import arena_ppo_config
    from handson_rl.training.loop import train
    from handson_rl.training.measures import evaluate, with_evaluation

    algo = with_evaluation(arena_ppo_config(seed=seed), B["eval_episodes"]).build_algo()
    for agent, value in evaluate(algo).items():
        record(
            f"ch06.untrained.{agent}",
            value,
            f"untrained {agent}, mean over {B['eval_episodes']} evaluation episodes",
        )
    label = f"seed {seed}"
    history = _record_ch04(algo, record, B, label)
    train(algo, B["iterations"] - 2 * B["ch04_iterations"], label=label, history=history)
    _record_ch06(algo, history, record, B)
    _record_ch03(algo, history, record)
    _record_ch12(algo, history, record, B, label)


def _patient_get_node(get_node, seconds: float = 60.0):
    """Ray 2.60's node start-up waits a fixed 30 s for the GCS to answer
    (ray/_private/node.py): on a machine loaded far beyond its cores that fails with
    "timed out during startup". This wrapper keeps asking for up to ``seconds``."""

    def patient(*args, **kwargs):
        deadline = time.monotonic() + seconds
        while True:
            try:
                return get_node(*args, **kwargs)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    return patient


def _kill_leftovers() -> None:
    """Stop the Ray processes a failed ``ray.init`` of this process left running."""
    import signal

    me = os.getpid()
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().split(") ")[1].split()[1]) == me
            ):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            continue


def start_ray(ray, attempts: int = 20) -> None:
    """``ray.init``, patient with the GCS and tried again (see :func:`_patient_get_node`)."""
    import ray._private.services as services

    services.get_node = _patient_get_node(services.get_node)
    # The raylet also waits a fixed ~15 s for its dashboard agent's port file, then
    # aborts ("Timed out waiting for file .../metrics_agent_port_...",
    # NodeManager::WaitForDashboardAgentPorts); no setting changes that, hence the
    # attempts below, each cleaned up (Ray leaves a failed start's processes).
    for attempt in range(1, attempts + 1):
        try:
            ray.init(num_cpus=2, include_dashboard=False)
            return
        except Exception as err:  # noqa: BLE001 - Ray raises a bare Exception here
            ray.shutdown()
            _kill_leftovers()
            if attempt == attempts:
                raise
            print(
                f"ray.init failed ({err}); load {os.getloadavg()[0]:.1f}; trying again", flush=True
            )
            time.sleep(10)


def budget() -> dict:
    from handson_rl.budget import pick

    return pick(
        full=dict(
            iterations=30,
            ch04_iterations=10,
            eval_episodes=20,
            compare_episodes=200,
            ch12_iterations=31,
            ch12_episodes=300,
            ch08_iterations=40,
            ch08_envs=32,
            ch08_batch=2000,
        ),
        smoke=dict(
            iterations=3,
            ch04_iterations=1,
            eval_episodes=2,
            compare_episodes=5,
            ch12_iterations=4,
            ch12_episodes=5,
            ch08_iterations=8,
            ch08_envs=4,
            ch08_batch=400,
        ),
    )


def write(out: Path, meta: dict, ranges: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "ranges": ranges}, indent=1) + "\n")


def merge(paths: list[Path], out: Path) -> dict:
    """Join the ``ranges`` of several runs of this script, per key in seed order."""
    per_key: dict[str, dict] = {}
    metas = []
    for path in paths:
        data = json.loads(path.read_text())
        meta = data["meta"]
        metas.append(
            {
                k: meta.get(k)
                for k in ("command", "date", "load_before", "load_after", "done", "seconds")
            }
        )
        for part, seeds in meta["done"].items():
            for key, entry in data["ranges"].items():
                if len(entry["values"]) != len(seeds) or not _part_of(key, part):
                    continue
                slot = per_key.setdefault(key, {"what": entry["what"], "by_seed": {}})
                for seed, value in zip(seeds, entry["values"], strict=True):
                    if seed in slot["by_seed"]:
                        raise SystemExit(f"{key}: seed {seed} is in two of the files")
                    slot["by_seed"][seed] = value
    ranges = {
        key: {
            "values": [slot["by_seed"][s] for s in sorted(slot["by_seed"])],
            "what": slot["what"],
            "seeds": sorted(slot["by_seed"]),
        }
        for key, slot in per_key.items()
    }
    seeds = sorted({s for r in ranges.values() for s in r["seeds"]})
    first = json.loads(paths[0].read_text())["meta"]
    meta = {
        **first,
        "command": "python bench/seed_ranges.py --merge " + " ".join(str(p) for p in paths),
        "seeds": seeds,
        "load_before": [m["load_before"] for m in metas],
        "load_after": [m["load_after"] for m in metas],
        "runs": metas,
    }
    meta.pop("done", None), meta.pop("seconds", None)
    write(out, meta, ranges)
    return {"meta": meta, "ranges": ranges}


def _part_of(key: str, part: str) -> bool:
    """Whether run ``part`` (main, shared or ch08) measures ``key``."""
    if key.startswith("ch08.") or part == "ch08":
        return key.startswith("ch08.") and part == "ch08"
    shared = key.startswith("ch04.shared.") or ".shared." in key or key.endswith(".shared")
    return shared == (part == "shared")


#: The runs of ``--parts``, in the order they can be given.
RUNS = {"main": main_run, "shared": shared_run, "ch08": ch08_run}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", default="0-9", help="e.g. 0-9 or 0,1,2 (at least 10 for the course)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--parts",
        default="main,shared",
        help="which runs, in this order: main, shared, ch08 (chapter 8's: its own --out file)",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        default=None,
        help="join the results of earlier runs (their --out files) into --out; no training",
    )
    parser.add_argument(
        "--ch12-iterations",
        type=int,
        default=None,
        help="train the main run on to this many iterations before chapter 12's match-ups",
    )
    return parser


def run_meta(argv, parts: list[str], seeds: list[int], B: dict) -> dict:
    """The ``meta`` of a run's file: command, date, machine, load, versions, settings."""
    from ray import __version__ as ray_version

    from handson_rl.budget import level

    return {
        "command": "python bench/seed_ranges.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "load_after": None,
        "ray": ray_version,
        "seeds": seeds,
        "budget": level(),
        "settings": B,
        "done": {part: [] for part in parts},
        "seconds": {part: [] for part in parts},
    }


def run_parts(parts: list[str], seeds: list[int], B: dict, meta: dict, out: Path) -> dict:
    """Each part for each seed, in that order; ``out`` rewritten after each. Returns the ranges."""
    ranges: dict[str, dict] = {}
    for part in parts:
        for seed in seeds:
            start = time.perf_counter()

            def record(key, value, what):
                entry = ranges.setdefault(key, {"values": [], "what": what})
                entry["values"].append(round(float(value), 4))

            RUNS[part](seed, record, B)
            meta["done"][part].append(seed)
            meta["seconds"][part].append(round(time.perf_counter() - start, 1))
            meta["load_after"] = [round(x, 2) for x in os.getloadavg()]
            write(out, meta, ranges)
            print(
                f"\n{part} run, seed {seed}: done in {meta['seconds'][part][-1]:.0f} s, "
                f"load {meta['load_after']}",
                flush=True,
            )
    return ranges


def main(argv=None) -> dict:
    args = build_parser().parse_args(argv)
    if args.merge:
        return merge(args.merge, args.out)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if not parts or set(parts) - set(RUNS):
        raise SystemExit(f"--parts: one or more of {', '.join(RUNS)}")
    import ray

    from handson_rl.training.quiet import quiet_ray

    B, seeds = budget(), parse_seeds(args.seeds)
    if args.ch12_iterations is not None:
        B["ch12_iterations"] = args.ch12_iterations
    meta = run_meta(argv, parts, seeds, B)
    quiet_ray()
    start_ray(ray)
    try:
        ranges = run_parts(parts, seeds, B, meta, args.out)
    finally:
        ray.shutdown()
    return {"meta": meta, "ranges": ranges}


if __name__ == "__main__":
    main()
