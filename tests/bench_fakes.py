"""Fake rows of bench/time_to_target.py's JSON for the tests, without training."""

from __future__ import annotations


def time_to_target_run(setup, seed, seconds, reached=True, steps=30_000, final=None):
    """One run as ``time_to_target.py --json`` records it; a run that missed the
    target ends below it (agent1's last-100 mean 9.0) unless ``final`` says otherwise."""
    return {
        "setup": setup,
        "seed": seed,
        "reached": reached,
        "seconds": seconds,
        "env_steps": steps,
        "final_mean": final if final is not None else (18.5 if reached else 9.0),
    }
