"""The GIFs in videos/: one episode of random play, one of the pre-trained agents.

    python -m handson_rl.videos            # (re)write videos/*.gif
    python -m handson_rl.videos --check    # exit 1 if the committed GIFs are stale

The trained episode uses the modules in ``pretrained/arena_ppo/`` (made by
``python -m handson_rl.pretrained``), sampling their actions with a fixed seed, so
the same modules always give the same, byte-identical GIF.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from handson_rl.env import AGENTS, MultiAgentArena
from handson_rl.policies import ModulePolicy, RandomPolicy
from handson_rl.pretrained import PRETRAINED_DIR, ROOT, load_pretrained
from handson_rl.render import frames_to_gif
from handson_rl.rollout import play_episode
from handson_rl.training import MODULE_OF_AGENT

VIDEOS_DIR = ROOT / "videos"
EPISODE_SEED = 7
FPS = 8


def random_policies(seed: int = EPISODE_SEED) -> dict:
    env = MultiAgentArena()
    return {a: RandomPolicy(env.get_action_space(a), seed=seed + i) for i, a in enumerate(AGENTS)}


def trained_policies(modules: dict, seed: int = EPISODE_SEED, explore: bool = True) -> dict:
    return {
        agent: ModulePolicy(modules[MODULE_OF_AGENT[agent]], explore=explore, seed=seed + i)
        for i, agent in enumerate(AGENTS)
    }


def episode_gif(policies: dict, path: Path, seed: int = EPISODE_SEED) -> tuple[dict, Path]:
    env = MultiAgentArena({"render_mode": "rgb_array"})
    returns, frames = play_episode(env, policies, seed=seed, render=True)
    frames_to_gif(frames, path, fps=FPS)
    return returns, path


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
    parser.add_argument("--check", action="store_true", help="only check that videos/ is up to date")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        if bad:
            print(f"Stale: {bad}; run `python -m handson_rl.videos`.", file=sys.stderr)
            return 1
        print("videos/ is up to date.")
        return 0
    for name, returns in write_videos().items():
        print(f"videos/{name}: " + ", ".join(f"{a} {r:+.1f}" for a, r in returns.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
