"""Structural checks of JUnit XML, as CI servers read it.

The elements and attributes the JUnit schema CI servers use requires or
constrains (Jenkins' junit-10.xsd, which GitLab and the GitHub test-report
actions read the same way): written out as checks, since no schema file may
be fetched. `problems()` returns what is wrong, one line per problem.

What junit-10.xsd says, and is checked here: `<testsuites>` holds only
`<testsuite>`s and has only name, time, tests, failures and errors; a
`<testsuite>` must have name, tests, failures and errors, may have a few more
attributes (no others), and holds testsuite, properties, testcase,
system-out and system-err; a `<testcase>` must have a name and may have only
time, classname and group; `<failure>`, `<error>` and `<skipped>` have only
type and message; a `<property>` needs name and value; times are decimal
seconds. Beyond the schema, what GitLab and Jenkins need to key a test's
history (a classname on every case) and the counts agreeing with the cases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

SUITE_CHILDREN = {"testsuite", "properties", "testcase", "system-out", "system-err"}
CASE_CHILDREN = {
    "skipped", "error", "failure", "system-out", "system-err",
    "rerunFailure", "rerunError", "flakyFailure", "flakyError",
}  # fmt: skip
ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {
        "name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
        "hostname", "id", "package", "file", "log", "url",
    },
    "testcase": {"name", "time", "classname", "group"},
    "failure": {"type", "message"},
    "error": {"type", "message"},
    "skipped": {"type", "message"},
    "property": {"name", "value"},
}  # fmt: skip
COUNTS = ("tests", "failures", "errors", "skipped", "disabled")
DECIMAL = re.compile(r"^\d+(\.\d+)?$")
# The Ant form readers of junit-10.xsd parse: local date and time, no zone.
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def problems(path: Path) -> list[str]:
    """Everything that makes the file not valid JUnit XML; empty when it is."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    found: list[str] = []
    found += _unknown_attributes(root)
    if root.tag == "testsuites":
        suites = list(root)
        found += [f"<testsuites> holds <{e.tag}>" for e in suites if e.tag != "testsuite"]
        found += _counts("testsuites", root)
        _totals(root, found)
    elif root.tag == "testsuite":
        suites = [root]
    else:
        return [f"root element is <{root.tag}>, not <testsuites> or <testsuite>"]
    if not suites:
        found.append("no <testsuite>")
    for suite in (s for s in suites if s.tag == "testsuite"):
        found += _suite(suite)
    return found


def _unknown_attributes(root: ET.Element) -> list[str]:
    found = []
    for element in root.iter():
        allowed = ATTRIBUTES.get(element.tag)
        if allowed is None:
            continue
        found += [
            f"<{element.tag} name={element.get('name')!r}>: attribute {a!r} is not in the schema"
            for a in element.attrib
            if a not in allowed
        ]
    return found


def cases(path: Path) -> list[ET.Element]:
    """Every <testcase>, in file order."""
    return list(ET.parse(path).getroot().iter("testcase"))


def _suite(suite: ET.Element) -> list[str]:
    name = suite.get("name")
    where = f"<testsuite name={name!r}>"
    found = [
        f"{where}: missing required attribute {a!r}"
        for a in ("name", "tests", "failures", "errors")
        if suite.get(a) is None
    ]
    if suite.get("timestamp") is not None and not TIMESTAMP.match(suite.get("timestamp", "")):
        found.append(f"{where}: timestamp {suite.get('timestamp')!r} is not YYYY-MM-DDTHH:MM:SS")
    for props in suite.findall("properties"):
        for prop in props:
            if prop.tag != "property":
                found.append(f"{where} <properties> holds <{prop.tag}>")
            elif prop.get("name") is None or prop.get("value") is None:
                found.append(f"{where}: <property> without a name or a value")
    found += _counts(where, suite)
    found += [f"{where} holds <{e.tag}>" for e in suite if e.tag not in SUITE_CHILDREN]
    cases = suite.findall("testcase")
    if suite.get("tests", "").isdigit() and int(suite.get("tests", "0")) != len(cases):
        found.append(f"{where}: tests={suite.get('tests')} but {len(cases)} <testcase>")
    for attribute, child in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        counted = sum(1 for c in cases if c.find(child) is not None)
        given = suite.get(attribute)
        if given is not None and given.isdigit() and int(given) != counted:
            found.append(f"{where}: {attribute}={given} but {counted} <testcase> with <{child}>")
    for case in cases:
        found += _case(where, case)
    for nested in suite.findall("testsuite"):
        found += _suite(nested)
    return found


def _case(where: str, case: ET.Element) -> list[str]:
    label = f"{where} <testcase name={case.get('name')!r}>"
    found = [
        f"{label}: missing required attribute {a!r}"
        for a in ("name", "classname", "time")
        if not case.get(a)
    ]
    if case.get("time") and not DECIMAL.match(case.get("time", "")):
        found.append(f"{label}: time {case.get('time')!r} is not a decimal number of seconds")
    found += [f"{label} holds <{e.tag}>" for e in case if e.tag not in CASE_CHILDREN]
    for problem in case.findall("failure") + case.findall("error"):
        if problem.get("message") is None:
            found.append(f"{label}: <{problem.tag}> without a message")
    return found


def _counts(where: str, element: ET.Element) -> list[str]:
    found = [
        f"{where}: {a}={element.get(a)!r} is not a count"
        for a in COUNTS
        if element.get(a) is not None and not element.get(a, "").isdigit()
    ]
    if element.get("time") is not None and not DECIMAL.match(element.get("time", "")):
        found.append(f"{where}: time {element.get('time')!r} is not a decimal number of seconds")
    return found


def _totals(root: ET.Element, found: list[str]) -> None:
    for attribute in ("tests", "failures", "errors"):
        given = root.get(attribute)
        if given is None or not given.isdigit():
            continue
        total = sum(int(s.get(attribute, "0") or 0) for s in root.findall("testsuite"))
        if int(given) != total:
            found.append(f"<testsuites>: {attribute}={given} but its suites add up to {total}")
