"""Pieces of the check pipeline that need no Docker: the app tests' command, progress lines."""

from __future__ import annotations

from pathlib import Path

from rpmkit.check.app_tests import app_tests_command
from rpmkit.check.run import stage_progress
from rpmkit.checks import Check


def test_app_tests_run_attached_to_the_checked_instance_and_ignore_ini_files() -> None:
    argv = app_tests_command(Path("/app/tests/infra"), "rpmkit-x-1", Path("/j.xml"))
    # The plugin's `host` reaches the instance through rpmkit's engine seam.
    assert not any(a.startswith("--hosts") for a in argv)
    # The pytest plugin gives `rpm_host`/`rpm_instance` for this instance and boots nothing.
    assert "--rpmkit-instance=rpmkit-x-1" in argv
    assert argv[argv.index("-c") + 1] == "/dev/null"
    assert not any(a.startswith("--rpmkit-app") for a in argv)


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
