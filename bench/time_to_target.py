"""Time-to-target: how fast agent1 learns with the course's PPO setup vs. its peers.

    python bench/time_to_target.py [--seeds 0,1,2] [--only course,defaults,sb3]
                                   [--max-seconds 240] [--target 18]
                                   [--variant NAME:SETTING=VALUE[,SETTING=VALUE]] ...
                                   [--appo-variant NAME:SETTING=VALUE[,SETTING=VALUE]] ...

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
- ``appo``: RLlib's APPO (asynchronous sampling: the env runner keeps sampling
  while the learner learns, in another process), with APPO's own defaults for
  everything APPO-specific and the course's env, observation encoding, modules,
  network and discount (:data:`APPO_SETTINGS`, :func:`appo_config`).
  ``--appo-variant`` times it with settings changed, like ``--variant``.
- ``sb3``: Stable-Baselines3 PPO with its defaults, training agent1 against a
  uniformly random agent2 (:class:`handson_rl.arena.single_agent.SingleAgentView`); an easier
  game (agent2 never learns to chase), shown as the familiar reference. Needs the
  ``bench`` extra: ``pip install -e ".[bench]"``.
- ``sb3_1thread``: the same, with torch on one thread (``torch.set_num_threads(1)``).
  SB3's PPO steps one board at a time with a tiny network, where torch's thread
  pool costs more than it gives; one thread is the fair CPU setting, and makes the
  ratio less dependent on the machine's core count.

A run that has not reached the target after ``--max-seconds`` stops (at the end of
the iteration in progress) and counts as "not reached". Medians treat it as
infinitely slow. The table also shows how much CPU other processes used during each
run: measurements are only meaningful on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import time
from datetime import UTC

SETUPS = ("course", "defaults", "appo", "sb3", "sb3_1thread")
LABELS = {
    "course": "course (arena_ppo_config)",
    "defaults": "RLlib PPO defaults",
    "appo": "APPO (async sampling)",
    "sb3": "SB3 PPO defaults, vs random",
    "sb3_1thread": "SB3 PPO, 1 torch thread",
}

#: APPO on 2 CPUs. Everything not listed is ``APPOConfig()``'s default (read from
#: ray/rllib/algorithms/appo/appo.py and impala/impala.py in Ray 2.60): V-trace,
#: clip 0.4, lr 5e-4, 500 env steps per update, a circular buffer of 8 batches each
#: used twice, vf_loss_coeff 0.5, entropy_coeff 0.01, grad_clip 40.
APPO_SETTINGS = {
    # RLlib's default layout (2 env runners + 1 learner actor) needs 3 CPUs; on 2,
    # one env runner samples without pause while one learner actor learns.
    "num_env_runners": 1,
    "num_learners": 1,
    # As the course's PPO: 16 boards per runner, so one forward pass acts on 16.
    "num_envs_per_env_runner": 16,
    # An APPO iteration is a reporting period [at least 10 s], and the target is
    # checked once per iteration: 0.5 s is about as often as the course's PPO reports.
    "min_time_s_per_iteration": 0.5,
    # The course's network and GAE lambda [[256, 256], 1.0]; gamma is 0.99 in both.
    "fcnet_hiddens": [64, 64],
    "lambda_": 0.95,
    # APPO's own defaults, listed so that --appo-variant can change them.
    "lr": 5e-4,
    "train_batch_size": 500,
    "entropy_coeff": 0.01,
}


from cpu_load import OtherLoad  # noqa: E402  (bench/ is the script's folder)


@contextlib.contextmanager
def one_torch_thread():
    """Run the block with torch on one thread, as in an env runner actor (Ray sets OMP_NUM_THREADS=1)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def label(name: str, variants: dict | None = None) -> str:
    """A setup's name in the tables; a variant is its base setup (course or appo) with changes."""
    if name in LABELS:
        return LABELS[name]
    base = (variants or {}).get(name, ("course",))[0]
    return f"{'APPO' if base == 'appo' else 'course'}, {name}"


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


def appo_config(seed: int | None = None, **overrides):
    """APPO on the arena with :data:`APPO_SETTINGS` (``overrides`` replace them)."""
    from ray.rllib.algorithms.appo import APPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    from handson_rl.arena.env import MultiAgentArena
    from handson_rl.training.config import agent_to_module, one_hot_observations
    from handson_rl.training.results import record_episode_returns

    s = {**APPO_SETTINGS, **overrides}
    config = (
        APPOConfig()
        .environment(MultiAgentArena, normalize_actions=False)
        .env_runners(
            num_env_runners=s["num_env_runners"],
            num_envs_per_env_runner=s["num_envs_per_env_runner"],
            env_to_module_connector=one_hot_observations,
        )
        .learners(num_learners=s["num_learners"])
        .multi_agent(policies=["p1", "p2"], policy_mapping_fn=agent_to_module)
        .training(
            lr=s["lr"],
            lambda_=s["lambda_"],
            entropy_coeff=s["entropy_coeff"],
            train_batch_size_per_learner=s["train_batch_size"],
        )
        .rl_module(model_config=DefaultModelConfig(fcnet_hiddens=list(s["fcnet_hiddens"])))
        .callbacks(on_episode_end=record_episode_returns)
        .reporting(min_time_s_per_iteration=s["min_time_s_per_iteration"])
        .fault_tolerance(restart_failed_env_runners=False)
    )
    return config if seed is None else config.debugging(seed=seed)


