"""How fast ``mean_returns`` evaluates trained agents, with and without memoized policies.

    python bench/evaluation_speed.py [--episodes 300] [--repeats 3]

Chapters 6, 7 and 12 (and the learning-claim tests) evaluate trained modules by
playing hundreds of episodes with Exercise 1's loop, one forward pass per agent
and step. ``mean_returns`` plays them inside each ``ModulePolicy``'s
``memoized()`` block, so an observation met again costs a lookup. This script
plays chapter 12's two matchups with trained agents (the course's pre-trained
modules: trained vs trained, trained agent1 vs random agent2) both ways,
alternating, in this one process, checks that the returns are identical, and
prints the median time of each.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from cpu_load import OtherLoad  # bench/ is the script's folder


class _WithoutMemo:
    """The same policy, minus ``memoized()``: mean_returns computes every step."""

    def __init__(self, policy):
        self.act = policy.act


def evaluate(modules, episodes: int, memo: bool) -> tuple[float, list[dict], dict]:
    """(seconds, each matchup's returns, counts): with ``memo``, ``counts`` has the trained
    agents' actions and the distinct (agent, observation) pairs among them."""
    from handson_rl.arena.rollout import mean_returns, random_policies
    from handson_rl.training.policies import trained_policies

    trained = trained_policies(modules, seed=100)
    random = random_policies(seed=200)
    matchups = [
        {"agent1": trained["agent1"], "agent2": trained["agent2"]},
        {"agent1": trained["agent1"], "agent2": random["agent2"]},
    ]
    results, counts = [], {"actions": 0, "distinct": 0}
    start = time.perf_counter()
    for policies in matchups:
        if not memo:
            policies = {agent: _WithoutMemo(policy) for agent, policy in policies.items()}
        mine = [p for p in policies.values() if hasattr(p, "memoized")]
        with contextlib.ExitStack() as stack:
            for (
                policy
            ) in mine:  # an outer block: its memory outlives mean_returns' own, to be counted
                stack.enter_context(policy.memoized())
            results.append(mean_returns(policies, episodes=episodes, seed=10_000))
            counts["actions"] += 100 * episodes * len(mine)
            counts["distinct"] += sum(len(policy._memo) for policy in mine)
    return time.perf_counter() - start, results, counts


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from handson_rl.training.pretrained import load_pretrained

    modules = load_pretrained()
    times: dict[str, list[float]] = {"without memo": [], "memoized": []}
    outcomes = {}
    with OtherLoad() as load:
        for _ in range(args.repeats):
            for name in times:
                seconds, results, counts = evaluate(modules, args.episodes, memo=name == "memoized")
                if name == "memoized":
                    memo_counts = counts
                times[name].append(seconds)
                outcomes.setdefault(name, results)
                if results != outcomes[name]:
                    raise AssertionError(f"{name}: a repeat gave different returns")
    if outcomes["memoized"] != outcomes["without memo"]:
        raise AssertionError(f"memoized returns differ: {outcomes}")
    base = statistics.median(times["without memo"])
    print(
        f"mean_returns, 2 matchups x {args.episodes:,} episodes (chapter 12's trained-agent matchups), "
        f"median of {args.repeats} (other CPU {load.seconds:.1f} s):"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:13} {median:6.2f} s  ({median / base:.2f}x)   runs: "
            + ", ".join(f"{v:.2f}" for v in values)
        )
    print(
        f"{memo_counts['actions']:,} actions by trained agents, "
        f"{memo_counts['distinct']:,} distinct (agent, observation) pairs"
    )
    first = outcomes["memoized"][0]
    print(
        f"identical returns both ways (trained vs trained: agent1 {first['agent1']['mean']:+.2f}, "
        f"agent2 {first['agent2']['mean']:+.2f})"
    )
    return {"times": times, "outcomes": outcomes}


if __name__ == "__main__":
    main()
