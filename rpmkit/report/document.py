"""The `rpmkit.report/1` document: one JSON shape for check, run, run --all and rehearse.

```
{"format": "rpmkit.report/1", "rpmkit_version", "command", "started", "finished",
 "seconds", "host", "verdict", "apps": [{"name", "path", "subject", "profile", "verdict",
 "failed_stage", "error", "seconds", "rpms", "stages": [...], "checks": [...]}]}
```

The JSON Schema is `rpmkit/report/schemas/report-1.schema.json` (`rpmkit schema report`);
docs/reports.md describes every field. The JUnit report is made from this
document (`rpmkit.report.junit`), so the two always agree.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Sequence
from typing import Any

from rpmkit import __version__
from rpmkit.checks import Check
from rpmkit.report.text import Report

FORMAT = "rpmkit.report/1"
COMMANDS = ("check", "run", "run --all", "rehearse")
ID_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*(:.+)?$")
_SLUG = re.compile(r"[^a-z0-9]+")


def verdict(check: Check) -> str:
    """`pass`, `warn` (reported, does not fail) or `fail`."""
    if check.ok:
        return "pass"
    return "warn" if check.warning else "fail"


def check_id(check: Check) -> str:
    """The check's stable id; one made from its stage and name if it was given none."""
    if check.id:
        return check.id
    # Digits are left out: a version or a size in a name must not change the id.
    slug = _SLUG.sub("-", re.sub(r"[0-9]", "", check.name.lower())).strip("-")
    return f"{_SLUG.sub('-', check.stage.lower()).strip('-') or 'check'}.{slug or 'check'}"


def allot(
    checks: Sequence[Check], origin: float, span: float, timings: dict[str, float] | None = None
) -> list[float]:
    """Each check's share of `span` seconds of real time, starting at `origin` (monotonic).

    Checks that ran side by side share each moment equally; a moment when no
    check ran (a container starting, a wait between stages) goes to the check
    that started next, or to the one that ended last. The shares add up to
    `span`, so a CI server's sum of test times is the real time. Checks that
    were not timed on their own get 0, unless none was: then each stage's time
    (from `timings`) is split evenly among its checks and scaled to `span`.
    """
    n = len(checks)
    shares = [0.0] * n
    if n == 0 or span <= 0:
        return shares
    timed = [
        (i, _clamp(c.started - origin, span), _clamp(c.started - origin + c.seconds, span))
        for i, c in enumerate(checks)
        if c.started is not None and c.seconds is not None
    ]
    if not timed:
        return _by_stage(checks, span, timings or {})
    points = sorted({0.0, span, *(s for _, s, _ in timed), *(e for _, _, e in timed)})
    for a, b in zip(points, points[1:], strict=False):
        running = [i for i, s, e in timed if s <= a and e >= b and e > s]
        if running:
            for i in running:
                shares[i] += (b - a) / len(running)
            continue
        later = [(s, i) for i, s, _ in timed if s >= b]
        if later:
            owner = min(later)[1]
        else:
            owner = max(((e, i) for i, _, e in timed if e <= a), default=(0.0, timed[0][0]))[1]
        shares[owner] += b - a
    return shares


def _clamp(value: float, span: float) -> float:
    return min(max(value, 0.0), span)


def _by_stage(checks: Sequence[Check], span: float, timings: dict[str, float]) -> list[float]:
    counts: dict[str, int] = {}
    for c in checks:
        counts[c.stage] = counts.get(c.stage, 0) + 1
    weights = [max(timings.get(c.stage, 0.0), 0.0) / counts[c.stage] for c in checks]
    total = sum(weights)
    if total <= 0:
        return [span / len(checks)] * len(checks)
    return [w * span / total for w in weights]


def app_entry(
    report: Report,
    name: str,
    began: float,
    finished: float,
    *,
    path: str | None = None,
    rpms: Sequence[str] = (),
    error: str | None = None,
    failed_stage: str | None = None,
    cached: bool = False,
) -> dict[str, Any]:
    """One app's part of the document: its stages and checks with their times.

    `began` and `finished` (monotonic) bound the app's real time in this process;
    `error` is the one-line reason the command stopped, when it stopped early;
    `cached`: the verdict is that of an identical earlier check (its receipt).
    """
    seconds = max(finished - began, 0.0)
    shares = allot(report.checks, began, seconds, report.timings)
    checks = [
        {
            "id": check_id(c),
            "stage": c.stage,
            "name": c.name,
            "verdict": verdict(c),
            "detail": c.detail,
            "evidence": c.evidence,
            "offset": None if c.started is None else round(max(c.started - began, 0.0), 3),
            "seconds": None if c.seconds is None else round(c.seconds, 3),
            "time": round(share, 3),
        }
        for c, share in zip(report.checks, shares, strict=True)
    ]
    # A stage's time is its measured wall time; else the shares of its checks.
    spent: dict[str, float] = {}
    worst: dict[str, str] = {}
    for c, share in zip(report.checks, shares, strict=True):
        spent[c.stage] = spent.get(c.stage, 0.0) + share
        was = worst.get(c.stage, "pass")
        worst[c.stage] = max(was, verdict(c), key=("pass", "warn", "fail").index)
    stages = [
        {"name": stage, "seconds": round(report.timings.get(stage, spent[stage]), 3),
         "verdict": worst[stage]}
        for stage in spent
    ]  # fmt: skip
    ok = report.ok and error is None
    return {
        "name": name,
        "path": path,
        "subject": report.subject,
        "profile": report.profile or None,
        "verdict": "pass" if ok else "fail",
        "failed_stage": None if ok else (failed_stage or report.failed_stage),
        "error": error,
        "cached": cached,
        "seconds": round(seconds, 3),
        "rpms": list(rpms),
        "stages": stages,
        "checks": checks,
    }


def document(
    command: str, apps: Sequence[dict[str, Any]], started: float, finished: float
) -> dict[str, Any]:
    """The whole report; `started` and `finished` are wall-clock (epoch) seconds."""
    if command not in COMMANDS:
        raise ValueError(f"unknown report command {command!r}")
    ok = bool(apps) and all(app["verdict"] == "pass" for app in apps)
    return {
        "format": FORMAT,
        "rpmkit_version": __version__,
        "command": command,
        "started": iso(started),
        "finished": iso(finished),
        "seconds": round(max(finished - started, 0.0), 3),
        "host": socket.gethostname(),
        "verdict": "pass" if ok else "fail",
        "apps": list(apps),
    }


def iso(epoch: float) -> str:
    """UTC, ISO 8601 with milliseconds: 2026-11-05T09:30:12.345Z."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{whole}.{int(epoch % 1 * 1000):03d}Z"