def run_rllib(
    setup: str, seed: int, target: float, max_seconds: float, overrides: dict | None = None
) -> dict:
    """``setup`` is course, defaults or appo; a variant is its base setup with ``overrides``."""
    from handson_rl.training.config import arena_ppo_config, rllib_default_ppo_config

    if setup == "appo":
        config = appo_config(seed=seed, **(overrides or {}))
    elif setup == "course":
        config = arena_ppo_config(seed=seed, **(overrides or {}))
    else:
        config = rllib_default_ppo_config(seed=seed)
    return train_config(config, target, max_seconds)


def _sb3():
    """Stable-Baselines3's PPO and BaseCallback, or a clear exit if it is not installed."""
    try:
        from stable_baselines3 import PPO
        from stable_baselines3.common.callbacks import BaseCallback
    except ImportError as err:
        raise SystemExit(
            'The sb3 setups need Stable-Baselines3: pip install -e ".[bench]" '
            "(or leave them out: --only course,defaults,appo)."
        ) from err
    return PPO, BaseCallback


def stop_at_target(base_callback, target: float, max_seconds: float):
    """An SB3 callback that stops once SB3's own 100-episode window (``ep_info_buffer``) reaches target.

    SB3 adds a finished episode to the buffer just *after* calling ``_on_step``,
    so the buffer is checked on the step after an episode ended, and at the end
    of each rollout (before SB3 spends time on the update). Set ``.start``
    (``time.perf_counter()``) right before ``learn()``.
    """

    class StopAtTarget(base_callback):
        def _on_training_start(self) -> None:
            self.reached_at = None
            self.pending = False

        def _check(self) -> None:
            buffer = self.model.ep_info_buffer
            if self.reached_at is None and len(buffer) >= 100:
                if statistics.fmean(e["r"] for e in buffer) >= target:
                    self.reached_at = time.perf_counter() - self.start

        def _on_rollout_end(self) -> None:
            self._check()

        def _on_step(self) -> bool:
            if self.pending:
                self._check()
            self.pending = bool(self.locals["dones"].any())
            if self.reached_at is not None:
                return False
            return time.perf_counter() - self.start < max_seconds

    return StopAtTarget()


def run_sb3(seed: int, target: float, max_seconds: float, one_thread: bool = False) -> dict:
    """SB3's PPO at its defaults; ``one_thread``: with torch on one thread for the run."""
    if one_thread:
        with one_torch_thread():
            return run_sb3(seed, target, max_seconds)
    PPO, BaseCallback = _sb3()
    from handson_rl.arena.single_agent import SingleAgentView

    env = SingleAgentView(agent="agent1")  # agent2 moves uniformly at random
    model = PPO("MlpPolicy", env, seed=seed, device="cpu")
    callback = stop_at_target(BaseCallback, target, max_seconds)
    with OtherLoad() as load:
        callback.start = time.perf_counter()
        model.learn(total_timesteps=10**9, callback=callback)
        elapsed = time.perf_counter() - callback.start
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


def table(
    results: dict[str, list[dict]],
    seeds: list[int],
    target: float,
    cap: float,
    variants: dict | None = None,
) -> str:
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
                f"{label(name, variants):<28} {seed:>4} {shown:>22} {run['env_steps']:>10,} "
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
        lines.append(f"{label(name, variants):<28} {shown:>22} {steps:>17,.0f} {ratio:>12}")
    busy = [
        r for runs in results.values() for r in runs if r["other_cpu_s"] > 0.1 * r["seconds"] + 1
    ]
    if busy:
        lines += [
            "",
            f"WARNING: other processes used noticeable CPU during {len(busy)} run(s) "
            "(column 'other CPU'); those times are too slow. Re-run on an idle machine.",
        ]
    return "\n".join(lines)


