"""bench/env_throughput.py runs, reports what it measured, and the env stays fast."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "env_throughput.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("env_throughput", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_env_throughput_benchmark_runs_and_reports(bench, capsys):
    result = bench.main(["--steps", "5000", "--repeats", "2"])
    out = capsys.readouterr().out
    assert "env steps/s (median of 2 x 5,000 steps" in out
    assert len(result["rates"]) == 2 and all(rate > 0 for rate in result["rates"])
    assert result["median"] == pytest.approx(sum(result["rates"]) / 2)
    # 5,000 steps of 100-step episodes; random play's returns stay in their ranges.
    assert result["episodes"] == 50
    assert -100 <= result["agent1"] <= 99 and -10 <= result["agent2"] <= 100


@pytest.mark.timing
def test_env_is_fast(bench, capsys):
    # The target on these machines is >= 100k steps/s (median); a regression that
    # halves it (e.g. validation gone slow) fails here. The best of 3 repeats: other
    # load on the machine only ever slows a repeat down.
    result = bench.main(["--steps", "50000", "--repeats", "3"])
    assert max(result["rates"]) > 50_000, capsys.readouterr().out


def _time_to_target():
    import sys

    sys.path.insert(0, str(BENCH.parent))  # time_to_target imports bench/_load.py
    spec = importlib.util.spec_from_file_location("time_to_target", BENCH.parent / "time_to_target.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_time_to_target_variants_are_course_settings():
    ttt = _time_to_target()
    assert ttt.parse_variant("mb1000:minibatch_size=1000, lr=0.005") == ("mb1000", {"minibatch_size": 1000, "lr": 0.005})
    assert ttt.parse_variant("nets:fcnet_hiddens=[32, 32]") == ("nets", {"fcnet_hiddens": [32, 32]})
    with pytest.raises(ValueError, match="not one of the course settings"):
        ttt.parse_variant("x:learning_rate=0.1")
    with pytest.raises(ValueError, match="NAME:SETTING=VALUE"):
        ttt.parse_variant("minibatch_size=1000")
