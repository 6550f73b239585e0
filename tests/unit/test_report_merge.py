"""`rpmkit report merge`: the shards' reports as one report, one JUnit file, one exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rpmkit.checks import Check
from rpmkit.report import document as report_doc
from rpmkit.report.text import Report
from tests.reports import read_junit, read_report


def entry(name: str, ok: bool = True) -> dict[str, Any]:
    checks = (
        Check("build", f"{name} 1.0-1 built", True, id="build.rpm").timed(0.0, 1.0),
        Check("health", "health check", ok, "503", "nginx: upstream down", id="health.http")
        .timed(1.0, 2.0),
    )  # fmt: skip
    rpm = f"{name}-1.0-1.noarch.rpm"
    report = Report(rpm, "offline", checks, {"total": 2.0})
    return report_doc.app_entry(report, name, 0.0, 2.0, path=f"apps/{name}", rpms=[rpm])


def shard(tmp: Path, label: str | None, names: list[str], failed: str = "", at: float = 0) -> Path:
    doc = report_doc.document(
        "run --all", [entry(n, n != failed) for n in names], 1_790_000_000 + at,
        1_790_000_010 + at,
    )  # fmt: skip
    if label is not None:
        doc["shard"] = label
        doc["host"] = f"runner-{label[0]}"
    path = tmp / f"shard-{(label or 'x').replace('/', '-')}.json"
    path.write_text(json.dumps(doc))
    return path


def merge(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rpmkit", "report", "merge", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )  # fmt: skip


def test_shards_merge_into_one_report_in_path_order(tmp_path: Path) -> None:
    files = [
        shard(tmp_path, "3/3", ["web"], at=5),
        shard(tmp_path, "1/3", ["api", "db"]),
        shard(tmp_path, "2/3", ["queue"], at=2),
    ]
    proc = merge(*files, "--json", "out/all.json", "--junit-xml", "out/all.xml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = read_report(tmp_path / "out" / "all.json")
    assert [a["name"] for a in doc["apps"]] == ["api", "db", "queue", "web"]
    assert doc["command"] == "run --all"
    assert doc["verdict"] == "pass"
    assert "shard" not in doc
    assert doc["started"] == report_doc.iso(1_790_000_000)
    assert doc["finished"] == report_doc.iso(1_790_000_015)
    assert doc["seconds"] == 15.0
    assert doc["host"] == "runner-1, runner-2, runner-3"
    assert list(read_junit(tmp_path / "out" / "all.xml")) == ["api", "db", "queue", "web"]
    assert proc.stdout.splitlines()[-1] == "rpmkit run --all: PASS 4 apps in 15.00s"


def test_a_failed_app_in_any_shard_fails_the_merge(tmp_path: Path) -> None:
    files = [shard(tmp_path, "1/2", ["api"]), shard(tmp_path, "2/2", ["web"], failed="web")]
    proc = merge(*files, "--junit-xml", "-", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    suites = read_junit_text(proc.stdout, tmp_path)
    assert ("health", "health.http", "fail") in suites["web"]
    assert "error: 1 of 2 apps failed: web" in proc.stderr


def test_a_missing_shard_fails_the_merge_and_shows_in_junit(tmp_path: Path) -> None:
    files = [shard(tmp_path, "1/3", ["api"]), shard(tmp_path, "3/3", ["web"])]
    proc = merge(*files, "--junit-xml", "all.xml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    suites = read_junit(tmp_path / "all.xml")
    assert suites["shard-2-of-3"] == [("merge", "merge.shard-reported:2/3", "fail")]
    assert "shard-2-of-3" in proc.stderr


def test_an_empty_shard_is_a_shard_that_reported(tmp_path: Path) -> None:
    files = [shard(tmp_path, "1/2", ["api"]), shard(tmp_path, "2/2", [])]
    proc = merge(*files, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("duplicate", "app 'api' is in both"),
        ("format", "format 'rpmkit.report/0', not 'rpmkit.report/1'"),
        ("version", "reports from different rpmkit versions"),
        ("twice", "shard 1/2 is reported twice"),
        ("totals", "shards of different matrices"),
        ("json", "not a JSON report"),
        ("missing", "cannot read the report"),
        ("label", "shard '3/2' is not I/N"),
        ("shape", "apps[0].checks[0] has no stage"),
        ("apps", "apps[0] is not an object"),
    ],
)
def test_reports_that_cannot_be_merged_are_refused_in_one_line(
    tmp_path: Path, problem: str, expected: str
) -> None:
    one = shard(tmp_path, "1/2", ["api"])
    other = tmp_path / "other.json"
    doc = json.loads(one.read_text())
    if problem == "duplicate":
        doc["shard"] = "2/2"
    elif problem == "format":
        doc["format"] = "rpmkit.report/0"
    elif problem == "version":
        doc["rpmkit_version"] = "0.0.1"
        doc["apps"][0]["name"] = "web"
    elif problem == "twice":
        doc["apps"][0]["name"] = "web"
    elif problem == "shape":
        del doc["apps"][0]["checks"][0]["stage"]
    elif problem == "apps":
        doc["apps"] = ["web"]
    elif problem == "label":
        doc["shard"] = "3/2"
        doc["apps"][0]["name"] = "web"
    elif problem == "totals":
        doc["shard"] = "2/3"
        doc["apps"][0]["name"] = "web"
    other.write_text("{" if problem == "json" else json.dumps(doc))
    if problem == "missing":
        other.unlink()
    proc = merge(one, other, "--junit-xml", "out.xml", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert not (tmp_path / "out.xml").exists()


def read_junit_text(text: str, tmp: Path) -> dict[str, list[tuple[str, str, str]]]:
    path = tmp / "stdout.xml"
    path.write_text(text)
    return read_junit(path)
