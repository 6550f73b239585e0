"""Report rendering, JSON and JUnit, and receipts with their self-digest."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rpmkit.checks import Check
from rpmkit.report import Report, render, write_json, write_junit

PASSING = Report(
    "hello-1.0-1.noarch",
    "offline",
    (
        Check("install", "hello installed", True),
        Check("boot", "systemd reached running", True),
        Check("verify", "unit hello.service enabled at boot", False, "not enabled", warning=True),
        Check("health", "health check", True, "answered 200"),
    ),
    {"install": 0.3, "boot": 0.4, "verify": 0.2, "health": 0.5, "total": 1.1},
)
FAILING = Report(
    "hello-1.0-1.noarch",
    "offline",
    (
        Check("install", "hello installed", True),
        Check("health", "health check", False, "answered 500", "last body: 'boom'"),
    ),
    {"install": 0.3, "total": 2.0},
)


def test_warnings_do_not_fail_and_failures_name_the_stage() -> None:
    assert PASSING.ok
    assert PASSING.failed_stage is None
    assert not FAILING.ok
    assert FAILING.failed_stage == "health"
    assert not Report("x", "offline", (), {}).ok  # nothing checked is not a pass


def test_render_has_a_line_per_check_and_the_stage_times() -> None:
    text = render(FAILING)
    assert "PASS  install   hello installed" in text
    assert "FAIL  health    health check  (answered 500)" in text
    assert "        | last body: 'boom'" in text
    assert "time: install 0.30s  total 2.00s" in text
    assert text.endswith("FAIL at health: hello-1.0-1.noarch on offline")
    assert "WARN  verify" in render(PASSING)


def test_json_and_junit_carry_the_same_checks(tmp_path: Path) -> None:
    write_json(FAILING, tmp_path / "r.json")
    write_junit(FAILING, tmp_path / "r.xml")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["failed_stage"] == "health"
    assert len(data["checks"]) == 2
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [c["name"] for c in data["checks"]]
    assert suite.get("failures") == "1"
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == "answered 500"
