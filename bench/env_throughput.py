"""Raw MultiAgentArena throughput: env steps per second, one process, random actions.

    python bench/env_throughput.py [--steps 200000] [--repeats 5]

Random actions are drawn up front (NumPy), so the figure measures the env itself
(validation included), not the random number generator. Prints the median and the
spread over repeats, and the random-play returns per episode as a sanity check.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from handson_rl.arena.env import MultiAgentArena


def measure(steps: int, seed: int = 0) -> tuple[float, dict]:
    env = MultiAgentArena()
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, 4, size=(steps, 2)).tolist()
    env.reset(seed=seed)
    totals = {"agent1": 0.0, "agent2": 0.0}
    episodes = 0
    step = env.step
    start = time.perf_counter()
    for a1, a2 in actions:
        _, _, _, truncateds, _ = step({"agent1": a1, "agent2": a2})
        if truncateds["__all__"]:
            totals["agent1"] += env.returns["agent1"]
            totals["agent2"] += env.returns["agent2"]
            episodes += 1
            env.reset()
    elapsed = time.perf_counter() - start
    means = {k: v / max(episodes, 1) for k, v in totals.items()}
    return steps / elapsed, {"episodes": episodes, **means}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rates, stats = [], {}
    for r in range(args.repeats):
        rate, stats = measure(args.steps, seed=r)
        rates.append(rate)
    median = statistics.median(rates)
    print(
        f"MultiAgentArena: {median:,.0f} env steps/s (median of {args.repeats} x "
        f"{args.steps:,} steps; min {min(rates):,.0f}, max {max(rates):,.0f})"
    )
    print(
        f"random play over {stats['episodes']} episodes: agent1 {stats['agent1']:+.2f}, "
        f"agent2 {stats['agent2']:+.2f} mean return per episode"
    )
    return {"median": median, "rates": rates, **stats}


if __name__ == "__main__":
    main()
