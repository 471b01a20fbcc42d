"""The GIFs in videos/: one episode of random play, one of the pre-trained agents.

    python -m handson_rl.maintainers.videos            # (re)write videos/*.gif
    python -m handson_rl.maintainers.videos --check    # exit 1 if the committed GIFs are stale

The trained episode uses the modules in ``pretrained/arena_ppo/`` (made by
``python -m handson_rl.maintainers.make_pretrained``), sampling their actions with a fixed seed, so
the same modules always give the same, byte-identical GIF.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from handson_rl.arena.rollout import episode_gif, random_policies
from handson_rl.paths import PRETRAINED_DIR, VIDEOS_DIR
from handson_rl.training.policies import trained_policies
from handson_rl.training.pretrained import load_pretrained


def write_videos(out_dir: Path = VIDEOS_DIR, pretrained: Path = PRETRAINED_DIR) -> dict:
    """Write ``random_episode.gif`` and ``trained_episode.gif``; return their returns."""
    out_dir = Path(out_dir)
    modules = load_pretrained(pretrained)
    random_returns, _ = episode_gif(random_policies(), out_dir / "random_episode.gif")
    trained_returns, _ = episode_gif(trained_policies(modules), out_dir / "trained_episode.gif")
    return {"random_episode.gif": random_returns, "trained_episode.gif": trained_returns}


def stale(out_dir: Path = VIDEOS_DIR) -> list[str]:
    """Names of the GIFs in ``out_dir`` that differ from a fresh :func:`write_videos`."""
    with tempfile.TemporaryDirectory() as tmp:
        write_videos(Path(tmp))
        return [
            name
            for name in ("random_episode.gif", "trained_episode.gif")
            if not (out_dir / name).exists()
            or (out_dir / name).read_bytes() != (Path(tmp) / name).read_bytes()
        ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write the course's episode GIFs into videos/.")
    parser.add_argument(
        "--check", action="store_true", help="only check that videos/ is up to date"
    )
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        if bad:
            print(f"Stale: {bad}; run `python -m handson_rl.maintainers.videos`.", file=sys.stderr)
            return 1
        print("videos/ is up to date.")
        return 0
    for name, returns in write_videos().items():
        print(f"videos/{name}: " + ", ".join(f"{a} {r:+.1f}" for a, r in returns.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
