"""Scratch folders on the host that a killed run cannot leave behind.

Each folder rpmkit makes under the temporary directory (`$TMPDIR`, tempfile's
rule) is named `rpmkit-<kind>-<random>` and holds an owner file naming the
process that made it (`host:pid:starttime`, as on the engine objects, see
`labels.owner`). The run removes its folders when it ends, on pass, failure and
signals; a `kill -9` gives it no chance, so every run starts by removing the
folders whose owner process is gone (`reap`), as the engine reaper does for
containers. Folders of a live run, of another host (a shared `/tmp` over NFS)
or without an owner file are never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rpmkit import labels

PREFIX = "rpmkit-"
OWNER_FILE = ".rpmkit-owner"


def folder(kind: str) -> Path:
    """A new private folder `$TMPDIR/rpmkit-<kind>-XXXX` (mode 0700) owned by this process.

    The caller removes it with `remove` (or uses `scratch`).
    """
    made = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
    mark(made)
    return made


def mark(path: Path) -> None:
    """Name this process as the owner of the folder `path`, so `reap` can judge it later.

    Written to a temporary name and renamed: another run's `reap` sees no owner
    file or a whole one, never a half-written one it could take for a dead owner.
    """
    part = path / f"{OWNER_FILE}.{os.getpid()}"
    part.write_text(labels.owner() + "\n", encoding="ascii")
    os.replace(part, path / OWNER_FILE)


@contextlib.contextmanager
def scratch(kind: str) -> Iterator[Path]:
    """`folder(kind)` for the length of a `with` block, removed after it however it ends."""
    made = folder(kind)
    try:
        yield made
    finally:
        remove(made)


def remove(path: Path) -> None:
    """Remove a scratch folder, read-only files and folders in it included; gone is fine."""
    if path.is_symlink() or not path.is_dir():
        return
    # Staged RPMs are read-only copies in read-only folders: open the folders up first.
    for where, _dirs, _files in os.walk(path):
        with contextlib.suppress(OSError):
            os.chmod(where, stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)


def reap(root: Path | None = None, pattern: str = f"{PREFIX}*") -> list[Path]:
    """Remove the folders `root/<pattern>` whose owner process is gone; returns those removed.

    `root` is the temporary directory (tempfile's choice by default); a build's
    `dist/` holds its staging folders (`.rpmkit-build-*`), the wheel cache its
    partial downloads (`*.partial-*`). Cheap: one listing
    and one small read per matching folder.
    """
    base = Path(tempfile.gettempdir()) if root is None else root
    removed: list[Path] = []
    try:
        entries = list(base.glob(pattern))
    except OSError:
        return removed
    for entry in entries:
        try:
            if entry.is_symlink() or not entry.is_dir() or entry.stat().st_uid != os.getuid():
                continue
            owner = (entry / OWNER_FILE).read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            continue  # no owner file: not one of ours to judge
        if owner.count(":") != 2 or labels.owner_alive({labels.OWNER: owner}):
            continue  # not a whole owner line (not ours to judge), or its owner still runs
        remove(entry)
        if not entry.exists():
            removed.append(entry)
    return removed
