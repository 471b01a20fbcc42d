"""``handson-rl-train``: train the course's PPO agents from the command line.

The notebooks train interactively; this script does the same training as a
program, the way it runs on a server, on a cluster or as a Ray Job (chapter 10)::

    handson-rl-train --max-iterations 30 --stop-return 18 --checkpoint-dir outputs/run1
    python -m handson_rl.tools.cli --help

It prints one line per iteration (iteration, wall time, env steps, both agents'
mean returns in that iteration and agent1's mean over its last 100 episodes),
and at the end one JSON line with the summary, which scripts (and Ray Jobs) can
parse: it is the last line of the output and starts with ``{"summary":``.

Exit status: 0 when training ran (whether or not it reached ``--stop-return``),
2 for bad arguments (with a message saying what to change), 1 if training failed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

SUMMARY_KEY = "summary"
_ADDRESS = re.compile(r"^(auto|(ray://)?[A-Za-z0-9_.-]+:\d{1,5})$")


def _int_at_least(minimum: int):
    """An argparse type: a whole number >= ``minimum``, with a message saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            bound = "at least 1" if minimum == 1 else f"{minimum} or more"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _address(text: str) -> str:
    if not _ADDRESS.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Ray address; use HOST:PORT of the head node's GCS "
            "(e.g. 127.0.0.2:6379), or 'auto' to find a cluster started on this machine"
        )
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handson-rl-train",
        description=(
            "Train the course's two PPO agents (one module per agent) on "
            "MultiAgentArena with the course's settings, print one line per "
            "iteration and a final JSON summary line."
        ),
        epilog=(
            "Examples:\n"
            "  handson-rl-train --max-iterations 30 --stop-return 18\n"
            "  handson-rl-train --max-iterations 5 --checkpoint-dir outputs/cli_run\n"
            "  handson-rl-train --address 127.0.0.2:6379 --num-env-runners 2\n"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--max-iterations",
        type=_positive_int,
        default=30,
        metavar="N",
        help="stop after N training iterations (default: 30)",
    )
    parser.add_argument(
        "--stop-return",
        type=_finite_float,
        default=None,
        metavar="R",
        help="stop early once the mean return over the last 100 finished episodes "
        "reaches R (agent1's, or the combined one with --stop-on combined)",
    )
    parser.add_argument(
        "--stop-on",
        choices=("agent1", "combined"),
        default="agent1",
        help="which return --stop-return is about: agent1's or agent1 + agent2 (default: agent1)",
    )
    parser.add_argument(
        "--max-seconds",
        type=_finite_float,
        default=None,
        metavar="S",
        help="also stop once S seconds of training have passed",
    )
    parser.add_argument(
        "--checkpoint-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="save the trained algorithm there at the end (algo.save_to_path); "
        "restore it with Algorithm.from_checkpoint(DIR)",
    )
    parser.add_argument(
        "--seed", type=_non_negative_int, default=0, help="random seed (default: 0)"
    )
    parser.add_argument(
        "--num-env-runners",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="sampling processes (0 = sample in this process; default: the course's 2)",
    )
    parser.add_argument(
        "--num-envs-per-env-runner",
        type=_positive_int,
        default=None,
        metavar="N",
        help="boards each env runner steps at once (default: the course's 16)",
    )
    parser.add_argument(
        "--train-batch-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="env steps per iteration (default: the course's 2000)",
    )
    parser.add_argument(
        "--address",
        type=_address,
        default=None,
        help="connect to an existing Ray cluster at HOST:PORT (default: the "
        "RAY_ADDRESS environment variable, set inside a Ray Job; else start a local "
        "Ray instance for this run)",
    )
    parser.add_argument(
        "--num-cpus",
        type=_positive_int,
        default=None,
        metavar="N",
        help="CPUs of the local Ray instance (default: enough for the env runners; "
        "ignored with --address)",
    )
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Checks that need more than one argument, with messages that say what to change."""
    if args.checkpoint_dir is not None:
        path = args.checkpoint_dir.expanduser()
        if path.exists() and not path.is_dir():
            parser.error(f"--checkpoint-dir {str(path)!r} is a file; give a directory path.")
        if path.is_dir() and any(path.iterdir()) and not (path / "rllib_checkpoint.json").exists():
            parser.error(
                f"--checkpoint-dir {str(path)!r} is a non-empty directory that is not a "
                "checkpoint; give a new or empty directory so nothing is overwritten."
            )
    if args.stop_on == "combined" and args.stop_return is None:
        parser.error("--stop-on combined needs --stop-return R (the target to stop at).")
    if args.max_seconds is not None and args.max_seconds <= 0:
        parser.error(f"--max-seconds must be more than 0, got {args.max_seconds}.")
    if args.address is not None and args.num_cpus is not None:
        parser.error(
            "--num-cpus sizes a local Ray instance; with --address the cluster's own "
            "size counts. Drop one of them."
        )
    runners = args.num_env_runners
    if (
        args.address is None
        and args.num_cpus is not None
        and runners is not None
        and runners > args.num_cpus
    ):
        parser.error(
            f"--num-env-runners {runners} needs {runners} CPUs but --num-cpus is "
            f"{args.num_cpus}: each env runner takes one CPU. Lower the runners or raise "
            "--num-cpus."
        )


def _overrides(args: argparse.Namespace, course_settings: dict) -> dict:
    """The config settings the command line changes from the course's."""
    overrides = {}
    if args.num_env_runners is not None:
        overrides["num_env_runners"] = args.num_env_runners
    if args.num_envs_per_env_runner is not None:
        overrides["num_envs_per_env_runner"] = args.num_envs_per_env_runner
    if args.train_batch_size is not None:
        overrides["train_batch_size"] = args.train_batch_size
        overrides["minibatch_size"] = min(args.train_batch_size, course_settings["minibatch_size"])
    return overrides


def run(args: argparse.Namespace, out=None) -> dict:
    """Train as ``args`` say; print progress to ``out``; return the summary dict."""
    # Imported here, not at the top, so that `--help` and argument errors answer
    # at once instead of after loading Ray and RLlib (several seconds).
    from handson_rl.training.config import COURSE_SETTINGS, arena_ppo_config
    from handson_rl.training.session import ray_session

    out = out or sys.stdout
    overrides = _overrides(args, COURSE_SETTINGS)
    runners = overrides.get("num_env_runners", COURSE_SETTINGS["num_env_runners"])
    # Inside a Ray Job, Ray sets RAY_ADDRESS to the cluster the job runs on.
    address = args.address or os.environ.get("RAY_ADDRESS")
    with ray_session(
        num_cpus=args.num_cpus or max(2, runners), address=address, log_to_driver=False
    ):
        algo = arena_ppo_config(seed=args.seed, **overrides).build_algo()
        try:
            summary = train_algo(algo, args, out)
            summary["num_env_runners"] = runners
        finally:
            algo.stop()
    print(json.dumps({SUMMARY_KEY: summary}), file=out, flush=True)
    return summary


def train_algo(algo, args: argparse.Namespace, out) -> dict:
    """The run itself, through the course's loop (``train_until``); its summary dict."""
    from handson_rl.arena.env import AGENT1, AGENT2
    from handson_rl.training.loop import COMBINED, progress_text, train_until, window_key
    from handson_rl.training.results import fmt, rounded

    stop = (
        ""
        if args.stop_return is None
        else (f", stop at {args.stop_on} last-100 mean >= {args.stop_return}")
    )
    print(
        f"Training PPO on MultiAgentArena: up to {args.max_iterations} iterations{stop}, "
        f"{algo.config.num_env_runners} env runner(s), seed {args.seed}.",
        file=out,
        flush=True,
    )

    def show(row: dict) -> None:
        line = progress_text(row, row["iteration"], args.max_iterations)
        last100 = fmt(row[window_key(AGENT1)], "+6.1f", "   n/a")
        print(f"{line}  agent1 last-100 {last100}", file=out, flush=True)

    result = train_until(
        algo,
        args.stop_return,
        args.max_seconds,
        agent=AGENT1 if args.stop_on == "agent1" else COMBINED,
        max_iterations=args.max_iterations,
        on_iteration=show,
    )
    last = result.history[-1] if result.history else {}
    checkpoint = None
    if args.checkpoint_dir is not None:
        path = args.checkpoint_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        checkpoint = str(algo.save_to_path(str(path)))
    return {
        "iterations": result.iterations,
        "seconds": round(result.elapsed, 2),
        "env_steps": result.env_steps,
        "agent1_last100": rounded(last.get(window_key(AGENT1))),
        "agent2_last100": rounded(last.get(window_key(AGENT2))),
        "episodes": result.episodes,
        "stop_return": args.stop_return,
        "stop_on": args.stop_on,
        "reached": result.reached,
        "checkpoint": checkpoint,
        "seed": args.seed,
    }


def parse_summary(text: str) -> dict:
    """The summary dict from the output of a run (its last ``{"summary": ...}`` line)."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and f'"{SUMMARY_KEY}"' in line:
            return json.loads(line)[SUMMARY_KEY]
    raise ValueError("No summary line in this output; did the run finish?")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    try:
        run(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
