"""Time-to-target: how fast agent1 learns with the course's PPO setup vs. its peers.

    python bench/time_to_target.py [--seeds 0,1,2] [--only course,defaults,sb3]
                                   [--max-seconds 240] [--target 18]
                                   [--variant NAME:SETTING=VALUE[,SETTING=VALUE]] ...

Time-to-target (docs/conventions.md, "Time to target") is the wall time from the first ``train()``
call (SB3: from ``learn()``) until agent1's mean return over its last 100 finished
episodes reaches the target (18). Building the algorithm is not timed. Setups, each
run once per seed, one after the other in this one process (never two at once):

- ``course``: :func:`handson_rl.training.arena_ppo_config`, both modules p1/p2 trained.
- ``defaults``: RLlib's PPO defaults (:func:`handson_rl.training.rllib_default_ppo_config`:
  only the one-hot connector and the p1/p2 mapping added), both modules trained.
- ``--variant mb1000:minibatch_size=1000``: the course setup with some of its
  settings changed (:data:`handson_rl.training.config.COURSE_SETTINGS` names),
  timed in the same process, after the course setup: to measure a lever before
  changing the course.
- ``sb3``: Stable-Baselines3 PPO with its defaults, training agent1 against a
  uniformly random agent2 (:class:`handson_rl.arena.single_agent.SingleAgentView`); an easier
  game (agent2 never learns to chase), shown as the familiar reference. Needs the
  ``bench`` extra: ``pip install -e ".[bench]"``.

A run that has not reached the target after ``--max-seconds`` stops (at the end of
the iteration in progress) and counts as "not reached". Medians treat it as
infinitely slow. The table also shows how much CPU other processes used during each
run: measurements are only meaningful on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

SETUPS = ("course", "defaults", "sb3")
LABELS = {
    "course": "course (arena_ppo_config)",
    "defaults": "RLlib PPO defaults",
    "sb3": "SB3 PPO defaults, vs random",
}


from _load import OtherLoad  # noqa: E402  (bench/ is the script's folder)


def label(name: str) -> str:
    """A setup's name in the tables; a ``--variant`` is the course setup with changes."""
    return LABELS.get(name, f"course, {name}")


# ------------------------------------------------------------------- setups
def train_config(config, target: float, max_seconds: float) -> dict:
    """Build ``config``'s algorithm and train it until agent1's target (timing only training)."""
    from handson_rl.training.loop import train_until

    algo = config.build_algo()
    try:
        with OtherLoad() as load:
            out = train_until(algo, target, max_seconds)
    finally:
        algo.stop()
    return {
        "reached": out.reached,
        "seconds": out.seconds if out.reached else out.elapsed,
        "env_steps": out.env_steps,
        "final_mean": out.window_mean,
        "other_cpu_s": load.seconds,
    }


def run_rllib(setup: str, seed: int, target: float, max_seconds: float, overrides: dict | None = None) -> dict:
    from handson_rl.training.config import arena_ppo_config, rllib_default_ppo_config

    if setup == "course" or overrides is not None:
        config = arena_ppo_config(seed=seed, **(overrides or {}))
    else:
        config = rllib_default_ppo_config(seed=seed)
    return train_config(config, target, max_seconds)


