"""The rehearsal's report: a line per check as the check's report has, the load, CI formats.

Failed requests are counted at the client. Those the balancer had given to
an instance killed on purpose, while it died or before its health check took
it out, are "at the kill": listed, and not counted against the error budget.
Every other failed request counts. A phase's line is a FAIL when the failed
requests exceed the budget, a WARN when there were some within it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from rpmkit.checks import Check
from rpmkit.rehearse.chaos import Chaos
from rpmkit.rehearse.load import ErrorWindow, LoadStats, Sample, at_the_kill, between, error_windows
from rpmkit.rehearse.load import summarize as summarize_load
from rpmkit.rehearse.run import Rehearsal
from rpmkit.report.text import Report, collapse

PHASES = ("steady", "swap", "after")
SHOWN = 20  # failed requests listed in the human report; --json has them all
# The line a stage that could not go on would have passed: a stop fails that same test.
STOP_IDS = {
    "bake": "bake.baked",
    "start": "start.old-group-in-service",
    "swap": "swap.new-group-in-service",
    "chaos": "chaos.replacement-in-service",
}


@dataclass(frozen=True)
class RehearsalReport:
    """The checks, the load's summary and the failed requests of one rehearsal."""

    rehearsal: Rehearsal
    report: Report
    load: LoadStats
    counted: tuple[Sample, ...]  # failed requests that count against the budget
    at_kill: tuple[Sample, ...]  # failed requests owed to a kill on purpose
    budget: int

    @property
    def ok(self) -> bool:
        """Every check passed (warnings allowed)."""
        return self.report.ok

    @property
    def failed_stage(self) -> str | None:
        """The stage of the first failed check."""
        return next((c.stage for c in self.report.checks if not (c.ok or c.warning)), None)


def build(rehearsal: Rehearsal, budget: int) -> RehearsalReport:
    """Judge what the rehearsal saw."""
    r = rehearsal
    failed = [s for s in r.samples if not s.ok]
    at_kill = tuple(s for s in failed if at_the_kill(s, r.kills) is not None)
    counted = tuple(s for s in failed if s not in at_kill)
    over = len(counted) > budget
    seconds = max((end for _, end in r.phases.values()), default=0.0)
    checks: list[Check] = []
    if r.old is not None and r.new is not None:
        subjects = f"{r.old.subject} and {r.new.subject}"
        checks.append(
            Check("bake", f"baked {subjects} (installed, committed unbooted)", True,
                  id=STOP_IDS["bake"])
        )  # fmt: skip
    if "start" in r.timings and r.old is not None:
        checks.append(
            Check("start", f"old group in service behind HAProxy: {r.old.subject}", True,
                  f"{r.settings.instances} instances, {r.timings['start']:.2f}s",
                  id=STOP_IDS["start"])
        )  # fmt: skip
    for phase in PHASES:
        if phase in r.phases:
            checks += _phase(r, phase, counted, at_kill, over)
    if r.stopped_at:
        stop_id = STOP_IDS.get(r.stopped_at, f"{r.stopped_at}.completed")
        checks.append(Check(r.stopped_at, r.problem, False, "", r.evidence, id=stop_id))
    if r.samples:
        checks.append(_budget(counted, at_kill, budget))
    if r.writes:
        checks.append(_disposable(r))
    timings = dict(r.timings)
    for phase in ("steady", "after"):
        if phase in r.phases:
            timings[phase] = r.phases[phase][1] - r.phases[phase][0]
    subject = f"{r.old.subject} -> {r.new.subject}" if r.old and r.new else r.app
    report = Report(subject, r.profile, tuple(checks), timings)
    return RehearsalReport(r, report, summarize_load(r.samples, seconds), counted, at_kill, budget)


def _mark(failures: int, over: bool) -> tuple[bool, bool]:
    """(ok, warning) of a line that saw `failures` counted failures."""
    return (failures == 0, failures > 0 and not over)


