"""bench/env_throughput.py runs and the env stays fast (a loose floor: CI is noisy)."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "env_throughput.py"


def test_env_throughput_benchmark_runs_and_is_fast(capsys):
    spec = importlib.util.spec_from_file_location("env_throughput", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--steps", "50000", "--repeats", "3"])
    out = capsys.readouterr().out
    assert "env steps/s" in out and result["episodes"] == 500
    # The target on these machines is >= 100k steps/s (median); a regression that
    # halves it (e.g. validation gone slow) fails here.
    assert result["median"] > 50_000, out