def run_sb3(seed: int, target: float, max_seconds: float) -> dict:
    try:
        from stable_baselines3 import PPO
        from stable_baselines3.common.callbacks import BaseCallback
    except ImportError as err:
        raise SystemExit(
            "The sb3 setup needs Stable-Baselines3: pip install -e \".[bench]\" "
            "(or leave it out: --only course,defaults)."
        ) from err
    from handson_rl.arena.single_agent import SingleAgentView

    class StopAtTarget(BaseCallback):
        """Stop once SB3's own 100-episode window (``ep_info_buffer``) reaches target.

        SB3 adds a finished episode to the buffer just *after* calling ``_on_step``,
        so the buffer is checked on the step after an episode ended, and at the end
        of each rollout (before SB3 spends time on the update).
        """

        def _on_training_start(self) -> None:
            self.reached_at = None
            self.pending = False

        def _check(self) -> None:
            buffer = self.model.ep_info_buffer
            if self.reached_at is None and len(buffer) >= 100:
                if statistics.fmean(e["r"] for e in buffer) >= target:
                    self.reached_at = time.perf_counter() - start

        def _on_rollout_end(self) -> None:
            self._check()

        def _on_step(self) -> bool:
            if self.pending:
                self._check()
            self.pending = bool(self.locals["dones"].any())
            if self.reached_at is not None:
                return False
            return time.perf_counter() - start < max_seconds

    env = SingleAgentView(agent="agent1")  # agent2 moves uniformly at random
    model = PPO("MlpPolicy", env, seed=seed, device="cpu")
    callback = StopAtTarget()
    with OtherLoad() as load:
        start = time.perf_counter()
        model.learn(total_timesteps=10**9, callback=callback)
        elapsed = time.perf_counter() - start
    buffer = model.ep_info_buffer
    reached = callback.reached_at is not None
    return {
        "reached": reached,
        "seconds": callback.reached_at if reached else elapsed,
        "env_steps": int(model.num_timesteps),
        "final_mean": statistics.fmean(e["r"] for e in buffer) if buffer else math.nan,
        "other_cpu_s": load.seconds,
    }


# -------------------------------------------------------------------- table
def _time(run: dict) -> float:
    return run["seconds"] if run["reached"] else math.inf


def _fmt_time(seconds: float, cap: float) -> str:
    return f"not reached in {cap:.0f} s" if math.isinf(seconds) else f"{seconds:.1f} s"


def table(results: dict[str, list[dict]], seeds: list[int], target: float, cap: float) -> str:
    lines = [
        f"Time until agent1's mean return over its last 100 episodes >= {target:g} "
        f"(wall time from the first train()/learn() call; cap {cap:.0f} s per run)",
        "",
        f"{'setup':<28} {'seed':>4} {'time-to-target':>22} {'env steps':>10} "
        f"{'last-100 mean':>14} {'other CPU':>10}",
    ]
    medians = {name: statistics.median(_time(r) for r in runs) for name, runs in results.items()}
    for name, runs in results.items():
        for seed, run in zip(seeds, runs):
            shown = _fmt_time(_time(run), run["seconds"])
            lines.append(
                f"{label(name):<28} {seed:>4} {shown:>22} {run['env_steps']:>10,} "
                f"{run['final_mean']:>14.1f} {run['other_cpu_s']:>8.1f} s"
            )
    lines += ["", f"{'setup':<28} {'median':>22} {'median env steps':>17} {'vs course':>12}"]
    base = medians.get("course")
    for name, runs in results.items():
        med = medians[name]
        steps = statistics.median(r["env_steps"] for r in runs)
        if base is None or math.isinf(base):
            ratio = "n/a"
        elif math.isinf(med):
            # Not reached: it took at least the cap.
            ratio = f"> {min(r['seconds'] for r in runs) / base:.1f}x"
        else:
            ratio = f"{med / base:.2f}x"
        shown = _fmt_time(med, max(r["seconds"] for r in runs))
        lines.append(f"{label(name):<28} {shown:>22} {steps:>17,.0f} {ratio:>12}")
    busy = [r for runs in results.values() for r in runs if r["other_cpu_s"] > 0.1 * r["seconds"] + 1]
    if busy:
        lines += [
            "",
            f"WARNING: other processes used noticeable CPU during {len(busy)} run(s) "
            "(column 'other CPU'); those times are too slow. Re-run on an idle machine.",
        ]
    return "\n".join(lines)


