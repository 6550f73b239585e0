"""The JUnit report is valid JUnit XML with one test case per check (checked structurally)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rpmkit.checks import Check
from rpmkit.report import Report, write_junit
from tests.junit_xml import cases, problems

CHECKS = (
    Check("install", "hello-1.0-1.noarch installed, every scriptlet succeeded", True, "0.6s"),
    Check("boot", "systemd reached running", False, "degraded: failed x.service", warning=True),
    Check("verify", "unit hello.service enabled at boot", True),
    Check("verify", 'port 80 listening <&> "quoted"', False, "nothing listens", "ss -ltn\n..."),
    Check("health", "health check", False, "answered 500", "last body: '\x1b[31mboom'"),
    Check("app-tests", "test_app::test_skipped", True, "skipped", warning=True),
)
REPORT = Report(
    "hello-1.0-1.noarch",
    "offline",
    CHECKS,
    {"install": 0.6, "boot": 0.4, "verify": 0.2, "health": 30.0, "total": 31.2},
)


def test_the_check_report_is_valid_junit_with_one_case_per_check(tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    write_junit(REPORT, path)
    assert problems(path) == []
    found = cases(path)
    assert [(c.get("classname"), c.get("name")) for c in found] == [
        (f"rpmkit.{c.stage}", c.name) for c in CHECKS
    ]
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == str(len(CHECKS))
    assert suite.get("failures") == "2"  # warnings count as passed


def test_the_structural_checks_catch_what_ci_servers_reject(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<testsuites tests="9"><testsuite tests="2" failures="0" time="soon">'
        '<testcase name="a" time="1"><failure/></testcase>'
        "<oops/></testsuite></testsuites>"
    )
    found = problems(bad)
    assert "<testsuite name=None>: missing required attribute 'name'" in found
    assert "<testsuite name=None>: time 'soon' is not a decimal number of seconds" in found
    assert "<testsuite name=None>: tests=2 but 1 <testcase>" in found
    assert "<testsuite name=None>: failures=0 but 1 <testcase> with <failure>" in found
    assert "<testsuite name=None> holds <oops>" in found
    assert "<testsuite name=None> <testcase name='a'>: missing required attribute 'classname'" in (
        found
    )
    assert "<testsuite name=None> <testcase name='a'>: <failure> without a message" in found
    assert "<testsuites>: tests=9 but its suites add up to 2" in found
    (tmp_path / "junk.xml").write_text("<testsuite")
    assert problems(tmp_path / "junk.xml")[0].startswith("not well-formed XML")
