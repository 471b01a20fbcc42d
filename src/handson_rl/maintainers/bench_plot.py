"""The benchmarks page's plot: time to target per setup, from ``bench/results/``."""

from __future__ import annotations

import json
import statistics
from pathlib import Path


def time_to_target_plot(results: Path, out: Path) -> bool:
    """Draw ``bench/results/time_to_target.json`` (if present) to ``out``; True if drawn."""
    if not results.exists():
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(results.read_text())
    runs = data["runs"]
    setups = list(dict.fromkeys(run["setup"] for run in runs))
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.7 * len(setups)))
    for row, setup in enumerate(setups):
        mine = [run for run in runs if run["setup"] == setup]
        for run in mine:
            ax.plot(
                run["seconds"],
                row,
                "o" if run["reached"] else ">",
                color="C0" if run["reached"] else "C3",
                alpha=0.8,
            )
        if all(run["reached"] for run in mine):
            median = statistics.median(run["seconds"] for run in mine)
            ax.plot([median, median], [row - 0.3, row + 0.3], color="black", linewidth=2)
            ax.annotate(f"median {median:.1f} s", (median, row + 0.32), ha="center", fontsize=8)
    ax.set_yticks(range(len(setups)), setups)
    ax.set_xlabel(
        f"wall seconds from the first train()/learn() to agent1's last-100 mean >= {data['target']:g}"
        f"\n({data['date']}, {data['cpus']} cores)"
    )
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Time to target (dots: seeds; bar: median; red >: not reached by the cap)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True
