"""The release folder on disk: versions side by side, one symlink that readers open, and the
SHA256SUMS that says what each holds.

`BFA_RELEASE_DIR` is a symlink into `.{name}.versions/` beside it. A release is written there
(by the release step, or downloaded by `bfa fetch`) under a name ending in `.partial`, renamed
once complete and verified, and then swapped in by one atomic rename of the symlink, so a
reader never sees half a release. The version before is kept for readers that still hold its
files. Standard library only: `bfa fetch` uses it without importing what the pipeline needs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

KEEP_VERSIONS = 2
PARTIAL = ".partial"
BLOCK = 1 << 20


def versions_of(release_dir: Path) -> Path:
    return release_dir.parent / f".{release_dir.name}.versions"


def swap(release_dir: Path, complete: Path) -> None:
    """Point `release_dir` (a symlink) at `complete` in one atomic rename."""
    if release_dir.exists() and not release_dir.is_symlink():  # an older, plain folder
        release_dir.rename(complete.parent / f"legacy-{uuid.uuid4().hex[:8]}")
    link = release_dir.parent / f".{release_dir.name}.{uuid.uuid4().hex[:8]}.link"
    link.symlink_to(os.path.relpath(complete, release_dir.parent))
    link.replace(release_dir)


def prune(versions: Path, keep: Path) -> None:
    """Keep the new release and the one before it (a reader may still hold its files); remove
    older ones and whatever an interrupted build left half-written."""
    for partial in versions.glob(f"*{PARTIAL}"):
        shutil.rmtree(partial, ignore_errors=True)
    older = sorted((p for p in versions.iterdir() if p != keep), key=lambda p: p.stat().st_mtime)
    for stale in older[: max(0, len(older) - (KEEP_VERSIONS - 1))]:
        shutil.rmtree(stale, ignore_errors=True)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(text: str) -> dict[str, str]:
    """A SHA256SUMS file's `name -> SHA-256` (`sha256sum`'s format: digest, two spaces, name)."""
    return dict(reversed(line.split("  ", 1)) for line in text.splitlines() if "  " in line)


def listed_digest(sums: Path, name: str) -> str | None:
    """The SHA-256 that the SHA256SUMS file `sums` lists for `name`, if any."""
    try:
        return read_sums(sums.read_text()).get(name)
    except OSError:
        return None
