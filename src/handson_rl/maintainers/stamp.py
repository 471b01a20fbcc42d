"""What made a website page's outputs: the stamp cell under each chapter's title.

The site's chapter pages run :data:`STAMP_CODE` as their first (hidden) code cell
(:func:`add_stamp`), so the line it prints (:func:`stamp`: the versions, the
budget, the date) is part of the executed, cached outputs: it dates the outputs,
not the build. The cell also carries :func:`package_hash`, so that jupyter-cache
runs every chapter again when the course package changes.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from handson_rl.paths import ROOT

VERSIONED = {"Ray": "ray", "torch": "torch", "gymnasium": "gymnasium"}


def installed_versions() -> dict[str, str]:
    """``{"ray": "2.60.0", "torch": "2.13.0", "gymnasium": "1.2.2"}`` as installed."""
    return {pkg: importlib.metadata.version(pkg) for pkg in VERSIONED.values()}


def versions() -> str:
    """``Ray 2.60.0, torch 2.13.0, gymnasium 1.2.2`` as installed."""
    installed = installed_versions()
    return ", ".join(f"{name} {installed[pkg]}" for name, pkg in VERSIONED.items())


def stamp() -> None:
    """Say, under a chapter's title, which versions and budget made its outputs, and when.

    The site's chapter pages run this as their first (hidden) code cell, so the line
    is part of the executed, cached outputs: it dates the outputs, not the build.
    """
    from IPython.display import Markdown, display

    from handson_rl import budget

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    display(
        Markdown(
            f"*Outputs on this page: executed {now} with {versions()} "
            f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPU cores, "
            f"`COURSE_BUDGET={budget.level()}`).*"
        )
    )


def package_hash(root: Path = ROOT) -> str:
    """A hash of the course package's code (what the chapters import), not its tools."""
    digest = hashlib.sha256()
    package = root / "src" / "handson_rl"
    for path in sorted(package.rglob("*.py")):
        if "maintainers" not in path.relative_to(package).parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


#: The stamp cell's code: it imports this module by its own name.
STAMP_CODE = f"from {__name__} import stamp\n\nstamp()"


def add_stamp(page, marker: str = "") -> None:
    """Put the (hidden) stamp cell after ``page``'s title cell; ``marker`` ends its code.

    ``marker`` is a comment such as ``"  # course package <hash>"``: jupyter-cache
    keys a page on its code, so the marker decides when the page runs again.
    """
    import nbformat

    source = STAMP_CODE + marker
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-input"]})
    cell.id = "stamp-" + hashlib.sha1(source.encode()).hexdigest()[:10]
    page.cells.insert(1, cell)


def is_stamp(cell) -> bool:
    """Is ``cell`` (of a site page, executed or not) the stamp cell?"""
    return cell.cell_type == "code" and cell.source.startswith(STAMP_CODE)
