"""Images the course ships in images/, generated from the package's own renderer."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image

from handson_rl.arena.env import MultiAgentArena
from handson_rl.arena.render import board_rgb


def _png(frame) -> bytes:
    buf = BytesIO()
    Image.fromarray(frame).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def arena_png() -> bytes:
    """The board a few steps into a seeded episode: trail, both agents, scores."""
    env = MultiAgentArena()
    env.reset(seed=0, options={"move_order": "agent1_first"})
    for a1, a2 in [(1, 0), (1, 3), (2, 0), (2, 3), (1, 0), (2, 3), (2, 0)]:
        env.step({"agent1": a1, "agent2": a2})
    return _png(board_rgb(env, cell_px=32))


def planned(root: Path) -> dict[Path, bytes]:
    """Every generated image path with the bytes it should have."""
    return {root / "images" / "arena.png": arena_png()}
