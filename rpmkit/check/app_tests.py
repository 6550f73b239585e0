"""The app's own testinfra tests, run by pytest against the booted instance.

Each test is one check in the report (its JUnit case read back), timed from
its own duration, so the report's times add up to the run's.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

from rpmkit import redact
from rpmkit.checks import Check
from rpmkit.install.stage import Instance
from rpmkit.scratch import scratch

APP_TESTS_ID = "app-tests.run"  # the pytest run itself; each test has its own id


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or ["failed"])[0][:300]


def app_tests_command(tests: Path, instance_name: str, junit: Path) -> list[str]:
    """pytest with the plugin's `host` and `rpm_host` fixtures on the instance."""
    # `-c /dev/null`: no ini file applies, so an `rpmkit_app` there cannot make the
    # plugin build and boot a second instance; --rpmkit-instance names this one.
    return [
        sys.executable, "-m", "pytest", str(tests),
        f"--rpmkit-instance={instance_name}",
        "-p", "no:cacheprovider",
        "-c", "/dev/null",
        f"--rootdir={tests}",
        # Only conftest.py files in the tests' folder: the ones the check cache digests.
        f"--confcutdir={tests}",
        "-q", "--no-header",
        f"--junitxml={junit}",
    ]  # fmt: skip


def pytest_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """rpmkit's environment without its secrets, for the app's own test code.

    The tests reach the instance through the engine (DOCKER_* stay), but the
    receipt key would let test code sign receipts, and publish credentials or
    any other secret (`redact`'s rule for names) are none of its business.
    """
    env = dict(os.environ if environ is None else environ)
    return {name: value for name, value in env.items() if not redact.secret_name(name)}


def run_app_tests(instance: Instance, tests: Path) -> list[Check]:
    """Run the app's testinfra tests against the instance; one check per test.

    Each test's time is pytest's own (from its JUnit report), laid out to end when
    the run ended: pytest's start-up counts towards the first test.
    """
    began = time.monotonic()
    with scratch("tests") as tmp:
        junit = Path(tmp) / "junit.xml"
        proc = subprocess.run(
            app_tests_command(tests, instance.name, junit),
            env=pytest_environment(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        finished = time.monotonic()
        if not junit.is_file():
            return [
                Check(
                    "app-tests", f"tests in {tests}", False, f"pytest exited {proc.returncode}",
                    (proc.stdout + proc.stderr)[-3000:], id=APP_TESTS_ID,
                ).timed(began, finished)
            ]  # fmt: skip
        checks = []
        for case in ET.parse(junit).getroot().iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
            check_id = f"app-tests.test:{name}"
            seconds = _seconds(case.get("time"))
            if case.find("skipped") is not None:
                checks.append(
                    Check("app-tests", name, True, "skipped", warning=True, id=check_id,
                          seconds=seconds)
                )  # fmt: skip
                continue
            checks.append(
                Check(
                    "app-tests",
                    name,
                    problem is None,
                    "" if problem is None else _first_line(problem.get("message") or "failed"),
                    "" if problem is None else (problem.text or "")[-3000:],
                    id=check_id,
                    seconds=seconds,
                )
            )
        if proc.returncode == 5 or not checks:
            checks.append(
                Check("app-tests", f"tests in {tests}", False, "no tests collected",
                      id=APP_TESTS_ID).timed(began, finished)
            )  # fmt: skip
        return _end_at(checks, finished)


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


def _end_at(checks: list[Check], finished: float) -> list[Check]:
    """Sequential checks with their own durations, placed so the last ends at `finished`."""
    out: list[Check] = []
    at = finished
    for check in reversed(checks):
        if check.started is not None:  # already placed
            out.insert(0, check)
            continue
        seconds = check.seconds or 0.0
        at -= seconds
        out.insert(0, dataclasses.replace(check, started=at, seconds=seconds))
    return out
