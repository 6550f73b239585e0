"""Many `rpmkit.report/1` documents (the shards of a CI matrix) as one.

The merged document is what one `rpmkit run --all` of every shard's apps would
have written: the apps in path order, `started` the earliest start,
`finished` the latest end, `host` the machines that ran them. Its verdict
fails when any app failed, and when a shard is missing: a shard's report
records `shard` (`I/N`), and an absent one would otherwise let its apps'
failures pass unseen. So a missing shard becomes a failed app entry, named
after it, whose check `merge.shard-reported:I/N` says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rpmkit.errors import ConfigError
from rpmkit.report.document import FORMAT


@dataclass(frozen=True)
class Part:
    """One report to merge, and where it was read from (for messages)."""

    source: str
    doc: dict[str, Any]


def read(path: Path) -> Part:
    """A report file as a Part; ConfigError (one line) when it is not an rpmkit.report/1."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the report: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: not a JSON report ({exc})") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: not an rpmkit report (a JSON object is expected)")
    found = doc.get("format")
    if found != FORMAT:
        raise ConfigError(
            f"{path}: format {found!r}, not {FORMAT!r}: only {FORMAT} reports can be merged"
        )
    problem = _shape(doc)
    if problem:
        raise ConfigError(f"{path}: not a valid {FORMAT} report: {problem}")
    return Part(str(path), doc)


def _shape(doc: dict[str, Any]) -> str | None:
    """What is missing from a report that the merge and the JUnit report read, or None.

    The required fields are the shipped JSON Schema's (`rpmkit schema report`).
    """
    from rpmkit.schema import report_schema

    schema = report_schema()
    parts = schema["$defs"]

    def missing(value: Any, required: list[str], where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{where} is not an object"
        absent = [key for key in required if key not in value]
        return f"{where} has no {', '.join(absent)}" if absent else None

    problem = missing(doc, schema["required"], "the report")
    if problem or not isinstance(doc["apps"], list):
        return problem or "apps is not a list"
    for key in ("started", "finished", "host"):
        if not isinstance(doc[key], str):
            return f"{key} is not a string"
    for i, app in enumerate(doc["apps"]):
        problem = missing(app, parts["app"]["required"], f"apps[{i}]")
        if problem or not isinstance(app["checks"], list) or not isinstance(app["stages"], list):
            return problem or f"apps[{i}] has no list of checks and stages"
        for j, check in enumerate(app["checks"]):
            problem = missing(check, parts["check"]["required"], f"apps[{i}].checks[{j}]")
            if problem:
                return problem
    return None


def merge(parts: Sequence[Part]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The merged app entries and the document's other fields (`started`, `finished`, ...).

    ConfigError for reports that cannot be one: different rpmkit versions, an
    app in two reports, shards of different totals or the same shard twice.
    """
    if not parts:
        raise ConfigError("give the reports to merge (rpmkit report merge shard-*.json)")
    versions = {p.doc.get("rpmkit_version") for p in parts}
    if len(versions) > 1:
        seen = ", ".join(f"{p.doc.get('rpmkit_version')} in {p.source}" for p in parts)
        raise ConfigError(f"reports from different rpmkit versions ({seen}): merge one run's")
    owner: dict[str, str] = {}
    apps: list[dict[str, Any]] = []
    for part in parts:
        for app in part.doc["apps"]:
            name = str(app.get("name"))
            if name in owner:
                raise ConfigError(
                    f"app {name!r} is in both {owner[name]} and {part.source}: "
                    "merge each shard's report once"
                )
            owner[name] = part.source
            apps.append(app)
    if all(isinstance(a.get("path"), str) for a in apps):
        apps.sort(key=lambda a: str(a["path"]))
    apps += _missing_shards(parts)
    commands = {p.doc.get("command") for p in parts}
    command = commands.pop() if len(commands) == 1 else "run --all"
    hosts = sorted({str(p.doc["host"]) for p in parts})
    fields = {
        "command": command,
        "rpmkit_version": versions.pop(),
        "started": min(str(p.doc["started"]) for p in parts),
        "finished": max(str(p.doc["finished"]) for p in parts),
        "host": ", ".join(hosts),
    }
    return apps, fields


def _missing_shards(parts: Sequence[Part]) -> list[dict[str, Any]]:
    """A failed entry for each shard of the matrix no report came from."""
    labels = {p.source: p.doc.get("shard") for p in parts if p.doc.get("shard") is not None}
    if not labels:
        return []
    seen: dict[int, str] = {}
    totals = set()
    for source, label in labels.items():
        match = re.fullmatch(r"([0-9]{1,6})/([0-9]{1,6})", str(label))
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise ConfigError(f"{source}: shard {str(label)[:40]!r} is not I/N (1 <= I <= N)")
        index, total = int(match[1]), int(match[2])
        totals.add(total)
        if index in seen:
            raise ConfigError(f"shard {label} is reported twice: {seen[index]} and {source}")
        seen[index] = source
    if len(totals) > 1:
        raise ConfigError(
            f"shards of different matrices ({', '.join(sorted(map(str, labels.values())))}): "
            "merge the shards of one `rpmkit matrix`"
        )
    total = totals.pop()
    return [_missing(i, total) for i in range(1, total + 1) if i not in seen]


def _missing(index: int, total: int) -> dict[str, Any]:
    label = f"{index}/{total}"
    error = f"no report from shard {label}: its apps were not checked"
    check = {
        "id": f"merge.shard-reported:{label}", "stage": "merge", "name": f"shard {label} reported",
        "verdict": "fail", "detail": error, "evidence": "", "offset": None, "seconds": None,
        "time": 0.0,
    }  # fmt: skip
    return {
        "name": f"shard-{index}-of-{total}", "path": None, "subject": f"shard {label}",
        "profile": None, "verdict": "fail", "failed_stage": "merge", "error": error,
        "cached": False, "seconds": 0.0, "rpms": [],
        "stages": [{"name": "merge", "seconds": 0.0, "verdict": "fail"}], "checks": [check],
    }  # fmt: skip


def seconds_between(started: str, finished: str) -> float:
    """Seconds from one report timestamp (`iso`) to another."""
    from datetime import datetime

    parse = "%Y-%m-%dT%H:%M:%S.%fZ"
    span = datetime.strptime(finished, parse) - datetime.strptime(started, parse)
    return round(max(span.total_seconds(), 0.0), 3)
