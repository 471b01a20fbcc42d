"""Where the course's files live: the repository root and its folders.

The package is installed in editable mode from ``src/``, so the repository is two
folders above this one. Everything that reads or writes the repository's own
files (the notebook builder, the pre-trained agents, the videos, chapter 12)
takes its paths from here.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LESSONS_DIR = ROOT / "lessons"
NOTEBOOKS_DIR = ROOT / "notebooks"
SOLUTIONS_DIR = ROOT / "solutions"
IMAGES_DIR = ROOT / "images"
VIDEOS_DIR = ROOT / "videos"
PRETRAINED_DIR = ROOT / "pretrained" / "arena_ppo"
