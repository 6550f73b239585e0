"""`rpmkit report merge`: the shards' reports of a CI matrix as one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from rpmkit.commands.common import echo_table
from rpmkit.commands.reporting import report_options, write_atomic
from rpmkit.errors import CheckFailed


@click.group()
def report() -> None:
    """Work with the --json reports (format rpmkit.report/1)."""


@report.command("merge")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@report_options
def merge(files: tuple[Path, ...], json_path: Path | None, junit_xml: Path | None) -> None:
    """Merge the --json reports of a matrix's shards into one report and one verdict.

    FILES are the reports each `rpmkit run --all --shard I/N --json FILE` wrote
    (or any rpmkit.report/1 reports of distinct apps). Prints one table and the
    summary line, writes the merged --json and --junit-xml (one suite per app),
    and exits 1 when an app failed or a shard of the matrix sent no report, 2
    when the reports cannot be merged (another format, an app twice, shards of
    different matrices).

    \b
    Examples:
      rpmkit report merge reports/*.json --junit-xml junit.xml --json rpmkit.json
    """
    from rpmkit.redact import scrub
    from rpmkit.report import annotate, junit
    from rpmkit.report import merge as merging
    from rpmkit.report.document import FORMAT

    if [json_path, junit_xml].count(Path("-")) > 1:
        raise click.UsageError("only one report can go to stdout (-): give the other a file name")
    apps, fields = merging.merge([merging.read(path) for path in files])
    ok = bool(apps) and all(app["verdict"] == "pass" for app in apps)
    doc = scrub({
        "format": FORMAT, "rpmkit_version": fields["rpmkit_version"],
        "command": fields["command"], "started": fields["started"],
        "finished": fields["finished"],
        "seconds": merging.seconds_between(fields["started"], fields["finished"]),
        "host": fields["host"], "verdict": "pass" if ok else "fail", "apps": apps,
    })  # fmt: skip
    human_err = Path("-") in (json_path, junit_xml)
    rows = [
        {"app": a["name"], "result": "PASS" if a["verdict"] == "pass" else "FAIL",
         "failed stage": a["failed_stage"] or "-", "time": f"{a['seconds']:.1f}s",
         "cached": "yes" if a.get("cached") else "-"}
        for a in apps
    ]  # fmt: skip
    echo_table(rows, ["app", "result", "failed stage", "time", "cached"], err=human_err)
    if json_path is not None:
        write_atomic(json_path, (json.dumps(doc, indent=2) + "\n").encode())
    if junit_xml is not None:
        write_atomic(junit_xml, junit.render(doc))
    click.echo(annotate.summary_line(doc, os.environ), err=human_err)
    failed = [a["name"] for a in apps if a["verdict"] != "pass"]
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(apps)} apps failed: {', '.join(failed)}")
