"""bench/seed_ranges.py's --merge: runs of several parts and seeds joined per key."""

from __future__ import annotations

import importlib.util
import json

import pytest

from handson_rl.paths import ROOT


def _script():
    spec = importlib.util.spec_from_file_location("seed_ranges", ROOT / "bench" / "seed_ranges.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(path, done, ranges):
    meta = {"command": "python bench/seed_ranges.py", "date": "today", "done": done}
    meta.update(load_before=[0.1], load_after=[0.2], seconds={})
    path.write_text(json.dumps({"meta": meta, "ranges": ranges}))
    return path


def test_runs_of_main_and_ch08_over_the_same_seeds_merge_per_key(tmp_path):
    seed_ranges = _script()
    keys = ("ch03.last.agent1", "ch04.shared.agent1", "ch08.rise.agent1")
    a = _run(
        tmp_path / "a.json",
        {"main": [0], "shared": [0], "ch08": [0]},
        {k: {"values": [float(i)], "what": k} for i, k in enumerate(keys)},
    )
    b = _run(
        tmp_path / "b.json",
        {"main": [1], "shared": [1], "ch08": [1]},
        {k: {"values": [10.0 + i], "what": k} for i, k in enumerate(keys)},
    )
    merged = seed_ranges.merge([a, b], tmp_path / "out.json")["ranges"]
    assert {k: merged[k]["values"] for k in keys} == {
        "ch03.last.agent1": [0.0, 10.0],
        "ch04.shared.agent1": [1.0, 11.0],
        "ch08.rise.agent1": [2.0, 12.0],
    }
    assert merged["ch08.rise.agent1"]["seeds"] == [0, 1]


def test_a_seed_in_two_files_is_an_error(tmp_path):
    seed_ranges = _script()
    one = {"ch08.rise.agent1": {"values": [1.0], "what": "x"}}
    a = _run(tmp_path / "a.json", {"ch08": [3]}, one)
    b = _run(tmp_path / "b.json", {"ch08": [3]}, one)
    with pytest.raises(SystemExit, match="seed 3 is in two of the files"):
        seed_ranges.merge([a, b], tmp_path / "out.json")
