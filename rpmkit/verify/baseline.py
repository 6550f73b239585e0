"""The degraded baseline: the units that fail on the bare runtime image, once per image.

A unit that fails after the package's boot but not on the bare image was
broken by the package (nginx refusing the package's config, say), and fails
the check. What fails on the bare image is measured by booting that image
alone, with no RPM installed, the first time a check needs it; the answer is
kept per image id in `$XDG_CACHE_HOME/rpmkit/baseline/` (an image id names
its content, so the answer never goes stale).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rpmkit import nocache
from rpmkit.profiles import Profile, boot_options

if TYPE_CHECKING:
    from rpmkit.engine import Engine
    from rpmkit.labels import Run

BOOT_TIMEOUT = 60.0
BOOTED = ("running", "degraded")


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/rpmkit/baseline`, by default under ~/.cache."""
    return nocache.cache_dir("baseline", environ)


def cache_path(image_id: str, environ: Mapping[str, str] | None = None) -> Path:
    """Where the baseline of one image is kept."""
    return cache_dir(environ) / f"{image_id.removeprefix('sha256:')[:64]}.json"


def read(path: Path) -> frozenset[str] | None:
    """A kept baseline, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text())
        return frozenset(str(u) for u in data["failed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(path: Path, image_id: str, failed: frozenset[str]) -> None:
    """Keep a baseline; written whole or not at all (another check may read it meanwhile).

    A cache that cannot be written is a warning: the next check measures again.
    """
    record = {"image": image_id, "failed": sorted(failed), "measured_at": time.time()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(record, indent=2) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        nocache.warn("boot baseline cache", path.parent, exc)


def failed_units(
    engine: Engine, profile: Profile, image: str, image_id: str, run: Run
) -> frozenset[str]:
    """The units failed on the bare image after its boot: kept, or measured now and kept.

    A bare boot that never finishes is not kept, and counts as no failed unit:
    every unit then failed after the package's boot is blamed on the package.
    """
    path = cache_path(image_id)
    kept = read(path)
    if kept is not None:
        return kept
    state, failed = measure(engine, profile, image, run)
    if state in BOOTED:
        write(path, image_id, failed)
    return failed


def measure(engine: Engine, profile: Profile, image: str, run: Run) -> tuple[str, frozenset[str]]:
    """Boot the bare image in a container of the run; systemd's state and its failed units."""
    options = boot_options(
        profile, None if engine.is_local else engine.cgroup_version(), engine.kind
    )
    options["command"] = list(profile.boot.init)
    container = engine.create(image, name=run.container_name("baseline"), run=run, **options)
    try:
        container.start()
        deadline = time.monotonic() + BOOT_TIMEOUT
        state = ""
        while time.monotonic() < deadline:
            left = max(1.0, deadline - time.monotonic())
            answer = container.exec(["systemctl", "is-system-running", "--wait"], timeout=left)
            state = answer.stdout.strip()
            if state in BOOTED:
                break
            time.sleep(0.05)  # systemd not up yet: no bus to ask
        listing = container.exec(
            ["systemctl", "list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"]
        ).stdout
        return state, frozenset(line.split()[0] for line in listing.splitlines() if line.split())
    finally:
        container.remove()
