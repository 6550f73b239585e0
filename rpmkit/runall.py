"""`rpmkit run --all`: every app of a repository, side by side, and one summary.

Each app runs as its own `rpmkit -q run APP --json ...` process: its output,
its errors and its clean-up stay its own, and a crash in one app's run cannot
take the others down. The summary is read from the JSON reports they write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpmkit.discover import App
from rpmkit.errors import EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from rpmkit.progress import Reporter
from rpmkit.report import xml_safe

COLUMNS = ["app", "result", "failed stage", "time", "rpm"]
OUTPUT_TAIL = 15


@dataclass(frozen=True)
class AppRun:
    """One app's `rpmkit run`: how it ended and what it wrote."""

    app: App
    returncode: int
    seconds: float
    output: str  # its stdout and stderr, interleaved
    report: dict[str, Any] | None  # its --json report; None when no check ran
    junit: Path | None  # its --junit-xml report, when one was asked for and written

    @property
    def ok(self) -> bool:
        """Whether the app built and passed its check."""
        return self.returncode == 0

    @property
    def failed_stage(self) -> str | None:
        """The check's failed stage, or where the run stopped before the check."""
        if self.ok:
            return None
        if self.report is not None and self.report.get("failed_stage"):
            return str(self.report["failed_stage"])
        return {
            EXIT_CHECK_FAILED: "build",
            EXIT_USAGE: "config",
            EXIT_INTERRUPTED: "interrupted",
        }.get(self.returncode, "error")

    @property
    def rpm(self) -> str:
        """The binary RPM's file name, from the run's `built:` lines."""
        for line in self.output.splitlines():
            path = line.removeprefix("built: ").strip()
            if line.startswith("built: ") and path.endswith(".rpm") and ".src." not in path:
                return Path(path).name
        return ""

    @property
    def error(self) -> str:
        """The run's last `error:` line, or its last line."""
        lines = [line for line in self.output.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error:")]
        return (errors or lines or [""])[-1]


def app_argv(
    app: App,
    options: Sequence[str],
    json_path: Path,
    junit_path: Path | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The `rpmkit run` of one app, with its reports written where the summary reads them."""
    argv = [python, "-m", "rpmkit", "-q", "run", str(app.path), *options]
    argv += ["--json", str(json_path)]
    if junit_path is not None:
        argv += ["--junit-xml", str(junit_path)]
    return argv


def run_all(
    apps: Sequence[App],
    options: Mapping[str, Sequence[str]],
    jobs: int,
    scratch: Path,
    reporter: Reporter,
    junit: bool = False,
) -> list[AppRun]:
    """Run every app, at most `jobs` at once; `options` holds each app's extra arguments."""

    def one(index: int, app: App) -> AppRun:
        json_path = scratch / f"{index:03d}.json"
        junit_path = scratch / f"{index:03d}.xml" if junit else None
        argv = app_argv(app, options.get(app.name, ()), json_path, junit_path)
        reporter.info(f"{app.name}: started")
        start = time.monotonic()
        proc = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        seconds = time.monotonic() - start
        report = json.loads(json_path.read_text()) if json_path.is_file() else None
        written = junit_path if junit_path is not None and junit_path.is_file() else None
        result = AppRun(app, proc.returncode, seconds, proc.stdout, report, written)
        verdict = "PASS" if result.ok else f"FAIL at {result.failed_stage}"
        reporter.info(f"{app.name}: {verdict} in {seconds:.1f}s")
        return result

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(one, i, app) for i, app in enumerate(apps)]
        return [f.result() for f in futures]
    finally:
        # On Ctrl-C the running apps get it too and clean up; the waiting ones never start.
        pool.shutdown(wait=True, cancel_futures=True)


def summary_rows(runs: Sequence[AppRun]) -> list[dict[str, str]]:
    """One row per app for the summary table."""
    return [
        {
            "app": run.app.name,
            "result": "PASS" if run.ok else "FAIL",
            "failed stage": run.failed_stage or "-",
            "time": f"{run.seconds:.1f}s",
            "rpm": run.rpm or "-",
        }
        for run in runs
    ]


def failure_details(runs: Sequence[AppRun]) -> list[str]:
    """For each failed app, the tail of its output."""
    lines: list[str] = []
    for run in runs:
        if run.ok:
            continue
        lines.append(f"--- {run.app.name} ({run.app.relative}): exit {run.returncode}")
        tail = [line for line in run.output.rstrip().splitlines() if line.strip()]
        lines += [f"  | {line}" for line in tail[-OUTPUT_TAIL:]]
    return lines


def to_dict(runs: Sequence[AppRun]) -> dict[str, Any]:
    """Every app's outcome as plain data, for --json."""
    return {
        "ok": all(run.ok for run in runs),
        "apps": [
            {
                "name": run.app.name,
                "path": run.app.relative,
                "ok": run.ok,
                "failed_stage": run.failed_stage,
                "seconds": round(run.seconds, 3),
                "rpm": run.rpm or None,
                "returncode": run.returncode,
                "error": None if run.ok else run.error,
                "report": run.report,
            }
            for run in runs
        ],
    }


def write_json(runs: Sequence[AppRun], path: Path) -> None:
    """Write every app's outcome as JSON."""
    path.write_text(json.dumps(to_dict(runs), indent=2) + "\n")


def write_junit(runs: Sequence[AppRun], path: Path) -> None:
    """One JUnit file: each app's check suite, or a failed `build` case when none ran."""
    root = ET.Element("testsuites", name="rpmkit run --all")
    for run in runs:
        suites = ET.parse(run.junit).getroot().iter("testsuite") if run.junit else None
        found = list(suites) if suites is not None else []
        root.extend(found or [_failed_suite(run)])
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for suite in root.iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{sum(run.seconds for run in runs):.3f}")
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def _failed_suite(run: AppRun) -> ET.Element:
    stage = run.failed_stage or "run"
    suite = ET.Element(
        "testsuite",
        name=f"rpmkit run {run.app.name}",
        tests="1",
        failures="0" if run.ok else "1",
        errors="0",
        skipped="0",
        time=f"{run.seconds:.3f}",
    )
    case = ET.SubElement(
        suite, "testcase", classname=f"rpmkit.{stage}", name=f"{stage} {run.app.name}"
    )
    case.set("time", f"{run.seconds:.3f}")
    if not run.ok:
        message = xml_safe(run.error or f"exit {run.returncode}")
        failure = ET.SubElement(case, "failure", message=message)
        failure.text = xml_safe("\n".join(run.output.rstrip().splitlines()[-40:]))
    return suite
