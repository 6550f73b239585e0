"""--json and --junit-xml for check, run, run --all and rehearse: written whatever the outcome.

A report is written when the command ends, passed, failed, stopped by an
error (a build that failed, a missing image) or by Ctrl-C: CI jobs upload it
`when: always`. `-` is stdout; the human output then goes to stderr. Files are
written to a unique temporary name beside the target, then renamed onto it,
so a reader never sees half a report; missing parent folders are created. A
FIFO, a device or a symlink to one is written through instead, never replaced.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from rpmkit import atomic
from rpmkit.errors import ConfigError, RpmkitError
from rpmkit.report import annotate

STDOUT = Path("-")
# Where a command that stopped early was, and the check that stage would have passed.
STAGE_IDS = {
    "config": ("config.valid", "configuration valid"),
    "build": ("build.rpm", "RPM built"),
    "setup": ("setup.ready", "engine, profile and images ready"),
}


def report_options(func: Any) -> Any:
    """`--json FILE` and `--junit-xml FILE` (`-`: stdout)."""
    func = click.option(
        "--junit-xml",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        metavar="FILE",
        help="Write the report as JUnit XML, whatever the outcome (- for stdout).",
    )(func)
    return click.option(
        "--json",
        "json_path",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        metavar="FILE",
        help="Write the report as JSON (format rpmkit.report/1), whatever the outcome "
        "(- for stdout).",
    )(func)


@dataclass
class Progress:
    """What the command knows of the app so far, for a report written when it stops early."""

    name: str
    stage: str = "config"
    subject: str = ""
    profile: str = ""
    since: float = field(default_factory=time.monotonic)  # when `stage` began
    rpms: tuple[str, ...] = ()

    def enter(self, stage: str) -> None:
        """The command moves on to `stage`."""
        self.stage, self.since = stage, time.monotonic()


@dataclass
class Reports:
    """The report files one command was asked for."""

    command: str
    json_path: Path | None
    junit_path: Path | None
    started: float = field(default_factory=time.time)
    began: float = field(default_factory=time.monotonic)
    written: bool = False
    shard: str | None = None  # `I/N` when the command checked one shard of a matrix

    def __post_init__(self) -> None:
        targets = [p for p in (self.json_path, self.junit_path) if p is not None]
        if targets.count(STDOUT) > 1:
            raise ConfigError("only one report can go to stdout (-): give the other a file name")
        for path in targets:
            _prepare(path)

    @property
    def human_err(self) -> bool:
        """Whether a report goes to stdout, so the human output must go to stderr."""
        return STDOUT in (self.json_path, self.junit_path)

    def echo(self, text: str = "", err: bool = False) -> None:
        """Print human output: stdout, unless a report goes there."""
        click.echo(text, err=err or self.human_err)

    def write(self, apps: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Write the document of these app entries to every path asked for; return it."""
        doc = self.document(apps)
        self.written = True
        if self.json_path is not None:
            write_atomic(self.json_path, (json.dumps(doc, indent=2) + "\n").encode())
        if self.junit_path is not None:
            from rpmkit.report import junit  # XML: imported only when asked for

            write_atomic(self.junit_path, junit.render(doc))
        return doc

    def document(self, apps: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The report document of these app entries, ending now."""
        from rpmkit.redact import scrub
        from rpmkit.report import document as report_doc

        # Evidence quotes logs and servers: the JSON, the JUnit XML and the CI annotations
        # are made from this document, so each is redacted here, once.
        doc = report_doc.document(self.command, apps, self.started, time.time())
        if self.shard is not None:
            doc["shard"] = self.shard
            if not apps:  # fewer apps than shards: this one had nothing to check
                doc["verdict"] = "pass"
        return scrub(doc)

    def summarize(self, doc: dict[str, Any]) -> None:
        """The one summary line, in the CI server's annotation syntax when there is one."""
        self.echo(annotate.summary_line(doc, os.environ))

    @contextlib.contextmanager
    def on_failure(self, progress: Progress) -> Iterator[None]:
        """Write a report naming the stage the block stopped at, then let the error go on."""
        try:
            yield
        except (Exception, KeyboardInterrupt) as exc:
            asked = self.json_path is not None or self.junit_path is not None
            if not self.written and (asked or annotate.provider(os.environ)):
                entry = stopped_entry(progress, exc, self.began)
                with contextlib.suppress(RpmkitError):
                    self.summarize(self.write([entry]) if asked else self.document([entry]))
            raise


def stopped_entry(progress: Progress, exc: BaseException, began: float) -> dict[str, Any]:
    """The app entry of a command that stopped at `progress.stage` with `exc`."""
    from rpmkit.checks import Check
    from rpmkit.report import document as report_doc
    from rpmkit.report.text import Report

    check_id, title = STAGE_IDS.get(progress.stage, (f"{progress.stage}.completed", "completed"))
    if isinstance(exc, KeyboardInterrupt):
        message, evidence = "interrupted", ""
    elif isinstance(exc, RpmkitError):
        message = exc.message + (f"; {exc.hint}" if exc.hint else "")
        evidence = exc.details or ""
    else:
        message, evidence = f"internal error: {type(exc).__name__}: {exc}", ""
    now = time.monotonic()
    failed = Check(progress.stage, title, False, message, evidence, id=check_id)
    report = Report(
        progress.subject or progress.name,
        progress.profile,
        (failed.timed(progress.since, now),),
        {progress.stage: now - progress.since, "total": now - began},
    )
    return report_doc.app_entry(
        report, progress.name, began, now, rpms=progress.rpms, error="; ".join(message.splitlines())
    )


def _prepare(path: Path) -> None:
    """Fail now, before a long check, if the report could not be written there."""
    if path == STDOUT:
        return
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; give the report a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {path.parent} for the report: {exc.strerror}") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` (`rpmkit.atomic.write`: through a FIFO or a device); `-`: stdout."""
    if path == STDOUT:
        click.echo(data, nl=False)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write(path, data, through=True)
    except OSError as exc:
        raise ConfigError(f"cannot write the report {path}: {exc.strerror or exc}") from None
