"""JUnit XML from an `rpmkit.report/1` document, as GitLab, Jenkins and GitHub's actions read it.

CI servers know a test by suite + classname + name, and keep its history under
that key. So: one `<testsuite>` per app, named after the app (no version, no
file name); `classname` is the stage; `name` is the check's stable id
(`verify.unit-active:hello.service`), the same across versions and between
pass and fail. Each case's `time` is its share of the app's real time, so the
cases add up to the suite. A failure carries `type` (the check's kind: its id
without the subject) and `message` (the check's line); the evidence is its
text. Attributes are those Jenkins' junit-10.xsd allows.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

# Characters XML 1.0 cannot hold at all, escaped or not (an ANSI colour code in a log tail).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}


def render(doc: dict[str, Any]) -> bytes:
    """The document as a JUnit XML file's bytes (UTF-8, with the XML declaration)."""
    root = ET.Element("testsuites", name=f"rpmkit {doc['command']}")
    totals = {"tests": 0, "failures": 0}
    for app in doc["apps"]:
        suite = _suite(app, doc)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("time", _time(doc["seconds"]))
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _suite(app: dict[str, Any], doc: dict[str, Any]) -> ET.Element:
    checks = app["checks"]
    suite = ET.Element(
        "testsuite",
        name=xml_safe(app["name"]),
        tests=str(len(checks)),
        failures=str(sum(1 for c in checks if c["verdict"] == "fail")),
        errors="0",
        skipped="0",
        time=_time(app["seconds"]),
        # The Ant form (no zone; UTC here), which junit-10.xsd's readers parse.
        timestamp=doc["started"][:19],
        hostname=xml_safe(doc["host"]),
    )
    properties = {
        "subject": app["subject"],
        "profile": app["profile"] or "",
        "rpmkit_version": doc["rpmkit_version"],
    }
    if app["error"]:
        properties["error"] = app["error"]
    props = ET.SubElement(suite, "properties")
    for key, value in properties.items():
        ET.SubElement(props, "property", name=key, value=xml_safe(value))
    for check in checks:
        suite.append(_case(check))
    return suite


def _case(check: dict[str, Any]) -> ET.Element:
    case = ET.Element("testcase", classname=xml_safe(check["stage"]), name=xml_safe(check["id"]))
    case.set("time", _time(check["time"]))
    line = check["name"] + (f" ({check['detail']})" if check["detail"] else "")
    if check["verdict"] == "fail":
        failure = ET.SubElement(
            case,
            "failure",
            type=xml_safe(check["id"].split(":", 1)[0]),
            message=xml_safe(line),
        )
        failure.text = xml_safe(check["evidence"])
    ET.SubElement(case, "system-out").text = xml_safe(f"{MARKS[check['verdict']]}  {line}")
    return case


def _time(seconds: float) -> str:
    return f"{max(seconds, 0.0):.3f}"


def xml_safe(text: str) -> str:
    """The text with what XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)
