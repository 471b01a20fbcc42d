"""The training command line: help, argument errors, and a tiny real run."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from handson_rl.training import cli

ROOT = Path(__file__).resolve().parents[1]


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["handson-rl-train"] == "handson_rl.training.cli:main"


def test_help_lists_every_option():
    out = subprocess.run(
        [sys.executable, "-m", "handson_rl.training.cli", "--help"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    for option in (
        "--max-iterations", "--stop-return", "--stop-on", "--checkpoint-dir", "--seed",
        "--num-env-runners", "--address", "--max-seconds",
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
    code = cli.main([
        "--max-iterations", "2", "--num-env-runners", "0", "--num-envs-per-env-runner", "4",
        "--train-batch-size", "400", "--seed", "3", "--checkpoint-dir", str(ckpt),
        "--stop-return", "1000",
    ])
    assert code == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("iter ")]
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
