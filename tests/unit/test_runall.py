"""`rpmkit run --all`: the command per app, the summary, the merged reports."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rpmkit import cli
from rpmkit.discover import App
from rpmkit.runall import (
    COLUMNS,
    AppRun,
    app_argv,
    failure_details,
    summary_rows,
    to_dict,
    write_junit,
)
from tests.junit_xml import cases, problems

HELLO = App("hello-world", Path("/repo/hello-world"), "hello-world")
DOCS = App("docs-site", Path("/repo/docs-site"), "docs-site")
BUILT = (
    "built: /repo/hello-world/dist/hello-world-1.0.0-1.x86_64.rpm\n"
    "built: /repo/hello-world/dist/hello-world-1.0.0-1.src.rpm\n"
)


def report(ok: bool, failed_stage: str | None = None) -> dict[str, Any]:
    return {"subject": "x", "ok": ok, "failed_stage": failed_stage, "checks": []}


def test_each_app_runs_as_its_own_quiet_rpmkit_run_with_a_json_report(tmp_path: Path) -> None:
    argv = app_argv(HELLO, ["--profile", "offline"], tmp_path / "1.json", tmp_path / "1.xml")
    assert argv == [
        sys.executable, "-m", "rpmkit", "-q", "run", "/repo/hello-world",
        "--profile", "offline",
        "--json", str(tmp_path / "1.json"),
        "--junit-xml", str(tmp_path / "1.xml"),
    ]  # fmt: skip
    assert "--junit-xml" not in app_argv(HELLO, [], tmp_path / "1.json")


def test_failed_stage_comes_from_the_report_else_from_the_exit_code() -> None:
    assert AppRun(HELLO, 0, 1.0, BUILT, report(True), None).failed_stage is None
    assert AppRun(HELLO, 1, 1.0, BUILT, report(False, "health"), None).failed_stage == "health"
    assert AppRun(HELLO, 1, 1.0, "error: rpmbuild failed", None, None).failed_stage == "build"
    assert AppRun(HELLO, 2, 1.0, "error: bad config", None, None).failed_stage == "config"
    assert AppRun(HELLO, 130, 1.0, "", None, None).failed_stage == "interrupted"
    assert AppRun(HELLO, 3, 1.0, "", None, None).failed_stage == "error"


def test_summary_rows_name_the_binary_rpm_and_the_failed_stage() -> None:
    runs = [
        AppRun(DOCS, 2, 0.4, "error: docs-site: static_root missing\n", None, None),
        AppRun(HELLO, 0, 12.34, BUILT + "PASS: ...\n", report(True), None),
    ]
    assert summary_rows(runs) == [
        {
            "app": "docs-site",
            "result": "FAIL",
            "failed stage": "config",
            "time": "0.4s",
            "rpm": "-",
        },
        {
            "app": "hello-world",
            "result": "PASS",
            "failed stage": "-",
            "time": "12.3s",
            "rpm": "hello-world-1.0.0-1.x86_64.rpm",
        },
    ]
    assert set(summary_rows(runs)[0]) == set(COLUMNS)
    details = failure_details(runs)
    assert details[0] == "--- docs-site (docs-site): exit 2"
    assert details[1] == "  | error: docs-site: static_root missing"
    assert len(details) == 2


def test_json_holds_every_app_with_its_report() -> None:
    runs = [
        AppRun(HELLO, 0, 2.0, BUILT, report(True), None),
        AppRun(DOCS, 1, 1.0, "x\nerror: rpmbuild failed\ntail\n", None, None),
    ]
    data = json.loads(json.dumps(to_dict(runs)))
    assert data["ok"] is False
    hello, docs = data["apps"]
    assert hello["rpm"] == "hello-world-1.0.0-1.x86_64.rpm"
    assert hello["report"]["ok"] is True
    assert hello["error"] is None
    assert docs == {
        "name": "docs-site",
        "path": "docs-site",
        "ok": False,
        "failed_stage": "build",
        "seconds": 1.0,
        "rpm": None,
        "returncode": 1,
        "error": "error: rpmbuild failed",
        "report": None,
    }


def test_junit_merges_the_apps_suites_and_reports_a_build_failure_as_a_case(
    tmp_path: Path,
) -> None:
    suite = tmp_path / "hello.xml"
    suite.write_text(
        '<?xml version="1.0"?><testsuites><testsuite name="rpmkit check hello" tests="2" '
        'failures="0" errors="0" skipped="0" time="1.0">'
        '<testcase classname="rpmkit.install" name="installed" time="0.5"/>'
        '<testcase classname="rpmkit.health" name="health check" time="0.5"/>'
        "</testsuite></testsuites>"
    )
    runs = [
        AppRun(HELLO, 0, 2.0, BUILT, report(True), suite),
        AppRun(DOCS, 1, 1.0, "building\nerror: rpmbuild failed\n", None, None),
    ]
    merged = tmp_path / "all.xml"
    write_junit(runs, merged)
    assert problems(merged) == []
    root = ET.parse(merged).getroot()
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    assert [s.get("name") for s in root] == ["rpmkit check hello", "rpmkit run docs-site"]
    failed = cases(merged)[-1]
    assert (failed.get("classname"), failed.get("name")) == ("rpmkit.build", "build docs-site")
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == "error: rpmbuild failed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "give the app's directory (APP), or --all"),
        (["run", ".", "-j", "2"], "-j/--jobs goes with --all"),
        (["run", "--all", ".", "--version", "2"], "not with --all"),
        (["run", "--all", ".", "--keep"], "not with --all"),
    ],
)
def test_run_usage_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli.cli, args)
    assert result.exit_code != 0
    assert message in str(result.exception)


def test_run_all_without_apps_fails_before_touching_docker(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.cli, ["run", "--all", str(tmp_path)])
    assert "no app below" in str(result.exception)
