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
from rpmkit.apps.discover import App
from rpmkit.apps.run_all import COLUMNS, AppRun, app_argv, child_env, failure_details, summary_rows
from rpmkit.checks import Check
from rpmkit.report import document as report_doc
from rpmkit.report import junit
from rpmkit.report.text import Report
from tests.junit_xml import cases, problems

HELLO = App("hello-world", Path("/repo/hello-world"), "hello-world")
DOCS = App("docs-site", Path("/repo/docs-site"), "docs-site")
RPM = "hello-world-1.0.0-1.x86_64.rpm"


def doc(ok: bool, stage: str = "health") -> dict[str, Any]:
    """What a child `rpmkit run --json` writes."""
    checks = (
        Check("build", "hello-world 1.0.0-1 built", True, id="build.rpm").timed(0.0, 1.0),
        Check(stage, "health check", ok, id=f"{stage}.http").timed(1.0, 2.0),
    )
    entry = report_doc.app_entry(
        Report(RPM, "offline", checks, {"total": 2.0}), "hello-world", 0.0, 2.0, rpms=[RPM]
    )
    return report_doc.document("run", [entry], 0.0, 2.0)


def test_each_app_runs_as_its_own_quiet_rpmkit_run_with_a_json_report(tmp_path: Path) -> None:
    argv = app_argv(HELLO, ["--profile", "offline"], tmp_path / "1.json")
    assert argv == [
        sys.executable, "-m", "rpmkit", "-q", "run", "/repo/hello-world",
        "--profile", "offline",
        "--json", str(tmp_path / "1.json"),
    ]  # fmt: skip


def test_failed_stage_comes_from_the_report_else_from_the_exit_code() -> None:
    assert AppRun(HELLO, 0, 1.0, "", doc(True)).failed_stage is None
    assert AppRun(HELLO, 1, 1.0, "", doc(False, "health")).failed_stage == "health"
    assert AppRun(HELLO, 1, 1.0, "error: rpmbuild failed", None).failed_stage == "run"
    assert AppRun(HELLO, 130, 1.0, "", None).failed_stage == "run"
    assert AppRun(HELLO, 1, 1.0, "", {"format": "other"}).failed_stage == "run"


def test_summary_rows_name_the_binary_rpm_and_the_failed_stage() -> None:
    runs = [
        AppRun(DOCS, 2, 0.4, "error: docs-site: static_root missing\n", None),
        AppRun(HELLO, 0, 12.34, "PASS: ...\n", doc(True)),
    ]
    assert summary_rows(runs) == [
        {"app": "docs-site", "result": "FAIL", "failed stage": "run", "time": "0.4s", "rpm": "-"},
        {"app": "hello-world", "result": "PASS", "failed stage": "-", "time": "12.3s", "rpm": RPM},
    ]
    assert set(summary_rows(runs)[0]) == set(COLUMNS)
    details = failure_details(runs)
    assert details[0] == "--- docs-site (docs-site): exit 2"
    assert details[1] == "  | error: docs-site: static_root missing"
    assert len(details) == 2


def test_the_merged_report_holds_each_apps_own_entry_or_one_made_from_its_exit(
    tmp_path: Path,
) -> None:
    runs = [
        AppRun(HELLO, 1, 2.5, "", doc(False)),
        AppRun(DOCS, 3, 1.0, "building\nTraceback ...\nKeyError: 'x'\n", None),
    ]
    merged = report_doc.document("run --all", [r.entry for r in runs], 0.0, 3.0)
    hello, docs = merged["apps"]
    assert hello["path"] == "hello-world"
    assert [c["id"] for c in hello["checks"]] == ["build.rpm", "health.http"]
    assert docs["failed_stage"] == "run"
    assert docs["error"] == "KeyError: 'x'"
    assert docs["checks"][0]["id"] == "run.completed"
    assert "Traceback" in docs["checks"][0]["evidence"]
    path = tmp_path / "all.xml"
    path.write_bytes(junit.render(merged))
    assert problems(path) == []
    root = ET.parse(path).getroot()
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    assert [s.get("name") for s in root] == ["hello-world", "docs-site"]
    assert [(c.get("classname"), c.get("name")) for c in cases(path)] == [
        ("build", "build.rpm"),
        ("health", "health.http"),
        ("run", "run.completed"),
    ]
    assert json.loads(json.dumps(merged)) == merged


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


def test_each_apps_run_leaves_the_ci_annotations_to_the_summary() -> None:
    env = child_env({"GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "CI": "true", "PATH": "/bin"})
    assert env == {"CI": "true", "PATH": "/bin", "NO_COLOR": "1"}
