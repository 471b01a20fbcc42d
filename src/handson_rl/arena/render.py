"""Pictures of the arena: the text board, an RGB frame, GIFs and live display."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Colours (RGB): calm background, agent1 blue, agent2 orange-red.
BACKGROUND = (250, 250, 247)
GRID = (214, 214, 208)
VISITED = (199, 222, 245)
AGENT1_COLOUR = (31, 97, 180)
AGENT2_COLOUR = (214, 77, 39)
TEXT = (40, 40, 40)
COLLISION = (200, 30, 30)


def board_text(env) -> str:
    """The board as text: ``1``/``2`` the agents, ``.`` cells agent1 visited.

    Below the board: the step, whether the last step had a collision, and both
    agents' returns so far.
    """
    width = env.width
    p1 = env.cell_index(*env.agent1_pos)
    p2 = env.cell_index(*env.agent2_pos)
    visited = env.visited
    lines = ["_" * (width + 2)]
    for row in range(env.height):
        cells = []
        for col in range(width):
            idx = row * width + col
            cells.append("1" if idx == p1 else "2" if idx == p2 else "." if idx in visited else " ")
        lines.append("|" + "".join(cells) + "|")
    lines.append("\u203e" * (width + 2))
    lines.append(
        f"step {env.timestep}/{env.timestep_limit}" + ("  COLLISION!" if env.last_collision else "")
    )
    lines.append(f"R1 = {env.returns['agent1']:+.1f}")
    lines.append(f"R2 = {env.returns['agent2']:+.1f}")
    return "\n".join(lines)


@lru_cache(maxsize=8)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()


def board_rgb(env, cell_px: int = 32) -> np.ndarray:
    """The board as an ``(H, W, 3)`` uint8 image: grid, visited cells, agents, scores."""
    header = max(cell_px, 28)
    w_px = env.width * cell_px
    h_px = env.height * cell_px + header
    img = Image.new("RGB", (w_px + 1, h_px + 1), BACKGROUND)
    draw = ImageDraw.Draw(img)

    for idx in env.visited:
        row, col = divmod(idx, env.width)
        x, y = col * cell_px, header + row * cell_px
        draw.rectangle([x, y, x + cell_px, y + cell_px], fill=VISITED)
    for col in range(env.width + 1):
        draw.line([(col * cell_px, header), (col * cell_px, h_px)], fill=GRID)
    for row in range(env.height + 1):
        y = header + row * cell_px
        draw.line([(0, y), (w_px, y)], fill=GRID)

    font = _font(max(10, cell_px // 2))
    for (row, col), colour, label in (
        (env.agent1_pos, AGENT1_COLOUR, "1"),
        (env.agent2_pos, AGENT2_COLOUR, "2"),
    ):
        x, y = col * cell_px, header + row * cell_px
        pad = max(2, cell_px // 8)
        outline = COLLISION if env.last_collision else colour
        draw.ellipse(
            [x + pad, y + pad, x + cell_px - pad, y + cell_px - pad],
            fill=colour,
            outline=outline,
            width=max(1, cell_px // 12) if env.last_collision else 1,
        )
        draw.text((x + cell_px / 2, y + cell_px / 2), label, fill="white", font=font, anchor="mm")

    small = _font(max(9, header // 2 - 2))
    status = f"step {env.timestep}/{env.timestep_limit}"
    draw.text((4, 2), status, fill=TEXT, font=small)
    draw.text(
        (4, header / 2 + 1),
        f"R1 {env.returns['agent1']:+.1f}",
        fill=AGENT1_COLOUR,
        font=small,
    )
    draw.text(
        (w_px / 2, header / 2 + 1),
        f"R2 {env.returns['agent2']:+.1f}",
        fill=AGENT2_COLOUR,
        font=small,
    )
    if env.last_collision:
        draw.text((w_px - 4, 2), "collision!", fill=COLLISION, font=small, anchor="ra")
    return np.asarray(img)


def frames_to_gif(
    frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 5, loop: int = 0
) -> str:
    """Write RGB frames (``(H, W, 3)`` uint8 arrays) to an animated GIF; returns the path.

    The file is byte-for-byte reproducible for the same frames.
    """
    frames = list(frames)
    if not frames:
        raise ValueError("frames_to_gif needs at least one frame; got an empty list.")
    shapes = {np.asarray(f).shape for f in frames}
    if len(shapes) != 1:
        raise ValueError(f"All frames must have the same shape, got {sorted(shapes)}.")
    (shape,) = shapes
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(f"Frames must be (H, W, 3) RGB arrays, got shape {shape}.")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}.")
    images = [Image.fromarray(np.asarray(f, dtype=np.uint8)) for f in frames]
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=int(round(1000 / fps)),
        loop=loop,
        optimize=False,
    )
    return path


def show_frame(frame: np.ndarray, scale: int = 1):
    """An IPython image object for one frame (displays in a notebook)."""
    from io import BytesIO

    from IPython.display import Image as IPImage

    img = Image.fromarray(np.asarray(frame, dtype=np.uint8))
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = BytesIO()
    img.save(buf, format="PNG")
    return IPImage(data=buf.getvalue(), format="png")


def show_gif(path: str | os.PathLike):
    """An IPython image object that plays a GIF file in a notebook."""
    from IPython.display import Image as IPImage

    with open(path, "rb") as fh:
        return IPImage(data=fh.read(), format="gif")


class LiveBoard:
    """Shows the board in one notebook output that updates in place.

    >>> live = LiveBoard(env)          # displays the current board
    >>> live.update()                  # after each env.step(...)
    """

    def __init__(self, env, fps: float = 5, cell_px: int = 32):
        from IPython.display import display

        self.env = env
        self.delay = 1.0 / fps if fps and fps > 0 else 0.0
        self.cell_px = cell_px
        self.frames: list[np.ndarray] = []
        frame = board_rgb(env, cell_px)
        self.frames.append(frame)
        self._handle = display(show_frame(frame), display_id=True)

    def update(self) -> np.ndarray:
        frame = board_rgb(self.env, self.cell_px)
        self.frames.append(frame)
        if self._handle is not None:
            self._handle.update(show_frame(frame))
        if self.delay:
            time.sleep(self.delay)
        return frame


def stack_frames(frames: Iterable[np.ndarray], columns: int = 5, gap: int = 6) -> np.ndarray:
    """Tile frames into one contact-sheet image (row-major), white gaps between."""
    frames = [np.asarray(f) for f in frames]
    if not frames:
        raise ValueError("stack_frames needs at least one frame.")
    h, w, _ = frames[0].shape
    rows = -(-len(frames) // columns)
    cols = min(columns, len(frames))
    sheet = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, 3), 255, np.uint8)
    for i, f in enumerate(frames):
        r, c = divmod(i, columns)
        sheet[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = f
    return sheet
