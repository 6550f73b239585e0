"""The check's report: a line per check, evidence under failures, the time of each stage.

The CI formats are made from it elsewhere: the `rpmkit.report/1` JSON document
(`report_doc`) and JUnit XML (`junit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rpmkit.checks import Check
from rpmkit.values import printable

# Stages in the order a command goes through them; a report's failed stage is the first.
STAGES = (
    "config", "setup", "build", "install", "upgrade", "boot", "verify", "health", "settle",
    "app-tests", "erase",
)  # fmt: skip
# What differs between repeats of one log line: times, dates, counters, pids.
_NUMBERS = re.compile(r"\d+")


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
        """The first stage with a failed check (in STAGES order, then in report order)."""
        failed = [c.stage for c in self.checks if not (c.ok or c.warning)]
        for stage in STAGES:
            if stage in failed:
                return stage
        return failed[0] if failed else None


def render(report: Report, verbose: bool = False) -> str:
    """The human report: one line per check, evidence under failures, the stage times."""
    lines = []
    # Names, details and evidence quote RPM headers, logs and servers: each is kept to its line.
    for c in report.checks:
        mark = "PASS" if c.ok else ("WARN" if c.warning else "FAIL")
        detail = f"  ({printable(c.detail)})" if c.detail else ""
        lines.append(f"{mark}  {c.stage:<9} {printable(c.name)}{detail}")
        if c.evidence and (not c.ok or verbose):
            evidence = collapse(c.evidence.rstrip().splitlines())
            lines += [f"        | {printable(e)}" for e in evidence]
    times = "  ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    lines.append(f"time: {times}")
    verdict = "PASS" if report.ok else f"FAIL at {report.failed_stage or 'check'}"
    lines.append(f"{verdict}: {printable(report.subject)} on {report.profile}")
    return "\n".join(lines)


def collapse(lines: list[str]) -> list[str]:
    """Runs of one repeated line shown once with a count.

    Three or more identical lines become one with "(x20)". Lines equal but for
    their numbers (a log's time stamps, request counters, pids) keep the first
    and the last, so the span of times stays visible, and say how many between.
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        key = _NUMBERS.sub("#", lines[i])
        j = i + 1
        while j < len(lines) and _NUMBERS.sub("#", lines[j]) == key:
            j += 1
        count = j - i
        if count < 3:
            out += lines[i:j]
        elif all(line == lines[i] for line in lines[i:j]):
            out.append(f"{lines[i]}  (x{count})")
        else:
            out += [lines[i], f"... {count - 2} more like it ...", lines[j - 1]]
        i = j
    return out
