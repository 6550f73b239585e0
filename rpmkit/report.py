"""The check's report: a line per check, the time of each stage, and CI formats."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rpmkit.checks import Check

STAGES = ("install", "upgrade", "boot", "verify", "health", "settle", "app-tests", "erase")
# Characters XML 1.0 cannot hold at all, escaped or not (an ANSI colour code in a log tail).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Report:
    """Everything one check found."""

    subject: str  # the package(s) checked, name-version-release.arch
    profile: str
    checks: tuple[Check, ...]
    timings: dict[str, float]  # per stage, plus "total"

    @property
    def ok(self) -> bool:
        """True when every check passed (warnings do not fail)."""
        return all(c.ok or c.warning for c in self.checks) and bool(self.checks)

    @property
    def failed_stage(self) -> str | None:
        """The first stage with a failed check."""
        for stage in STAGES:
            if any(c.stage == stage and not (c.ok or c.warning) for c in self.checks):
                return stage
        return None

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data, for --json."""
        return {
            "subject": self.subject,
            "profile": self.profile,
            "ok": self.ok,
            "failed_stage": self.failed_stage,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "checks": [asdict(c) for c in self.checks],
        }


def render(report: Report, verbose: bool = False) -> str:
    """The human report: one line per check, evidence under failures, the stage times."""
    lines = []
    for c in report.checks:
        mark = "PASS" if c.ok else ("WARN" if c.warning else "FAIL")
        detail = f"  ({c.detail})" if c.detail else ""
        lines.append(f"{mark}  {c.stage:<9} {c.name}{detail}")
        if c.evidence and (not c.ok or verbose):
            lines += [f"        | {e}" for e in c.evidence.rstrip().splitlines()]
    times = "  ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    lines.append(f"time: {times}")
    verdict = "PASS" if report.ok else f"FAIL at {report.failed_stage or 'check'}"
    lines.append(f"{verdict}: {report.subject} on {report.profile}")
    return "\n".join(lines)


def write_json(report: Report, path: Path) -> None:
    """Write the report as JSON."""
    path.write_text(json.dumps(report.to_dict(), indent=2) + "\n")


def write_junit(report: Report, path: Path, suite: str = "rpmkit check") -> None:
    """Write the report as JUnit XML: one test case per check."""
    failures = sum(1 for c in report.checks if not (c.ok or c.warning))
    root = ET.Element("testsuites")
    ts = ET.SubElement(
        root,
        "testsuite",
        name=f"{suite} {report.subject}",
        tests=str(len(report.checks)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{report.timings.get('total', 0.0):.3f}",
    )
    for c in report.checks:
        case = ET.SubElement(ts, "testcase", classname=f"rpmkit.{c.stage}", name=xml_safe(c.name))
        case.set("time", f"{report.timings.get(c.stage, 0.0):.3f}")
        if not (c.ok or c.warning):
            failure = ET.SubElement(case, "failure", message=xml_safe(c.detail or "failed"))
            failure.text = xml_safe(c.evidence)
        elif c.detail:
            ET.SubElement(case, "system-out").text = xml_safe(c.detail)
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def xml_safe(text: str) -> str:
    """The text with what XML cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)
