"""The JUnit report: valid as CI servers read it, one suite per app, stable test names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import junitparser
import pytest

from rpmkit.checks import Check
from rpmkit.report import document as report_doc
from rpmkit.report import junit
from rpmkit.report.text import Report
from tests.junit_xml import cases, problems

CHECKS = (
    Check("install", "hello-1.0-1.noarch installed, every scriptlet succeeded", True, "0.6s",
          id="install.installed").timed(0.0, 0.6),
    Check("boot", "systemd reached running", False, "degraded: failed x.service", warning=True,
          id="boot.systemd-running").timed(0.6, 1.0),
    Check("verify", "unit hello.service enabled at boot", True,
          id="verify.unit-enabled:hello.service").timed(0.6, 0.7),
    Check("verify", 'port 80 listening <&> "quoted"', False, "nothing listens", "ss -ltn\n...",
          id="verify.port-listening:80").timed(1.0, 1.1),
    Check("health", "health check", False, "answered 500", "last body: '\x1b[31mboom'",
          id="health.http").timed(0.6, 3.0),
    Check("app-tests", "test_app::test_skipped", True, "skipped", warning=True,
          id="app-tests.test:test_app::test_skipped"),
)  # fmt: skip
REPORT = Report(
    "hello-1.0-1.noarch",
    "offline",
    CHECKS,
    {"install": 0.6, "boot": 0.4, "verify": 0.2, "health": 2.4, "total": 3.0},
)


def write(tmp_path: Path, command: str = "check", *reports: tuple[str, Report]) -> Path:
    apps = [
        report_doc.app_entry(r, name, 0.0, 3.2)
        for name, r in (reports or (("hello-world", REPORT),))
    ]
    path = tmp_path / "report.xml"
    path.write_bytes(junit.render(report_doc.document(command, apps, 1e9, 1e9 + 3.5)))
    return path


def test_the_check_report_is_valid_junit_with_one_case_per_check(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert problems(path) == []
    found = cases(path)
    assert [(c.get("classname"), c.get("name")) for c in found] == [(c.stage, c.id) for c in CHECKS]
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("name") == "hello-world"
    assert suite.get("tests") == str(len(CHECKS))
    assert suite.get("failures") == "2"  # warnings count as passed
    assert suite.get("timestamp") == "2001-09-09T01:46:40"
    assert suite.get("hostname")
    # Per-case times are shares of the real time: they add up to the suite's.
    total = sum(float(c.get("time", "0")) for c in found)
    assert total == pytest.approx(float(suite.get("time", "0")), abs=0.01)
    assert float(suite.get("time", "0")) == pytest.approx(3.2)


def test_failures_carry_a_type_a_message_and_the_evidence(tmp_path: Path) -> None:
    path = write(tmp_path)
    failures = {c.get("name"): c.find("failure") for c in cases(path)}
    port = failures["verify.port-listening:80"]
    assert port is not None
    assert port.get("type") == "verify.port-listening"
    assert port.get("message") == 'port 80 listening <&> "quoted" (nothing listens)'
    assert port.text == "ss -ltn\n..."
    health = failures["health.http"]
    assert health is not None
    assert health.text == "last body: '\ufffd[31mboom'"  # what XML cannot hold is replaced
    assert failures["boot.systemd-running"] is None  # a warning is no failure


def test_junitparser_reads_it_back(tmp_path: Path) -> None:
    other = Report("docs-1.0-1.noarch", "offline", CHECKS[:1], {"install": 0.6, "total": 0.6})
    path = write(tmp_path, "run --all", ("hello-world", REPORT), ("docs-site", other))
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"hello-world", "docs-site"}
    hello = suites["hello-world"]
    assert (hello.tests, hello.failures, hello.errors) == (6, 2, 0)
    assert hello.hostname
    by_name = {case.name: case for case in hello}
    health = by_name["health.http"]
    assert health.classname == "health"
    assert not health.is_passed
    [result] = health.result
    assert isinstance(result, junitparser.Failure)
    assert result.type == "health.http"
    assert result.message == "health check (answered 500)"
    assert by_name["install.installed"].is_passed
    assert xml.tests == 7
    assert xml.failures == 2


def test_the_validator_catches_what_ci_servers_reject(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<testsuites tests="9" skipped="1"><testsuite tests="2" failures="0" time="soon" '
        'timestamp="yesterday"><properties><property name="a"/></properties>'
        '<testcase name="a" time="1" file="x.py"><failure/></testcase>'
        "<oops/></testsuite></testsuites>"
    )
    found = problems(bad)
    where = "<testsuite name=None>"
    assert f"{where}: missing required attribute 'name'" in found
    assert f"{where}: missing required attribute 'errors'" in found
    assert f"{where}: time 'soon' is not a decimal number of seconds" in found
    assert f"{where}: timestamp 'yesterday' is not YYYY-MM-DDTHH:MM:SS" in found
    assert f"{where}: <property> without a name or a value" in found
    assert f"{where}: tests=2 but 1 <testcase>" in found
    assert f"{where}: failures=0 but 1 <testcase> with <failure>" in found
    assert f"{where} holds <oops>" in found
    assert f"{where} <testcase name='a'>: missing required attribute 'classname'" in found
    assert f"{where} <testcase name='a'>: <failure> without a message" in found
    assert "<testcase name='a'>: attribute 'file' is not in the schema" in found
    assert "<testsuites name=None>: attribute 'skipped' is not in the schema" in found
    assert "<testsuites>: tests=9 but its suites add up to 2" in found
    (tmp_path / "junk.xml").write_text("<testsuite")
    assert problems(tmp_path / "junk.xml")[0].startswith("not well-formed XML")
