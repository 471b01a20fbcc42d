"""The training command line: help, argument errors, and a tiny real run."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from handson_rl.tools import cli

ROOT = Path(__file__).resolve().parents[1]


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["handson-rl-train"] == "handson_rl.tools.cli:main"


def test_help_lists_every_option():
    out = subprocess.run(
        [sys.executable, "-m", "handson_rl.tools.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for option in (
        "--max-iterations",
        "--stop-return",
        "--stop-on",
        "--checkpoint-dir",
        "--seed",
        "--num-env-runners",
        "--address",
        "--max-seconds",
    ):
        assert option in out
    assert out.startswith("usage: handson-rl-train")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max-iterations", "0"], "--max-iterations: must be at least 1, got 0"),
        (["--max-iterations", "ten"], "expected a whole number, got 'ten'"),
        (["--stop-return", "nan"], "must be a finite number"),
        (["--num-env-runners", "-1"], "must be 0 or more"),
        (["--address", "not an address"], "is not a Ray address"),
        (["--stop-on", "agent2"], "invalid choice: 'agent2'"),
        (["--stop-on", "combined"], "--stop-on combined needs --stop-return"),
        (["--max-seconds", "0"], "--max-seconds must be more than 0"),
        (["--address", "127.0.0.2:6379", "--num-cpus", "2"], "Drop one of them"),
        (["--num-env-runners", "3", "--num-cpus", "2"], "each env runner takes one CPU"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(capsys, argv, message):
    assert message in _error(capsys, argv)


def test_checkpoint_dir_must_not_clobber_other_files(capsys, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert "is a file" in _error(capsys, ["--checkpoint-dir", str(a_file)])
    assert "non-empty directory that is not a checkpoint" in _error(
        capsys, ["--checkpoint-dir", str(tmp_path)]
    )


def test_parse_summary_finds_the_last_summary_line():
    text = 'iter 1 ...\n{"summary": {"iterations": 1}}\nnoise\n{"summary": {"iterations": 2}}\n'
    assert cli.parse_summary(text) == {"iterations": 2}
    with pytest.raises(ValueError, match="No summary line"):
        cli.parse_summary("iter 1 ...\n")


def test_tiny_run_prints_progress_and_a_checkpoint_that_restores(ray_session, tmp_path, capsys):
    from ray.rllib.algorithms.algorithm import Algorithm

    ckpt = tmp_path / "run"
    code = cli.main(
        [
            "--max-iterations",
            "2",
            "--num-env-runners",
            "0",
            "--num-envs-per-env-runner",
            "4",
            "--train-batch-size",
            "400",
            "--seed",
            "3",
            "--checkpoint-dir",
            str(ckpt),
            "--stop-return",
            "1000",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("iteration ")]
    assert len(lines) == 2, out
    for line in lines:
        for part in (" s  env steps ", "agent1 ", "agent2 ", "agent1 last-100 "):
            assert part in line
    summary = cli.parse_summary(out)
    assert summary["iterations"] == 2
    assert summary["env_steps"] >= 800
    assert summary["reached"] is False  # a return of 1000 is out of reach
    assert summary["checkpoint"] == str(ckpt.resolve())
    assert summary["episodes"] >= 1 and summary["agent1_last100"] is not None

    restored = Algorithm.from_checkpoint(summary["checkpoint"])
    try:
        assert restored.iteration == 2
        assert set(restored.config.policies) == {"p1", "p2"}
    finally:
        restored.stop()


class _FakeAlgo:
    """Canned results (no Ray): agent1 and agent2 finish 50 episodes per iteration."""

    class config:  # noqa: N801 - stands in for the AlgorithmConfig attribute
        num_env_runners = 0

    def __init__(self, agent1_returns, agent2_return=-5.0):
        self.queue = list(agent1_returns)
        self.calls = 0

        self.agent2_return = agent2_return

    def train(self):
        from handson_rl.training.results import EPISODE_RETURNS_KEY

        self.calls += 1
        value = self.queue.pop(0)
        per_episode = {"agent1": [value] * 50, "agent2": [self.agent2_return] * 50}
        return {
            "training_iteration": self.calls,
            "time_this_iter_s": 0.1,
            "env_runners": {
                "num_episodes": 50,
                "num_env_steps_sampled_lifetime": 1000 * self.calls,
                EPISODE_RETURNS_KEY: per_episode,
            },
        }


@pytest.mark.parametrize(
    ("stop_on", "stop_return", "iterations", "reached"),
    [("agent1", 18.0, 2, True), ("combined", 18.0, 4, True), ("agent1", None, 4, False)],
)
def test_train_algo_stops_through_train_until(capsys, stop_on, stop_return, iterations, reached):
    """The command's stop rule is train_until's: a full 100-episode window at the target
    (agent1's, or agent1's plus agent2's with --stop-on combined)."""
    args = cli.build_parser().parse_args(
        ["--max-iterations", "4", "--stop-on", stop_on]
        + ([] if stop_return is None else ["--stop-return", "18"])
    )
    summary = cli.train_algo(_FakeAlgo([30.0, 10.0, 26.0, 30.0]), args, sys.stdout)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("iteration ")]
    assert len(lines) == iterations and "agent1 last-100" in lines[-1]
    assert summary["iterations"] == iterations and summary["reached"] is reached
    assert summary["episodes"] == 50 * iterations and summary["env_steps"] == 1000 * iterations
