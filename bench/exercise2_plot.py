"""Tabulate and plot what ``bench/exercise2_target.py`` saved for several seeds.

    python bench/exercise2_plot.py [bench/results/exercise2_seed*.csv] [--out bench/exercise2_target.png]

Reads the per-iteration combined returns (one CSV per seed, both trials of the
sweep in each), prints one row per seed and batch size (the first iteration at
which the combined return reached 30, 35 and 40, the best single iteration, the
best and the last 5-iteration averages) as a Markdown table, and draws every
trial's combined return against its iteration with lines at 30, 35 and 40.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).parent
TARGETS = (30, 35, 40)


def summary(df):
    """One row per (seed, train_batch_size) trial."""
    import pandas as pd

    rows = []
    for (seed, batch), trial in df.groupby(["seed", "train_batch_size"]):
        trial = trial.sort_values("iteration")
        combined = trial["combined_return"]
        smooth = combined.rolling(5, min_periods=5).mean()
        row = {"seed": seed, "batch": batch, "iterations": int(trial["iteration"].max())}
        for target in TARGETS:
            hit = trial[combined >= target]
            row[f"first >= {target}"] = (
                str(int(hit["iteration"].iloc[0])) if len(hit) else "not reached"
            )
        row["best iteration"] = round(combined.max(), 1)
        row["best 5-it avg"] = round(smooth.max(), 1)
        row["last 5-it avg"] = round(smooth.iloc[-1], 1)
        row["training time (s)"] = round(trial["time_total_s"].iloc[-1])
        rows.append(row)
    return pd.DataFrame(rows)


def plot(df, out: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    batches = sorted(df["train_batch_size"].unique())
    fig, axes = plt.subplots(
        1, len(batches), figsize=(6 * len(batches), 3.8), sharey=True, squeeze=False
    )
    for ax, batch in zip(axes[0], batches):
        for color, (seed, trial) in zip(
            ("C0", "C1", "C2", "C3", "C4"), df[df["train_batch_size"] == batch].groupby("seed")
        ):
            trial = trial.sort_values("iteration")
            ax.plot(
                trial["iteration"], trial["combined_return"], color=color, alpha=0.3, linewidth=0.8
            )
            ax.plot(
                trial["iteration"],
                trial["combined_return"].rolling(5, min_periods=1).mean(),
                color=color,
                label=f"seed {seed} (5-iteration average)",
            )
        for target, style in ((30, "-."), (35, "--"), (40, ":")):
            ax.axhline(target, color="black", linestyle=style, linewidth=1)
            ax.text(1, target + 0.5, str(target), fontsize=8)
        ax.set_title(f"train_batch_size {batch}")
        ax.set_xlabel("training iteration")
        ax.set_ylim(bottom=-15)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].set_ylabel("combined return (agent1 + agent2)")
    fig.suptitle(
        "Exercise 2's sweep (lr 3e-3, 5 envs): each iteration (thin) and its 5-iteration average"
    )
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"plot saved to {out}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="*", help="default: bench/results/exercise2_seed*.csv")
    parser.add_argument("--out", default=str(HERE / "exercise2_target.png"))
    args = parser.parse_args(argv)

    import pandas as pd

    files = [Path(f) for f in args.csv] or sorted((HERE / "results").glob("exercise2_seed*.csv"))
    if not files:
        parser.error("no CSV files: run bench/exercise2_target.py first")
    df = pd.concat([pd.read_csv(f) for f in files])
    print(summary(df).to_markdown(index=False))
    plot(df, Path(args.out))


if __name__ == "__main__":
    main()
