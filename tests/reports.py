"""Reading rpmkit's reports back as CI servers do: the shipped JSON Schema, JUnit, junitparser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import junitparser

from rpmkit.report import document as report_doc
from tests.junit_xml import problems

SCHEMA = json.loads(
    (Path(report_doc.__file__).parent / "schemas" / "report-1.schema.json").read_text()
)


def read_report(path: Path) -> dict[str, Any]:
    """The --json report, validated against the schema rpmkit ships."""
    doc: dict[str, Any] = json.loads(path.read_text())
    jsonschema.validate(doc, SCHEMA)
    return doc


def read_junit(path: Path) -> dict[str, list[tuple[str, str, str]]]:
    """The JUnit report, checked structurally and read back with junitparser.

    Returns suite name -> [(classname, name, result)] with result pass or fail.
    """
    assert problems(path) == [], problems(path)
    found: dict[str, list[tuple[str, str, str]]] = {}
    for suite in junitparser.JUnitXml.fromfile(str(path)):
        assert suite.hostname, "a suite without a hostname"
        assert suite.timestamp, "a suite without a timestamp"
        cases = []
        for case in suite:
            for result in case.result:
                if isinstance(result, junitparser.Failure):
                    assert result.type, f"{case.name}: a failure without a type"
                    assert result.message, f"{case.name}: a failure without a message"
            cases.append((case.classname, case.name, "pass" if case.is_passed else "fail"))
        total = sum(case.time for case in suite)
        assert abs(total - suite.time) < 0.01 * max(1, len(cases)), (suite.name, total, suite.time)
        found[str(suite.name)] = cases
    return found


def ids(cases: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(classname, name): what a CI server keys a test's history on, within a suite."""
    return [(classname, name) for classname, name, _ in cases]
