"""Where a build's files land: `dist/` only when the whole build passed.

A build writes its RPMs, SRPM and log into a hidden staging folder inside
`dist/` (same file system, so each move is a rename). When rpmbuild and
rpmlint both passed, the files move into `dist/`; when the build failed they
move into `dist/failed/`, for inspection, where `rpmkit check APP` never
looks; when it was interrupted (Ctrl-C, a bug, a config error found on the
way) the staging folder is removed and nothing is kept.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from rpmkit import scratch

FAILED = "failed"
STAGING_PREFIX = ".rpmkit-build-"


class Staging:
    """A build's staging folder: `promote()` on success, `fail()` on a failed build."""

    def __init__(self, dist: Path, run_id: str) -> None:
        self.dist = dist
        self.path = dist / f"{STAGING_PREFIX}{run_id}"

    def __enter__(self) -> Staging:
        # A build killed with -9 leaves its staging folder: the next build here removes it.
        scratch.reap(self.dist, f"{STAGING_PREFIX}*")
        self.path.mkdir(parents=True)
        scratch.mark(self.path)
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def promote(self, files: Iterable[Path]) -> dict[Path, Path]:
        """Move the staged files into dist/; returns staged path -> final path."""
        return self._move(files, self.dist)

    def fail(self, files: Iterable[Path]) -> dict[Path, Path]:
        """Move the staged files into dist/failed/; returns staged path -> kept path."""
        return self._move(files, self.dist / FAILED)

    def _move(self, files: Iterable[Path], target: Path) -> dict[Path, Path]:
        target.mkdir(parents=True, exist_ok=True)
        moved = {}
        for path in files:
            if path.exists() and path.name != scratch.OWNER_FILE:
                final = target / path.name
                os.replace(path, final)
                moved[path] = final
        return moved


def package_pattern(name: str, version: str, release: str) -> re.Pattern[str]:
    """File names of a package's RPMs and SRPM: NAME-VERSION-RELEASE[.dist].ARCH.rpm."""
    return re.compile(
        rf"{re.escape(name)}-{re.escape(version)}-{re.escape(release)}"
        r"(\.[A-Za-z0-9_+~^]+)+\.rpm"
    )


def stale(dist: Path, patterns: Iterable[re.Pattern[str]]) -> list[Path]:
    """Files in dist/ (not below it) whose names match: an earlier build of the same NVR."""
    if not dist.is_dir():
        return []
    compiled = list(patterns)
    return sorted(
        p for p in dist.iterdir() if p.is_file() and any(c.fullmatch(p.name) for c in compiled)
    )
