"""Fill the figures of bench/README.md (and the README's chapter times) from bench/results/.

    python bench/readme_figures.py           # rewrite the generated blocks
    python bench/readme_figures.py --check   # exit 1 if a README disagrees with its data

Every figure in ``bench/README.md`` sits in a block

    <!-- figures: time_to_target.json -->
    ...generated text...
    <!-- /figures -->

whose text is rendered from that file in ``bench/results/`` (its command, date,
machine and load first, then its table). The chapter table of the top-level
``README.md`` takes its last column from ``bench/results/run_notebooks.json``. So a
figure changes by re-running its command (which writes the data file) and then this
script; the fast tests run ``--check``. Each file's source line and the per-setup
time-to-target medians come from :mod:`handson_rl.tools.bench_results`, which
chapter 3 also prints them with.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

from handson_rl.tools.bench_results import COURSE, setup_times, source_line
from handson_rl.tools.bench_results import BenchDataError as FiguresError
from handson_rl.tools.bench_results import number_or as _num

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
BLOCK = re.compile(r"(<!-- figures: (\S+) -->\n)(.*?)(<!-- /figures -->)", re.S)
CHAPTER_ROW = re.compile(r"^(\| (\d+) \| `(\d\d_\w+)` \|.*\| )([^|]*?)( \|)$", re.M)
SEEDS = re.compile(r"seeds_\w+\.json")  # bench/seed_ranges.py's files
SLOWEST = 8  # cells of the whole course listed under run_notebooks.json's table


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def time_to_target(data: dict) -> str:
    """Each setup's median time and env steps to the target, and its ratio to the course's."""
    summaries = setup_times(data)
    base = next((s.median for s in summaries if s.setup == COURSE), None)
    rows = [
        [
            s.setup,
            "not reached" if math.isinf(s.median) else f"{s.median:.1f} s",
            f"{s.median_env_steps:,.0f}",
            f"{s.median_final_mean:.1f}",
            f"{s.reached}/{s.seeds}",
            f"{s.median / base:.2f}x" if base and not math.isinf(s.median) else "",
        ]
        for s in summaries
    ]
    header = [
        "setup",
        "median time",
        "median env steps",
        "median last-100 mean",
        "reached",
        "vs course",
    ]
    target = f"Target: agent1's last-100 mean >= {data['target']:g}, cap {data['max_seconds']:g} s per run."
    return f"{source_line(data)} {target}\n\n{table(header, rows)}"


def levers(data: dict) -> str:
    """Each variant's median against the course row of its own run: whether any beat it."""
    variants = []
    for run in data["runs"]:
        course = next(m for m in run["medians"] if m["setup"] == COURSE)
        for m in run["medians"]:
            if m["setup"].startswith("course,"):
                variants.append({**m, "ratio": m["seconds"] / course["seconds"], "run": run})
    if not variants:
        raise FiguresError("time_to_target_levers.json has no 'course, ...' variant")
    faster = [v["setup"] for v in variants if v["ratio"] < 1]
    verdict = (
        f"faster than the course's setup in their run: {', '.join(faster)}"
        if faster
        else "none reached the target faster than the course's setup in its run"
    )
    best = min(variants, key=lambda v: v["ratio"])
    run = best["run"]
    return (
        f"{len(variants)} variants in {len(data['runs'])} runs ({data['what']}): {verdict}. "
        f"Closest: `{best['setup']}` at {best['ratio']:.2f}x ({best['seconds']:.1f} s, "
        f"{best['env_steps']:,} env steps; {run['date']}, load {run['load_before']:.1f} before, "
        f"{run['load_after']:.1f} after). {data['machine']}; each run's command is in the file. "
        f"(Source: {data['source']}.)"
    )


def sampling_overhead(data: dict) -> str:
    it, smp, ttt = data["iteration"], data["sampling_1000_steps"], data["time_to_target"]
    sides = [k for k in smp if isinstance(smp[k], dict)]
    base = smp[sides[0]]["median"]
    first = ttt[sides[0]]["median"]
    rows = [
        [
            k,
            f"{smp[k]['median']:.3f} s ({smp[k]['median'] / base:.2f}x)",
            f"{ttt[k]['median']:.1f} s ({ttt[k]['median'] / first:.2f}x)",
        ]
        for k in sides
    ]
    header = [
        "sampler",
        f"1,000 env steps, {smp['envs']} envs (median of {smp['rounds']})",
        f"time to target (median of {len(ttt['seeds'])} seeds)",
    ]
    split = ", ".join(f"{k} {it[k]:.3f} s" for k in ("sampling", "learning", "rest"))
    return (
        f"{source_line(data)}\n\nOne training iteration of the course's setup (median of "
        f"{it['median_of']}): {it['wall']:.3f} s = {split}.\n\n{table(header, rows)}"
    )


