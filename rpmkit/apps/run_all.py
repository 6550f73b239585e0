"""`rpmkit run --all`: every app of a repository, side by side, and one summary.

Each app runs as its own `rpmkit -q run APP --json ...` process: its output,
its errors and its clean-up stay its own, and a crash in one app's run cannot
take the others down. The summary is read from the reports they write, and
their apps make up the merged report (an app whose run wrote none gets a
`run.completed` check that failed with its exit code and output tail).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpmkit.apps.discover import App
from rpmkit.progress import Reporter
from rpmkit.report.document import FORMAT

COLUMNS = ["app", "result", "failed stage", "time", "rpm"]
OUTPUT_TAIL = 15


@dataclass(frozen=True)
class AppRun:
    """One app's `rpmkit run`: how it ended and what it wrote."""

    app: App
    returncode: int
    seconds: float
    output: str  # its stdout and stderr, interleaved
    doc: dict[str, Any] | None  # its --json report (rpmkit.report/1); None when it wrote none

    @property
    def ok(self) -> bool:
        """Whether the app built and passed its check."""
        return self.returncode == 0

    @property
    def entry(self) -> dict[str, Any]:
        """The app's entry in the merged report: its own, or one made from its exit."""
        apps = self.doc.get("apps") if self.doc is not None else None
        if self.doc is not None and self.doc.get("format") == FORMAT and apps:
            return {**apps[0], "path": self.app.relative}
        return self._exit_entry()

    @property
    def failed_stage(self) -> str | None:
        """The check's failed stage, or where the run stopped before the check."""
        if self.ok:
            return None
        return str(self.entry.get("failed_stage") or "run")

    @property
    def rpm(self) -> str:
        """The binary RPM's file name."""
        rpms = self.entry.get("rpms") or []
        return str(rpms[0]) if rpms else ""

    @property
    def error(self) -> str:
        """The run's last `error:` line, or its last line."""
        lines = [line for line in self.output.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error:")]
        return (errors or lines or [""])[-1]

    def _exit_entry(self) -> dict[str, Any]:
        """The entry of a run that wrote no report (it crashed, or was killed)."""
        tail = "\n".join(self.output.rstrip().splitlines()[-40:])
        verdict = "pass" if self.ok else "fail"
        check = {
            "id": "run.completed", "stage": "run", "name": f"rpmkit run {self.app.relative}",
            "verdict": verdict, "detail": "" if self.ok else f"exit {self.returncode}",
            "evidence": tail, "offset": 0.0, "seconds": round(self.seconds, 3),
            "time": round(self.seconds, 3),
        }  # fmt: skip
        return {
            "name": self.app.name, "path": self.app.relative, "subject": self.app.name,
            "profile": None, "verdict": verdict, "failed_stage": None if self.ok else "run",
            "error": None if self.ok else self.error or f"exit {self.returncode}", "cached": False,
            "seconds": round(self.seconds, 3), "rpms": [],
            "stages": [{"name": "run", "seconds": round(self.seconds, 3), "verdict": verdict}],
            "checks": [check],
        }  # fmt: skip


def app_argv(
    app: App, options: Sequence[str], json_path: Path, python: str = sys.executable
) -> list[str]:
    """The `rpmkit run` of one app, with its report written where the summary reads it."""
    return [python, "-m", "rpmkit", "-q", "run", str(app.path), *options, "--json", str(json_path)]


def run_all(
    apps: Sequence[App],
    options: Mapping[str, Sequence[str]],
    jobs: int,
    scratch: Path,
    reporter: Reporter,
) -> list[AppRun]:
    """Run every app, at most `jobs` at once; `options` holds each app's extra arguments."""

    def one(index: int, app: App) -> AppRun:
        json_path = scratch / f"{index:03d}.json"
        argv = app_argv(app, options.get(app.name, ()), json_path)
        reporter.info(f"{app.name}: started")
        start = time.monotonic()
        proc = subprocess.run(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=child_env(os.environ),
        )
        seconds = time.monotonic() - start
        result = AppRun(app, proc.returncode, seconds, proc.stdout, _read(json_path))
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


def child_env(environ: Mapping[str, str]) -> dict[str, str]:
    """An app's run's environment: no colours, and no CI annotations of its own (the
    summary of `run --all` annotates; a child's would repeat each failure)."""
    skip = ("GITHUB_ACTIONS", "GITLAB_CI")
    return {**{k: v for k, v in environ.items() if k not in skip}, "NO_COLOR": "1"}


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