def _phase(
    r: Rehearsal, phase: str, counted: tuple[Sample, ...], at_kill: tuple[Sample, ...], over: bool
) -> list[Check]:
    start, end = r.phases[phase]
    sent = between(r.samples, start, end)
    bad = between(counted, start, end)
    checks = []
    if phase == "swap" and "removed" in r.swap:
        assert r.new is not None
        s = r.swap
        checks.append(
            Check("swap", f"new group in service: {r.new.subject}", True,
                  f"rpmkit's probe and the balancer's health check, after {s['healthy']:.2f}s",
                  id=STOP_IDS["swap"])
        )  # fmt: skip
        checks.append(
            Check("swap", "switched the balancer to the new group; old group drained and removed",
                  True, f"swap took {s['detached']:.2f}s: switched at {s['switched']:.2f}s, "
                  f"old group detached at {s['detached']:.2f}s, removed at {s['removed']:.2f}s",
                  id="swap.switched")
        )  # fmt: skip
    for chaos in (c for c in r.chaos if c.during == phase):
        checks += _chaos(r, chaos, counted, at_kill, over)
    names = {"steady": "in the steady phase", "swap": "during the swap", "after": "after the swap"}
    ok, warning = _mark(len(bad), over)
    detail = f"{len(sent)} requests, {len(bad)} failed" + _when(bad)
    lost = between(at_kill, start, end)
    if lost:
        detail += f"; {len(lost)} at the kill"
    checks.append(
        Check(phase, f"no failed request {names[phase]}", ok, detail, warning=warning,
              id=f"{phase}.no-failed-request")
    )  # fmt: skip
    return checks


def _chaos(
    r: Rehearsal,
    chaos: Chaos,
    counted: tuple[Sample, ...],
    at_kill: tuple[Sample, ...],
    over: bool,
) -> list[Check]:
    """The kill's lines: did the others carry the traffic, until the group was whole again."""
    end = chaos.at + (chaos.in_service_after or 0.0)
    if chaos.during == "swap":
        end = max(chaos.at, r.phases["swap"][1])
    bad = [s for s in counted if s.end >= chaos.at and s.start <= end]
    lost = [s for s in at_kill if s.server == chaos.killed]
    if chaos.down_after is not None:
        down = f"the balancer marked it down after {chaos.down_after:.2f}s"
    else:
        down = "taken out of the balancer before its health check marked it down"
    detail = (
        f"killed {chaos.killed} at {chaos.at:.2f}s; {len(lost)} failed on it at the kill "
        f"({down}); {len(bad)} failed elsewhere"
    )
    ok, warning = _mark(len(bad), over)
    name = "an instance killed under load: the others carried the traffic"
    kind = "killed-under-load"
    if chaos.during == "swap":
        name = "an old instance killed during the swap: the others carried the traffic"
        kind = "killed-during-swap"
    checks = [Check("chaos", name, ok, detail, warning=warning, id=f"chaos.{kind}")]
    if chaos.replacement:
        checks.append(
            Check("chaos", "a replacement came into service", True,
                  f"{chaos.replacement}, {chaos.in_service_after:.2f}s after the kill",
                  id=STOP_IDS["chaos"])
        )  # fmt: skip
    return checks


def _when(bad: list[Sample]) -> str:
    if not bad:
        return ""
    return f" between {bad[0].start:.2f}s and {max(s.end for s in bad):.2f}s"


def _budget(counted: tuple[Sample, ...], at_kill: tuple[Sample, ...], budget: int) -> Check:
    detail = f"{len(counted)} failed, budget {budget}"
    if at_kill:
        detail += f"; {len(at_kill)} at the kill not counted"
    windows = error_windows(counted)
    evidence = "\n".join(_window_line(w, counted) for w in windows)
    return Check("budget", "failed requests within the error budget", len(counted) <= budget,
                 detail, evidence, id="budget.error-budget")  # fmt: skip


def _window_line(w: ErrorWindow, samples: tuple[Sample, ...]) -> str:
    outcomes = ", ".join(f"{k} x{v}" for k, v in sorted(w.outcomes.items()))
    servers = Counter(s.server or "?" for s in samples if w.start <= s.start <= w.end)
    where = ", ".join(f"{k} x{v}" for k, v in sorted(servers.items()))
    return f"{w.start:7.2f}s - {w.end:7.2f}s  {w.count} failed: {outcomes}  (on {where})"


DISPOSABLE_ID = "disposable.no-state-on-instance"


