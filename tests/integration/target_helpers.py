"""Hand-written specs for the target-facts tests: files with modes, requirements, scriptlets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rpmkit.report.text import Report
from rpmkit.verify import Expectations
from tests.integration.conftest import check_paths

Build = Callable[[str], Path]


def spec(
    name: str,
    files: dict[str, tuple[str, str]] | None = None,
    *,
    version: str = "1.0",
    requires: tuple[str, ...] = (),
    config: tuple[str, ...] = (),
    dirs: dict[str, tuple[str, str]] | None = None,
    pretrans: str = "",
    pre: str = "",
    post: str = "",
) -> str:
    """A noarch spec shipping `files` (path -> (mode, content)) and `dirs` (path -> (mode,
    owner)); paths in `config` are %config(noreplace)."""
    files = files or {}
    install = ["mkdir -p %{buildroot}"]
    listing = []
    for path, (mode, content) in files.items():
        install.append(f"mkdir -p %{{buildroot}}{path.rsplit('/', 1)[0]}")
        install.append(f"cat > %{{buildroot}}{path} <<'RPMKIT_END'\n{content}\nRPMKIT_END")
        marker = "%config(noreplace) " if path in config else ""
        listing.append(f"%attr({mode},root,root) {marker}{path}")
    for path, (mode, owner) in (dirs or {}).items():
        install.append(f"mkdir -p %{{buildroot}}{path}")
        listing.append(f"%dir %attr({mode},{owner},{owner}) {path}")
    lines = [
        f"Name: {name}",
        f"Version: {version}",
        "Release: 1",
        "Summary: rpmkit target-facts test package",
        "License: MIT",
        "BuildArch: noarch",
        *(f"Requires: {r}" for r in requires),
        "%description",
        "A package that fits its target, or does not, in one way.",
        "%install",
        *install,
        *(["%pretrans", pretrans] if pretrans else []),
        "%pre",
        pre or "true",
        "%post",
        post or "true",
        "%files",
        *listing,
    ]
    return "\n".join(lines) + "\n"


def check(
    engine: Any,
    images: dict[str, str],
    rpm: Path,
    *,
    boot: bool = False,
    expect: Expectations | None = None,
    upgrade_from: tuple[Path, ...] = (),
) -> Report:
    """The offline check of one RPM; static tier (no boot) unless asked."""
    made = check_paths(
        engine, images["runtime"], (rpm,), rpm.name.split("-")[0],
        expect or Expectations(probe=None), upgrade_from, boot=boot,
    )  # fmt: skip
    return made.report


def failures(report: Report) -> dict[str, Any]:
    """Failed checks by name."""
    return {c.name: c for c in report.checks if not (c.ok or c.warning)}