def sampling_profile(data: dict) -> str:
    shares = "; ".join(f"{what} {share:.1f}%" for what, share in data["percent"].items())
    head = f"cProfile of {data['profiled']} ({data['profiled_seconds']:g} s under the profiler)"
    return f"{source_line(data)} {head}: {shares}."


def medians_table(data: dict, label: str) -> str:
    """A ``{"medians": {row: {column: seconds}}}`` file as a table of seconds."""
    medians = data["medians"]
    columns = list(next(iter(medians.values())))
    rows = [[name, *(f"{m[c]:.1f} s" for c in columns)] for name, m in medians.items()]
    return f"{source_line(data)}\n\n{table([label, *columns], rows)}"


def cold_start(data: dict) -> str:
    return medians_table(data, "variant (medians)")


def ray_start(data: dict) -> str:
    text = medians_table(data, f"mode (medians of {data['runs_per_mode']})")
    started = ", ".join(f"{p['process']} {p['started']:.1f} s" for p in data["processes"])
    return f"{text}\n\nProcesses of a new `ray.init()` and the build, started after the GCS server: {started}."


def run_notebooks(data: dict) -> str:
    chapters = data["chapters"]
    total = sum(c["seconds"] for c in chapters)
    header = ["chapter", *(c["notebook"][:2].lstrip("0") for c in chapters), "all"]
    rows = [["seconds", *(f"{c['seconds']:.0f}" for c in chapters), f"{total:,.0f}"]]
    if any(c.get("cores") is not None for c in chapters):
        rows.append(["cores busy", *(_num(c.get("cores"), "{:.2f}", "-") for c in chapters), ""])
    failed = [f"{c['notebook']}: {c['error']}" for c in chapters if c.get("error")]
    status = f"FAILED: {'; '.join(failed)}" if failed else "every notebook ran without error"
    text = (
        f"{source_line(data)} Budget {data['budget']}, seed {data['seed']}; {status}; "
        f"{total / 60:.1f} min in all.\n\n{table(header, rows)}"
    )
    return text + slowest_cells(chapters)


def slowest_cells(chapters: list[dict], count: int = SLOWEST) -> str:
    """The course's ``count`` slowest cells, if the run recorded them (run_notebooks --json)."""
    cells = [
        {**cell, "chapter": c["notebook"][:2]}
        for c in chapters
        for cell in c.get("slowest_cells", [])
    ]
    if not cells:
        return ""
    cells = sorted(cells, key=lambda cell: -cell["seconds"])[:count]
    rows = [
        [c["chapter"], c["cell"], f"{c['seconds']:.0f} s", f"`{c['first_line']}`"] for c in cells
    ]
    return f"\n\nThe {len(cells)} slowest cells:\n\n" + table(
        ["chapter", "cell", "seconds", "first line"], rows
    )


def evaluation_speed(data: dict) -> str:
    base = data["without_memo"]["median"]
    ways = "; ".join(
        f"{way} **{data[key]['median']:.2f} s** ({data[key]['median'] / base:.2f}x; runs "
        f"{', '.join(map(str, data[key]['runs']))})"
        for way, key in (("without memo", "without_memo"), ("memoized", "memoized"))
    )
    same = "identical" if data["identical_returns"] else "DIFFERENT"
    return (
        f"{source_line(data)}\n\n`mean_returns`, {data['matchups']} match-ups x {data['episodes']} "
        f"episodes, median of {data['repeats']}: {ways}. "
        f"{data['actions']:,} actions, {data['distinct']:,} distinct (agent, observation) pairs; "
        f"{same} returns both ways (agent1 {data['returns']['agent1']:+.2f}, agent2 {data['returns']['agent2']:+.2f})."
    )


def env_throughput(data: dict) -> str:
    return (
        f"{source_line(data)}\n\nMedian **{data['median']:,.0f} env steps/s** over "
        f"{data['repeats']} x {data['steps']:,} steps; random play over {data['episodes']:,} "
        f"episodes: agent1 {data['agent1']:+.2f}, agent2 {data['agent2']:+.2f} per episode."
    )


def exercise2_target(data: dict) -> str:
    import pandas as pd
    from exercise2_plot import summary

    df = pd.concat([pd.read_csv(path) for path in data["csv"]])
    return f"{source_line(data)}\n\n{summary(df).to_markdown(index=False)}"