def _disposable(r: Rehearsal) -> Check:
    where: dict[str, list[str]] = {}
    for server, changes in sorted(r.writes.items()):
        for change in changes:
            where.setdefault(change.path, []).append(server)
    checked = f"{len(r.writes)} instances checked"
    if not where:
        name = "no instance keeps state on its own disk"
        return Check(
            "disposable", name, True, f"{checked}; nothing written outside disposable paths",
            id=DISPOSABLE_ID,
        )  # fmt: skip
    name = "instances keep state on their own disk: a termination loses it"
    paths = sorted(where)
    detail = "written outside disposable paths: " + ", ".join(
        f"{p} ({', '.join(where[p])})" for p in paths[:5]
    )
    if len(paths) > 5:
        detail += f" and {len(paths) - 5} more"
    evidence = "\n".join(
        f"{server}: {c.kind} {c.path}"
        for server, changes in sorted(r.writes.items())
        for c in changes
    )
    evidence += "\n(lost when the instance is terminated; keep state off the instance, or add "
    evidence += "the path to [rehearse] disposable if it is meant to be thrown away)"
    return Check("disposable", name, False, detail, evidence, id=DISPOSABLE_ID)


def render(rr: RehearsalReport, verbose: bool = False) -> str:
    """The human report: a line per check, the load, the failed requests, the times."""
    lines = []
    for c in rr.report.checks:
        mark = "PASS" if c.ok else ("WARN" if c.warning else "FAIL")
        detail = f"  ({c.detail})" if c.detail else ""
        lines.append(f"{mark}  {c.stage:<10} {c.name}{detail}")
        if c.evidence and (not c.ok or verbose):
            lines += [f"        | {e}" for e in collapse(c.evidence.rstrip().splitlines())]
    s = rr.load
    if s.sent:
        lines.append(
            f"load: {s.sent} requests in {s.seconds:.1f}s ({s.rate:.1f}/s from "
            f"{rr.rehearsal.settings.clients} clients), {s.ok} ok, "
            f"{s.failed} failed ({len(rr.at_kill)} at the kill); longest gap without a "
            f"success {s.gap.seconds:.2f}s at {s.gap.at:.2f}s; latency p50 {s.p50 * 1000:.0f}ms, "
            f"p99 {s.p99 * 1000:.0f}ms"
        )
    if rr.at_kill:
        lines.append("failed at the kill (not counted):")
        lines += [f"    {_sample_line(x)}" for x in rr.at_kill[:SHOWN]]
        if len(rr.at_kill) > SHOWN:
            lines.append(f"    ... and {len(rr.at_kill) - SHOWN} more (--json lists them all)")
    if rr.counted:
        lines.append("failed requests (counted):")
        lines += [f"    {_sample_line(x)}" for x in rr.counted[:SHOWN]]
        if len(rr.counted) > SHOWN:
            lines.append(f"    ... and {len(rr.counted) - SHOWN} more (--json lists them all)")
    lines.append("time: " + "  ".join(f"{k} {v:.2f}s" for k, v in rr.report.timings.items()))
    verdict = "PASS" if rr.ok else f"FAIL at {rr.failed_stage}"
    lines.append(f"{verdict}: {rr.report.subject} rehearsed on {rr.report.profile} "
                 f"(seed {rr.rehearsal.seed})")  # fmt: skip
    return "\n".join(lines)


def _sample_line(s: Sample) -> str:
    return f"{s.start:7.2f}s  {s.seconds:6.3f}s  {s.outcome:<26} {s.server or '?'}  #{s.id}"


def rehearsal_dict(rr: RehearsalReport) -> dict[str, Any]:
    """What only a rehearsal has, as plain data: the `rehearsal` part of its report entry."""
    r = rr.rehearsal
    return {
        "seed": r.seed,
        "budget": rr.budget,
        "settings": r.settings.model_dump(),
        "swap": {k: round(v, 3) for k, v in r.swap.items()},
        "phases": {k: [round(a, 3), round(b, 3)] for k, (a, b) in r.phases.items()},
        "load": {k: v for k, v in asdict(rr.load).items() if k != "gap"}
        | {"longest_gap": round(rr.load.gap.seconds, 3), "longest_gap_at": rr.load.gap.at},
        "failed": [_sample_dict(s, False) for s in rr.counted]
        + [_sample_dict(s, True) for s in rr.at_kill],
        "chaos": [asdict(c) for c in r.chaos],
        "events": [{"at": round(e.at, 3), "what": e.what} for e in r.events],
        "writes": {k: [asdict(c) for c in v] for k, v in r.writes.items()},
    }


def _sample_dict(s: Sample, at_kill: bool) -> dict[str, Any]:
    return {
        "id": s.id,
        "start": round(s.start, 3),
        "seconds": round(s.seconds, 3),
        "status": s.status,
        "error": s.error,
        "server": s.server,
        "at_kill": at_kill,
    }
