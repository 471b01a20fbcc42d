"""The JavaScript libraries the website and the slide decks serve themselves (no CDN).

Each is the npm registry's tarball, downloaded once into ``_build/downloads/`` and
checked against a pinned sha256 (:func:`npm_files`).
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

from handson_rl.maintainers.site_pages import SiteError
from handson_rl.paths import ROOT

# The two JavaScript libraries the pages use, served by the site itself (no CDN):
# Mermaid (the version sphinxcontrib-mermaid 2.1.1 asks for) and MathJax 3. Each is
# the npm registry's tarball, checked against the sha256 of the file whose sha512
# matches the registry's published integrity; kept: (prefix, files below it).
NPM_ASSETS = {
    "mermaid": (
        "11.12.1",
        "3bd65ddefe97fb2e01d976a01d4078f8d773bfc56c6a75a9abf08b564ce0f8b2",
        ("package/dist/", r"mermaid\.esm\.min\.mjs|chunks/mermaid\.esm\.min/[^/]+\.mjs"),
    ),
    "mathjax": (
        "3.2.2",
        "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09",
        ("package/es5/", r"tex-mml-chtml\.js|output/chtml/fonts/woff-v2/[^/]+\.woff"),
    ),
}


#: Where the tarballs are kept once downloaded.
DOWNLOADS = ROOT / "_build" / "downloads"


def npm_files(
    name: str, downloads: Path = DOWNLOADS, assets: dict | None = None
) -> dict[str, bytes]:
    """A pinned package's browser files, from the npm registry, checked against NPM_ASSETS
    (or ``assets``, a dict of the same form: the slide decks' reveal.js)."""
    version, sha256, keep = (NPM_ASSETS if assets is None else assets)[name]
    url = f"https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
    archive = downloads / f"{name}-{version}.tgz"
    if not archive.exists():
        downloads.mkdir(parents=True, exist_ok=True)
        print(f"downloading {url}", flush=True)
        with urllib.request.urlopen(url, timeout=120) as response:
            archive.write_bytes(response.read())
    data = archive.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        archive.unlink()
        raise SiteError(
            f"{archive.name} has sha256 {digest}, expected {sha256}; deleted it, run the "
            "build again (if it repeats, the registry serves another file)."
        )
    prefix, pattern = keep
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            rel = member.name.removeprefix(prefix)
            if member.isfile() and member.name.startswith(prefix) and re.fullmatch(pattern, rel):
                files[rel] = tar.extractfile(member).read()
    if not files:
        raise SiteError(f"{archive.name} has none of the files the site needs ({prefix}{pattern})")
    return files