def seed_ranges(data: dict) -> str:
    """A ``bench/seed_ranges.py`` file: one run's or a merge's command, date and loads."""
    meta, ranges = data["meta"], data["ranges"]
    counts = sorted({len(r["values"]) for r in ranges.values()})
    merged = bool(meta["load_before"]) and isinstance(meta["load_before"][0], list)
    triples = (
        meta["load_before"] + meta["load_after"]
        if merged
        else [meta["load_before"], meta["load_after"]]
    )
    loads = [triple[0] for triple in triples]
    runs = f"{len(meta['runs'])} runs merged, " if merged else ""
    seeds = f"{counts[0]}-{counts[-1]}" if len(counts) > 1 else f"{counts[0]}"
    done = sorted({s for r in ranges.values() for s in r.get("seeds", [])}) or meta["seeds"]
    return (
        f"`{meta['command']}`: {meta['date']}, {meta['machine']}, Ray {meta['ray']}, "
        f"{meta['budget']} budget; {runs}1-minute load average {min(loads):g}-{max(loads):g}"
        f"{' (per run in `meta.runs`)' if merged else ' (before and after)'}. {len(ranges)} keys, "
        f"{seeds} seeds each (seeds {done[0]}-{done[-1]}). "
        "Learning results do not depend on the load."
    )


def ci_time(data: dict) -> str:
    steps = "; ".join(f"{step} {s} s" for step, s in data["steps"].items())
    wall = data["wall_seconds"]
    return (
        f"{source_line(data)} Commit {data['commit']}, {data['result']}: **{wall // 60} min "
        f"{wall % 60:02d} s** wall, {data['core_seconds']:,} core-s; {steps}."
    )


RENDERERS = {
    "time_to_target.json": time_to_target,
    "time_to_target_rllib_defaults.json": time_to_target,
    "time_to_target_levers.json": levers,
    "sampling_overhead.json": sampling_overhead,
    "sampling_profile.json": sampling_profile,
    "cold_start.json": cold_start,
    "ray_start.json": ray_start,
    "run_notebooks.json": run_notebooks,
    "evaluation_speed.json": evaluation_speed,
    "env_throughput.json": env_throughput,
    "exercise2_target.json": exercise2_target,
    "ci_time.json": ci_time,
}


def render(name: str, results: Path = RESULTS) -> str:
    """The text of the block for data file ``name``."""
    renderer = RENDERERS.get(name) or (seed_ranges if SEEDS.fullmatch(name) else None)
    if renderer is None:
        raise FiguresError(f"no renderer for {name!r}; known: {sorted(RENDERERS)}, seeds_*.json")
    path = results / name
    if not path.exists():
        raise FiguresError(f"{path} does not exist: run the command that writes it first")
    data = json.loads(path.read_text())
    if "csv" in data:  # raw data beside the file
        data["csv"] = [results / csv for csv in data["csv"]]
    return renderer(data).rstrip() + "\n"


def fill_bench_readme(text: str, results: Path = RESULTS) -> str:
    """``text`` with every figures block rendered again from ``results``."""
    if not BLOCK.search(text):
        raise FiguresError("no <!-- figures: FILE --> block found")
    return BLOCK.sub(lambda m: m.group(1) + render(m.group(2), results) + m.group(4), text)


def chapter_minutes(seconds: float) -> str:
    """A chapter's run time as the README's table shows it: seconds under 100, else minutes."""
    return f"{seconds:.0f} s" if seconds < 100 else f"{seconds / 60:.1f} min"


def fill_chapter_times(readme: str, run_notebooks_data: dict) -> str:
    """The top-level README's chapter table with its last column from run_notebooks.json."""
    seconds = {c["notebook"]: c["seconds"] for c in run_notebooks_data["chapters"]}
    seen = []

    def replace(match):
        name = match.group(3)
        seen.append(name)
        if name not in seconds:
            raise FiguresError(f"run_notebooks.json has no time for {name}")
        return match.group(1) + chapter_minutes(seconds[name]) + match.group(5)

    out = CHAPTER_ROW.sub(replace, readme)
    if not seen:
        raise FiguresError("README.md has no chapter table rows (| N | `NN_name` | ... |)")
    return out


def outputs(root: Path = ROOT) -> dict[Path, str]:
    """Each generated file and what it should contain."""
    results = root / "bench" / "results"
    bench = root / "bench" / "README.md"
    readme = root / "README.md"
    data = json.loads((results / "run_notebooks.json").read_text())
    return {
        bench: fill_bench_readme(bench.read_text(), results),
        readme: fill_chapter_times(readme.read_text(), data),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report READMEs out of date")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    stale = [path for path, text in outputs(args.root).items() if path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is out of date: run python bench/readme_figures.py")
        return 1 if stale else 0
    for path, text in outputs(args.root).items():
        if path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
