"""The rpmkit.report/1 document: shares of real time, stable ids, the shipped JSON Schema."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from rpmkit.checks import Check
from rpmkit.report import document as report_doc
from rpmkit.report.text import Report

SCHEMA = json.loads(
    (Path(report_doc.__file__).parent / "schemas" / "report-1.schema.json").read_text()
)
PACKAGE = Path(report_doc.__file__).parent


def validate(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def timed(stage: str, name: str, start: float, seconds: float, ok: bool = True) -> Check:
    return Check(stage, name, ok, id=f"{stage}.{name}").timed(100 + start, 100 + start + seconds)


def test_checks_side_by_side_share_each_moment_and_the_shares_add_up() -> None:
    checks = [
        timed("install", "installed", 0.0, 1.0),
        # Two checks at once for 0.4 s, then one alone for 0.2 s.
        timed("verify", "a", 1.0, 0.4),
        timed("verify", "b", 1.0, 0.6),
        # Nothing runs from 1.6 to 2.0: the next check waited for it.
        timed("health", "http", 2.0, 0.5),
    ]
    shares = report_doc.allot(checks, 100.0, 3.0)
    assert shares == pytest.approx([1.0, 0.2, 0.4, 0.4 + 0.5 + 0.5])
    assert sum(shares) == pytest.approx(3.0)


def test_the_old_way_gave_every_check_its_stage_time() -> None:
    # Eight checks of 0.2 s run side by side in a 0.25 s stage: each gets a share, not 0.25.
    checks = [timed("verify", f"c{i}", 0.0, 0.2 + i * 0.005) for i in range(8)]
    shares = report_doc.allot(checks, 100.0, 0.25)
    assert sum(shares) == pytest.approx(0.25)
    assert max(shares) < 0.1


def test_untimed_checks_split_their_stage_time_when_none_was_timed() -> None:
    checks = [Check("steady", "a", True), Check("steady", "b", True), Check("swap", "c", True)]
    shares = report_doc.allot(checks, 0.0, 8.0, {"steady": 6.0, "swap": 2.0})
    assert shares == pytest.approx([3.0, 3.0, 2.0])
    assert report_doc.allot(checks, 0.0, 3.0) == pytest.approx([1.0, 1.0, 1.0])


def report(version: str, ok: bool) -> Report:
    """The same app's check at two versions, passing or failing."""
    nevra = f"hello-{version}-1.noarch"
    return Report(
        nevra,
        "offline",
        (
            Check("install", f"{nevra} installed, every scriptlet succeeded", True,
                  id="install.installed").timed(0.0, 0.6),
            Check("verify", f"package hello {version}-1 installed", True,
                  id="verify.package-installed:hello").timed(0.6, 0.7),
            Check("verify", "unit hello.service active", ok, "" if ok else "failed",
                  "" if ok else "journal", id="verify.unit-active:hello.service",
                  ).timed(0.7, 0.8),
            Check("health", "health check", ok, id="health.http").timed(0.6, 1.2),
        ),
        {"install": 0.6, "verify": 0.2, "health": 0.6, "total": 1.2},
    )  # fmt: skip


def test_the_document_validates_and_its_times_add_up() -> None:
    entry = report_doc.app_entry(report("1.0", False), "hello", 0.0, 1.5, rpms=["hello.rpm"])
    doc = report_doc.document("check", [entry], 1_700_000_000.0, 1_700_000_001.5)
    validate(doc)
    assert doc["format"] == "rpmkit.report/1"
    assert doc["verdict"] == "fail"
    assert doc["started"] == "2023-11-14T22:13:20.000Z"
    assert entry["failed_stage"] == "verify"
    assert sum(c["time"] for c in entry["checks"]) == pytest.approx(1.5, abs=0.005)
    assert [s["name"] for s in entry["stages"]] == ["install", "verify", "health"]
    assert [s["verdict"] for s in entry["stages"]] == ["pass", "fail", "fail"]
    first = entry["checks"][0]
    assert (first["offset"], first["seconds"]) == (0.0, 0.6)


def test_ids_stay_the_same_across_a_version_bump_and_between_pass_and_fail() -> None:
    ids = [
        [c["id"] for c in report_doc.app_entry(report(v, ok), "hello", 0.0, 1.5)["checks"]]
        for v, ok in (("1.0", True), ("1.1", True), ("1.1", False))
    ]
    assert ids[0] == ids[1] == ids[2]
    assert all(report_doc.ID_RE.match(i) for i in ids[0])
    assert not any("1.0" in i or "1.1" in i for i in ids[0])


def test_a_check_without_an_id_gets_one_without_numbers() -> None:
    assert report_doc.check_id(Check("verify", "package hello 1.2-3 installed", True)) == (
        "verify.package-hello-installed"
    )


def test_every_check_rpmkit_makes_is_given_an_id() -> None:
    missing = []
    for module in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Check"
                # Check(**stored) rebuilds a check that had one
                and not any(k.arg in ("id", None) for k in node.keywords)
            ):
                missing.append(f"{module.relative_to(PACKAGE)}:{node.lineno}")
    assert missing == []


def test_the_schema_rejects_what_is_not_the_format() -> None:
    entry = report_doc.app_entry(report("1.0", True), "hello", 0.0, 1.5)
    doc = report_doc.document("run", [entry], 0.0, 2.0)
    validate(doc)
    for broken in (
        {**doc, "format": "rpmkit.report/2"},
        {**doc, "verdict": "ok"},
        {**doc, "apps": [{**entry, "checks": [{**entry["checks"][0], "id": "Installed 1.0"}]}]},
        {k: v for k, v in doc.items() if k != "host"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)
