"""Pieces of the check pipeline that need no Docker: the app tests' command, progress lines."""

from __future__ import annotations

from rpmkit.check.run import stage_progress
from rpmkit.checks import Check


def test_one_progress_line_per_stage_with_its_time() -> None:
    checks = (
        Check("boot", "systemd reached running", True),
        Check("verify", "package x installed", True),
        Check("verify", "unit x.service enabled at boot", False, warning=True),
        Check("verify", "port 80 listening", False, "nothing listens"),
        Check("health", "health check", False, "never answered"),
    )
    timings = {"boot": 0.5, "verify": 0.25, "total": 9.0}
    assert stage_progress(checks, timings) == [
        "  boot: 1 passed in 0.50s",
        "  verify: 1 of 3 failed in 0.25s",
        "  health: 1 of 1 failed",
    ]