def parse_variant(text: str, base: str = "course") -> tuple[str, dict]:
    """``"mb1000:minibatch_size=1000,lr=0.005"`` -> ``("mb1000", {...})``, checked against ``base``'s settings."""
    import ast
    import re

    from handson_rl.training.config import COURSE_SETTINGS

    settings = COURSE_SETTINGS if base == "course" else APPO_SETTINGS
    name, sep, rest = text.partition(":")
    if not sep or not name.strip() or not rest.strip():
        raise ValueError(
            f"--variant {text!r}: write NAME:SETTING=VALUE[,SETTING=VALUE], e.g. mb1000:minibatch_size=1000"
        )
    overrides = {}
    for item in re.split(
        r",\s*(?=\w+\s*=)", rest
    ):  # a comma before the next SETTING=, not inside [32, 32]
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in settings:
            raise ValueError(
                f"--variant {text!r}: {key!r} is not one of the {base} settings {sorted(settings)}"
            )
        try:
            overrides[key] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            overrides[key] = value.strip()
    return name.strip(), overrides


def parse_args(argv=None) -> argparse.Namespace:
    """The command line; adds ``seeds``, ``setups`` (in run order) and ``variants`` {name: (base, overrides)}."""
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
        "--json",
        help="also write every run to this JSON file (the website plots bench/results/time_to_target.json)",
    )
    for base in ("course", "appo"):
        flag = "--variant" if base == "course" else "--appo-variant"
        parser.add_argument(
            flag,
            action="append",
            default=[],
            metavar="NAME:SETTING=VALUE[,...]",
            help=f"also time the {base} setup with these settings changed (repeatable), "
            "e.g. mb1000:minibatch_size=1000",
        )
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    setups = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(setups) - set(SETUPS))
    if unknown or not setups or not args.seeds:
        parser.error(
            f"--only takes a subset of {','.join(SETUPS)} (got {unknown or setups}); --seeds at least one"
        )
    args.variants = {}
    for base, texts in (("course", args.variant), ("appo", args.appo_variant)):
        for text in texts:
            try:
                name, overrides = parse_variant(text, base)
            except ValueError as err:
                parser.error(str(err))
            if name in SETUPS or name in args.variants:
                parser.error(f"variant name {name!r} is taken; choose another")
            args.variants[name] = (base, overrides)
    args.setups = run_order(setups, args.variants)
    return args


def run_order(setups: list[str], variants: dict[str, tuple[str, dict]]) -> list[str]:
    """Each variant right after its base setup (or at the end), so the two compare closely."""
    order = list(setups)
    for name, (base, _) in variants.items():
        at = (
            max(i for i, s in enumerate(order) if s == base or variants.get(s, ("",))[0] == base)
            + 1
            if base in order
            else len(order)
        )
        order.insert(at, name)
    return order


def run_one(name: str, seed: int, args) -> dict:
    """One run of setup (or variant) ``name`` with ``seed``, printed as it ends."""
    if name in ("sb3", "sb3_1thread"):
        run = run_sb3(seed, args.target, args.max_seconds, one_thread=name == "sb3_1thread")
    else:
        base, overrides = args.variants.get(name, (name, None))
        run = run_rllib(base, seed, args.target, args.max_seconds, overrides)
    print(
        f"{label(name, args.variants)}, seed {seed}: "
        f"{_fmt_time(_time(run), run['seconds'])}, {run['env_steps']:,} env steps, "
        f"last-100 mean {run['final_mean']:.1f}",
        flush=True,
    )
    return run


def main(argv=None) -> dict:
    import os

    import ray

    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    rllib_setups = [s for s in args.setups if not s.startswith("sb3")]
    if rllib_setups:
        ray.init(num_cpus=2, include_dashboard=False)
    results: dict[str, list[dict]] = {}
    try:
        for name in args.setups:
            results[name] = [run_one(name, seed, args) for seed in args.seeds]
    finally:
        if rllib_setups:
            ray.shutdown()
    print()
    print(table(results, args.seeds, args.target, args.max_seconds, args.variants))
    for name, (base, overrides) in args.variants.items():
        maker = "arena_ppo_config" if base == "course" else "appo_config"
        print(
            f"{label(name, args.variants)} = {maker}({', '.join(f'{k}={v!r}' for k, v in overrides.items())})"
        )
    args.load = (load_before, os.getloadavg()[0])
    print(f"load average (1 min) before {args.load[0]:.2f}, after {args.load[1]:.2f}")
    if args.json:
        write_json(args.json, results, args)
    return results


def write_json(path: str, results: dict, args) -> None:
    import json
    import os
    from datetime import datetime
    from pathlib import Path

    from handson_rl.maintainers.stamp import installed_versions

    runs = [
        {
            "setup": label(name, args.variants),
            "seed": seed,
            **{k: v for k, v in run.items() if _plain(v)},
        }
        for name, name_runs in results.items()
        for seed, run in zip(args.seeds, name_runs)
    ]
    data = {
        "command": " ".join(["python bench/time_to_target.py", *args.argv]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": installed_versions(),
        "cpus": os.cpu_count(),
        "load_before": round(args.load[0], 2),
        "load_after": round(args.load[1], 2),
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