def parse_variant(text: str) -> tuple[str, dict]:
    """``"mb1000:minibatch_size=1000,lr=0.005"`` -> ``("mb1000", {...})``, checked against the course settings."""
    import ast
    import re

    from handson_rl.training.config import COURSE_SETTINGS

    name, sep, rest = text.partition(":")
    if not sep or not name.strip() or not rest.strip():
        raise ValueError(f"--variant {text!r}: write NAME:SETTING=VALUE[,SETTING=VALUE], e.g. mb1000:minibatch_size=1000")
    overrides = {}
    for item in re.split(r",\s*(?=\w+\s*=)", rest):  # a comma before the next SETTING=, not inside [32, 32]
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in COURSE_SETTINGS:
            raise ValueError(f"--variant {text!r}: {key!r} is not one of the course settings {sorted(COURSE_SETTINGS)}")
        try:
            overrides[key] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            overrides[key] = value.strip()
    return name.strip(), overrides


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument(
        "--only", default=",".join(SETUPS), help=f"comma-separated subset of {','.join(SETUPS)}"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=240.0, help="cap per run, in seconds (default 240)"
    )
    parser.add_argument("--target", type=float, default=18.0, help="agent1's target (default 18)")
    parser.add_argument(
        "--json", help="also write every run to this JSON file (the website plots bench/results/time_to_target.json)"
    )
    parser.add_argument(
        "--variant", action="append", default=[], metavar="NAME:SETTING=VALUE[,...]",
        help="also time the course setup with these settings changed (repeatable), e.g. mb1000:minibatch_size=1000",
    )
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    setups = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(setups) - set(SETUPS))
    if unknown or not setups or not seeds:
        parser.error(f"--only takes a subset of {','.join(SETUPS)} (got {unknown or setups}); --seeds at least one")
    variants = {}
    for text in args.variant:
        try:
            name, overrides = parse_variant(text)
        except ValueError as err:
            parser.error(str(err))
        if name in SETUPS or name in variants:
            parser.error(f"--variant name {name!r} is taken; choose another")
        variants[name] = overrides
    # Variants run right after the course setup (before sb3), so the two compare closely.
    at = setups.index("course") + 1 if "course" in setups else len(setups)
    setups[at:at] = list(variants)

    import ray

    rllib_setups = [s for s in setups if s != "sb3"]
    if rllib_setups:
        ray.init(num_cpus=2, include_dashboard=False)
    results: dict[str, list[dict]] = {}
    try:
        for name in setups:
            results[name] = []
            for seed in seeds:
                if name == "sb3":
                    run = run_sb3(seed, args.target, args.max_seconds)
                else:
                    run = run_rllib(name, seed, args.target, args.max_seconds, variants.get(name))
                results[name].append(run)
                print(
                    f"{label(name)}, seed {seed}: "
                    f"{_fmt_time(_time(run), run['seconds'])}, {run['env_steps']:,} env steps, "
                    f"last-100 mean {run['final_mean']:.1f}",
                    flush=True,
                )
    finally:
        if rllib_setups:
            ray.shutdown()
    print()
    print(table(results, seeds, args.target, args.max_seconds))
    for name, overrides in variants.items():
        print(f"course, {name} = arena_ppo_config({', '.join(f'{k}={v!r}' for k, v in overrides.items())})")
    if args.json:
        write_json(args.json, results, seeds, args)
    return results


def write_json(path: str, results: dict, seeds: list[int], args) -> None:
    import json
    import os
    from datetime import datetime, timezone
    from pathlib import Path

    from handson_rl.maintainers.site import installed_versions

    runs = [
        {"setup": label(name), "seed": seed, **{k: v for k, v in run.items() if _plain(v)}}
        for name, name_runs in results.items()
        for seed, run in zip(seeds, name_runs)
    ]
    data = {
        "command": "python bench/time_to_target.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "json"),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": installed_versions(),
        "cpus": os.cpu_count(),
        "target": args.target,
        "max_seconds": args.max_seconds,
        "runs": runs,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path}")


def _plain(value) -> bool:
    return isinstance(value, (bool, int, float, str)) or value is None


if __name__ == "__main__":
    main()
